/**
 * `npm run reproduce` end to end on the bundled model at smoke size (2 methods, 2 seeds, a handful of steps and
 * images): one process running every stage, against the same sweep as N = 3 shard processes — one first killed
 * midway through its jobs, then all three started in random order (`--wait`: each waits at a stage for the others),
 * the killed one resuming after its finished job, the shard index also taken from JOB_COMPLETION_INDEX and from
 * SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN. `--merge` of the shards must give the single process's results file, timings and the
 * creation time excepted (they are the only fields that may differ), and the same trade-off SVG; a finished shard
 * run again is skipped. Also `sweep-lambda --smoke`.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseResults, type ResultsFile } from '../../src/methods/results';
import { Rng, freshSeed } from '../../src/util/random';

const seed = freshSeed();
console.log(`reproduce tests: AOS_SEED=${seed}`);
const root = mkdtempSync(join(tmpdir(), 'reproduce-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const NODE = [process.execPath, '--import', 'tsx', '--import', './scripts/raw-loader.mjs', 'scripts/methods/reproduce.ts'];
const SWEEP = ['--smoke', '--methods', 'tecoa,aos', '--seeds', '0,1', '--tradeoff-eps', '4,8', '--knob-grid', '1,2', '--test-sets', 'fashion-mnist/test', '--limit', '6', '--other-limit', '3', '--val-limit', '6'];
const N = 3;
const STAGES = ['eps-train', 'eps-eval', 'knob-train', 'knob-eval', 'table-train', 'table-eval'];

const run = (args: string[], env: Record<string, string> = {}) => execFileSync(NODE[0], [...NODE.slice(1), ...args], { encoding: 'utf8', stdio: 'pipe', timeout: 300_000, env: { ...process.env, ...env } });

/** Starts a shard and SIGKILLs it right after its first finished job of the first stage that has ≥ 2 jobs for it. */
function runAndKill(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE[0], [...NODE.slice(1), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (/job 1\/[2-9]\d* done/.test(out)) child.kill('SIGKILL');
    });
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve(out) : reject(new Error(`shard was not killed midway (exit ${code}):\n${out}`))));
  });
}

/** The results file without what may differ between two runs of the same sweep: timings, creation time, command. */
function comparable(f: ResultsFile): unknown {
  const c = structuredClone(f) as ResultsFile & { provenance: { config: Record<string, unknown> } };
  c.provenance.createdAt = '';
  delete c.provenance.config.timing;
  delete c.provenance.config.argv;
  return c;
}

