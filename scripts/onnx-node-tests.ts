/**
 * Runs ONNX's backend node tests through our executor: every test directory under `--dir` (a checkout of onnx/onnx's
 * onnx/backend/test/data/node) whose ops and dtypes the executor claims, compared with ONNX's expected outputs.
 * Prints the counts, the failures and (with --list-skipped) why the others are not claimed. Exit code 1 on a failure.
 *
 *   node --import tsx --import ./scripts/raw-loader.mjs scripts/onnx-node-tests.ts --dir=/path/to/onnx/backend/test/data/node [--filter=conv]
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { GpuContext } from '../src/gpu/context';
import { shaderSources } from '../src/kernels/shaders';
import { loadNodeCase, notClaimed, runNodeCase, type NodeCase } from '../tests/exec/onnx-node-cases';
import { scriptFlags } from './cli';

const flags = scriptFlags();
if (!flags.dir) throw new Error('pass --dir=<onnx checkout>/onnx/backend/test/data/node');
const dirs = readdirSync(flags.dir).filter((d) => d.startsWith('test_') && (!flags.filter || d.includes(flags.filter))).sort();
const ctx = await GpuContext.create({ shaders: shaderSources });
let claimed = 0, passed = 0, viaConstants = 0;
const failures: string[] = [], skipped: string[] = [];
for (const d of dirs) {
  let c: NodeCase;
  try {
    c = loadNodeCase(join(flags.dir, d));
  } catch (e) {
    skipped.push(`${d}: not loadable (${(e as Error).message})`);
    continue;
  }
  const why = notClaimed(c);
  if (why) { skipped.push(`${d}: ${why}`); continue; }
  claimed++;
  const r = await runNodeCase(ctx, c);
  if (r.constants.length) viaConstants++;
  if (r.failures.length) failures.push(...r.failures);
  else passed++;
}
if (flags['list-skipped']) for (const s of skipped) console.log(`skipped ${s}`);
for (const f of failures) console.log(`FAIL ${f}`);
console.log(`${dirs.length} tests; the executor claims ${claimed}; ${passed} pass (${viaConstants} with the constants option); ${claimed - passed} fail`);
process.exitCode = failures.length ? 1 : 0;
