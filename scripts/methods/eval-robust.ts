/**
 * npm run eval-robust -- [--model DIR] [--limit N] [--eps 4,8,16,24,32,48] [--quick | --full]
 *                        [--apgd-steps N] [--restarts N] [--targets K] [--targeted-steps N] [--queries N]
 *                        [--batch 50] [--seed 0] [--sets fashion-mnist,mnist/test] [--method NAME] [--out DIR]
 *
 * Zero-shot clean and robust accuracy of a CLIP model folder under the evaluation protocol (src/attacks/protocol.ts:
 * APGD-CE with restarts → APGD-T over the top-k wrong classes → Square, cascaded on survivors, every result snapped
 * to 8 bits; default the quick settings, --full the full-strength ones, single flags override) over the ε grid (in
 * /255; default EPS_GRID_255, headline HEADLINE_EPS_255) on every bundled test split (or `--sets`), the first
 * `--limit` images of each, with the gradient-masking verdict per set. Model: --model DIR, else public/models/tiny-clip.
 * Writes eval-robust.json (the results file of src/methods/README-results.md: per-image outcomes, provenance) and
 * eval-robust.md (table + masking verdicts) to --out (default .tmp/eval-robust).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { GpuContext } from '../../src/gpu/context';
import { shaderSources } from '../../src/kernels/shaders';
import { EPS_GRID_255, HEADLINE_EPS_255, FULL_PROTOCOL, QUICK_PROTOCOL, type ProtocolConfig } from '../../src/attacks/protocol';
import { evaluateRobust, maskingLines, robustTable } from '../../src/methods/evaluate';
import { RESULTS_SCHEMA, RESULTS_VERSION, runFromSets, validateResults, type ResultsFile, type ResultsFileEntry } from '../../src/methods/results';
import { numberFlag } from '../cli';
import { BUNDLED_MODEL, args, chooseModel, evalSets, numberList, writeOutputs } from './common';

async function sha256Files(dir: string): Promise<ResultsFileEntry[]> {
  const out: ResultsFileEntry[] = [];
  const walk = async (d: string) => {
    for (const e of (await readdir(d, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) {
        const bytes = await readFile(p);
        out.push({ path: p, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
      }
    }
  };
  await walk(dir);
  return out;
}

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  const A = args();
  const t0 = Date.now();
  const model = await chooseModel(A.model, false);
  const sets = await evalSets(A.sets ?? 'fashion-mnist/test,mnist/test,digits/test');
  const eps255 = numberList(A.eps, EPS_GRID_255);
  const eps = eps255.map((e) => e / 255);
  const base = A.full !== undefined ? FULL_PROTOCOL : QUICK_PROTOCOL;
  const protocol: ProtocolConfig = {
    apgdSteps: numberFlag(A, 'apgd-steps', base.apgdSteps), apgdRestarts: numberFlag(A, 'restarts', base.apgdRestarts),
    targets: numberFlag(A, 'targets', base.targets), targetedSteps: numberFlag(A, 'targeted-steps', base.targetedSteps),
    squareQueries: numberFlag(A, 'queries', base.squareQueries), seed: numberFlag(A, 'seed', 0),
  };
  const options = { epsilons: eps, attacks: [], protocol, batch: numberFlag(A, 'batch', 50), limit: numberFlag(A, 'limit', 500), seed: numberFlag(A, 'seed', 0) };
  const headline = eps255.includes(HEADLINE_EPS_255) ? HEADLINE_EPS_255 : eps255[eps255.length - 1];
  console.log(`eval-robust: model ${model.source}; ${sets.map((s) => `${s.dataset}/${s.split}`).join(', ')}; ε ${eps255.join(',')}/255 (headline ${headline}/255); protocol ${JSON.stringify(protocol)}; limit ${options.limit}`);
  const ctx = await GpuContext.create({ shaders: shaderSources, label: 'eval-robust' });
  const results = await evaluateRobust(ctx, model.files, sets, { ...options, onProgress: (m) => console.log(m) });
  const seconds = (Date.now() - t0) / 1000;
  const table = robustTable(results);
  const masking = maskingLines(results);
  console.log(table);
  console.log(masking.join('\n'));
  const dataFiles = (await sha256Files('public/data')).filter((f) => sets.some((s) => f.path.includes(`${s.dataset}-${s.split}`)) || f.path.endsWith('manifest.json'));
  const modelFiles = A.model || model.source === BUNDLED_MODEL ? await sha256Files(A.model ?? BUNDLED_MODEL) : [];
  const a = ctx.adapter;
  const file: ResultsFile = validateResults({
    schema: RESULTS_SCHEMA, version: RESULTS_VERSION,
    provenance: {
      commit: gitCommit(), adapter: `${a.vendor} ${a.architecture} ${a.device} ${a.description}`.trim(), createdAt: new Date().toISOString(),
      config: { model: model.source, protocol, limit: options.limit, batch: options.batch, argv: process.argv.slice(2), seconds },
      seeds: [protocol.seed], files: [...modelFiles, ...dataFiles],
    },
    epsilons: eps, headlineEps: headline / 255,
    runs: [runFromSets(A.method ?? 'model', A.method ?? 'none', null, results)],
    notes: [...masking, ...results.flatMap((r) => r.warnings.map((w) => `${r.dataset}/${r.split}: ${w}`))],
  });
  const md = [
    `# Zero-shot robust accuracy (%)`, '',
    `Model: \`${model.source}\`. Protocol (cascade on survivors, 8-bit snapped; columns cumulative): APGD-CE ${protocol.apgdSteps}×${protocol.apgdRestarts} → APGD-T ${protocol.targets} targets × ${protocol.targetedSteps} → Square ${protocol.squareQueries} queries; "worst" = final per-image result. First ${options.limit} images per split; seed ${options.seed}; headline ε = ${headline}/255; ${seconds.toFixed(0)} s.`, '',
    table, '', '## Gradient-masking checks', '', ...masking,
  ].join('\n');
  await writeOutputs(A.out ?? '.tmp/eval-robust', 'eval-robust', file, md);
  process.exit(0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