describe('reproduce --smoke, sharded', () => {
  it('N shard processes in random order, one killed midway and rerun, merge to the single-process results', async () => {
    const single = join(root, 'single'), sharded = join(root, 'sharded');
    run([...SWEEP, '--out', single]);
    const one = parseResults(readFileSync(join(single, 'reproduce-smoke.json'), 'utf8'));

    const rng = new Rng(seed);
    const shardArgs = (i: number) => [...SWEEP, '--out', sharded, '--shard', `${i}/${N}`];
    // Shard 0 has 2 of the 4 eps-train jobs: killed after its first, it must leave no shard file, then rerun.
    const killedOut = await runAndKill(shardArgs(0));
    expect(killedOut).toMatch(/eps-train: job 1\/2 done/);
    expect(existsSync(join(sharded, 'shards', `eps-train.0-of-${N}.json`))).toBe(false);
    // Then all N at once, started in random order (as a scheduler would), each waiting at a stage for the others.
    const order = Array.from({ length: N }, (_, i) => i);
    for (let i = N - 1; i > 0; i--) {
      const j = rng.int(0, i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    // The index from the scheduler's environment for shards 1 (Kubernetes) and 2 (Slurm, array from 5).
    const envOf = (i: number): Record<string, string> => (i === 1 ? { JOB_COMPLETION_INDEX: '1' } : i === 2 ? { SLURM_ARRAY_TASK_ID: '7', SLURM_ARRAY_TASK_MIN: '5' } : {});
    const flagOf = (i: number) => (i === 0 ? `${i}/${N}` : `${N}`);
    const outputs = await Promise.all(order.map((i, k) => new Promise<string>((resolve, reject) => {
      setTimeout(() => {
        const child = spawn(NODE[0], [...NODE.slice(1), ...SWEEP, '--out', sharded, '--shard', flagOf(i), '--wait'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...envOf(i) } });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (out += d.toString()));
        child.on('error', reject);
        child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`shard ${i} exited with ${code}:\n${out}`))));
      }, 300 * k);
    })));
    expect(outputs[order.indexOf(0)]).toMatch(/eps-train: job 1\/2 done: \S+ \(kept from an earlier run\)/);
    for (const st of STAGES) for (let i = 0; i < N; i++) expect(existsSync(join(sharded, 'shards', `${st}.${i}-of-${N}.json`)), `${st} ${i}`).toBe(true);
    // A finished shard run again does nothing.
    const f0 = join(sharded, 'shards', `table-eval.0-of-${N}.json`), before = statSync(f0).mtimeMs;
    expect(run(shardArgs(0))).toMatch(/table-eval: done before/);
    expect(statSync(f0).mtimeMs).toBe(before);

    run(['--merge', sharded]);
    const merged = parseResults(readFileSync(join(sharded, 'reproduce-smoke.json'), 'utf8'));
    expect(comparable(merged)).toEqual(comparable(one));
    expect(readFileSync(join(sharded, 'reproduce-smoke.svg'), 'utf8')).toBe(readFileSync(join(single, 'reproduce-smoke.svg'), 'utf8'));

    // What the table needs is there: per-image cells of every table run × ε, the models on disk with their sha256.
    const table = one.runs.filter((r) => r.method === 'aos' || r.method === 'tecoa');
    expect(table.map((r) => r.seed).sort()).toEqual([0, 0, 1, 1]);
    const none = one.runs.filter((r) => r.method === 'none');
    expect(none).toHaveLength(1);
    for (const r of [...table, ...none]) expect(r.cells.filter((c) => c.set === 'fashion-mnist/test').map((c) => c.eps).sort()).toEqual([0, 8 / 255, 24 / 255]);
    for (const f of one.provenance.files.filter((x) => x.path.startsWith('models/'))) expect(statSync(join(single, f.path)).size).toBe(f.bytes);
    // Every trained run carries its per-step curve (loss, terms, gradient norms, clip factor); the undefended one none.
    for (const r of table) {
      expect(r.curve, r.id).toBeDefined();
      expect(r.curve!.step.length).toBeGreaterThan(0);
      expect(r.curve!.loss.every((v) => v === null || Number.isFinite(v))).toBe(true);
      expect(Object.keys(r.curve!.terms).length).toBeGreaterThan(0);
      expect(r.curve!.gradNorm.some((v) => v !== null && v > 0)).toBe(true);
    }
    expect(none[0].curve).toBeUndefined();
    const md = readFileSync(join(single, 'reproduce-smoke.md'), 'utf8');
    expect(md).toContain('Verdict on the headline cell');
    expect(md).toContain('MDD');
    expect(md).toContain('## Cost');
  }, 900_000);

  it('sweep-lambda --smoke: each λᵢ alone against CE, per-term gradient norms and the clip factor recorded, one default per term', () => {
    execFileSync(process.execPath, ['--import', 'tsx', '--import', './scripts/raw-loader.mjs', 'scripts/methods/sweep-lambda.ts',
      '--smoke', '--grid', '1,10', '--out', root], { stdio: 'pipe', timeout: 600_000 });
    const json = JSON.parse(readFileSync(join(root, 'lambda-sweep-smoke.json'), 'utf8')) as {
      trials: Array<{ term: string; lambda: number; clean: number; robust: number; termGradNorms: Record<string, number>; clipFactor: number; ridge?: number }>;
      chosen: Record<string, { lambda: number; why: string }>;
    };
    expect(json.trials.map((t) => `${t.term}:${t.lambda}`)).toEqual(['none:0', 'lambda1:1', 'lambda1:10', 'lambda2:1', 'lambda2:10', 'lambda3:1', 'lambda3:10']);
    const termOf: Record<string, string> = { lambda1: 'advClean', lambda2: 'imageText', lambda3: 'advText' };
    for (const t of json.trials) {
      expect(t.termGradNorms.ce).toBeGreaterThan(0);
      if (t.term !== 'none') expect(t.termGradNorms[termOf[t.term]], `${t.term} ${t.lambda}`).toBeGreaterThan(0);
      expect(t.clipFactor).toBeGreaterThan(0);
      expect(t.clipFactor).toBeLessThanOrEqual(1);
      expect(t.robust).toBeLessThanOrEqual(t.clean);
      expect(t.ridge).toBeGreaterThanOrEqual(0.01);
    }
    // Ten times λ gives ten times the term's gradient norm at the first step's weights — roughly, over a short run.
    const r = json.trials.find((t) => t.term === 'lambda1' && t.lambda === 10)!.termGradNorms.advClean / json.trials.find((t) => t.term === 'lambda1' && t.lambda === 1)!.termGradNorms.advClean;
    expect(r).toBeGreaterThan(5);
    expect(r).toBeLessThan(20);
    for (const k of ['lambda1', 'lambda2', 'lambda3']) expect([1, 10]).toContain(json.chosen[k].lambda);
  }, 600_000);
});
