/**
 * Fuzz suites for every parser that turns a file's numbers into memory or loops (issue #17): a few hundred seeded
 * hostile inputs each, parsed in a child process whose RSS is sampled from /proc (ArrayBuffers live outside the JS
 * heap). Each input must finish under 2 s and the process stay under 1 GB, and a failure must be a refusal naming the
 * problem, never a raw TypeError. The seed is printed; `AOS_SEED=…` replays it.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { freshSeed } from '../../src/util/random';

const seed = freshSeed();
const INPUT_MS = 2000;
const LIMIT_MB = 1024;

interface Line { i: number; what: string; outcome: 'ok' | 'refused' | 'crash'; message?: string; ms: number; maxRssMB: number }

/** VmRSS of a process in MB, from /proc (undefined once it has exited). */
function rssMB(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch { return undefined; }
}

function runWorker(kind: string, count: number): Promise<{ lines: Line[]; peakMB: number; killed?: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'tests/fuzz/worker.ts', kind, String(seed), String(count)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: Line[] = [];
    let buf = '', stderr = '', peakMB = 0, killed: string | undefined;
    let current = -1, startedAt = performance.now();
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const rec = JSON.parse(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        if ('start' in rec) { current = rec.start; startedAt = performance.now(); } else lines.push(rec);
      }
    });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const sampler = setInterval(() => {
      const mb = rssMB(child.pid!);
      if (mb !== undefined) peakMB = Math.max(peakMB, mb);
      // The per-input limit is also checked from the child's own timing; this catches a hang or a runaway bomb.
      const over = mb !== undefined && mb > LIMIT_MB ? `RSS ${mb.toFixed(0)} MB` : current >= 0 && performance.now() - startedAt > 4 * INPUT_MS ? 'hang' : undefined;
      if (over && !killed) { killed = `input ${current}: ${over}`; child.kill('SIGKILL'); }
    }, 25);
    child.on('exit', () => { clearInterval(sampler); resolve({ lines, peakMB, killed, stderr }); });
  });
}

async function fuzz(kind: string, count: number): Promise<void> {
  const t0 = performance.now();
  const r = await runWorker(kind, count);
  const slow = r.lines.filter((l) => l.ms > INPUT_MS);
  const crashes = r.lines.filter((l) => l.outcome === 'crash');
  const tally = { ok: 0, refused: 0, crash: 0 };
  for (const l of r.lines) tally[l.outcome]++;
  console.log(`fuzz ${kind}: seed ${seed} (AOS_SEED=${seed} replays), ${r.lines.length}/${count} inputs, ${JSON.stringify(tally)}, `
    + `slowest ${Math.max(0, ...r.lines.map((l) => l.ms)).toFixed(0)} ms, peak RSS ${r.peakMB.toFixed(0)} MB, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  expect(r.killed, `seed ${seed}: ${r.killed}`).toBeUndefined();
  expect(r.lines.length, `seed ${seed}: the worker stopped early\n${r.stderr.slice(-2000)}`).toBe(count);
  expect(slow.map((l) => `#${l.i} ${l.what}: ${l.ms.toFixed(0)} ms`), `seed ${seed}`).toEqual([]);
  expect(crashes.map((l) => `#${l.i} ${l.what}: ${l.message}`), `seed ${seed}`).toEqual([]);
  expect(Math.max(r.peakMB, ...r.lines.map((l) => l.maxRssMB))).toBeLessThan(LIMIT_MB);
}

describe('parser fuzzing (child process, 2 s and 1 GB per input)', () => {
  it('ONNX: mutants of the bundled tiny-clip towers and size bombs', () => fuzz('onnx', 300), 120_000);
  it('tokenizer.json: field edits, huge ids, hostile regexes', () => fuzz('tokenizer', 300), 60_000);
  it('config.json and preprocessor_config.json: hostile numbers and types', () => fuzz('config', 300), 60_000);
  it('results files with training curves, and the committed models\' manifest: hostile fields deep inside', () => fuzz('results', 300), 60_000);
});
