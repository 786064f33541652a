/**
 * `npm run reproduce -- --smoke` end to end on the bundled model (a handful of steps and images): the λ search on
 * the validation split runs and picks one of its grid values, every requested row appears in the tables with its
 * seed count, the cost section is written, and the JSON records each run's evaluation with robust ≤ clean.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_AOS } from '../../src/methods/config';

const out = mkdtempSync(join(tmpdir(), 'reproduce-smoke-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('reproduce --smoke', () => {
  it('selects λ on val, fine-tunes, evaluates and writes the tables', () => {
    const grid = [0.5, 2];
    execFileSync(process.execPath, ['--import', 'tsx', '--import', './scripts/raw-loader.mjs', 'scripts/methods/reproduce.ts',
      '--smoke', '--rows', 'no-defence,aos,aos-rank1', '--seeds', '0,1', '--lambda-grid', grid.join(','), '--out', out], { stdio: 'pipe', timeout: 600_000 });
    const md = readFileSync(join(out, 'reproduce-smoke.md'), 'utf8');
    const json = JSON.parse(readFileSync(join(out, 'reproduce-smoke.json'), 'utf8')) as {
      lambdaTrials: Array<{ scale: number; clean: number; robust: number }>;
      lambdaScale: number;
      runs: Array<{ row: string; seed: number; config?: { aos: { lambda1: number; rank1: boolean } }; eval: Array<{ clean: number; robust: Array<{ worst: number }> }> }>;
      cpuSeconds: number;
    };
    expect(json.lambdaTrials.map((t) => t.scale)).toEqual(grid);
    expect(grid).toContain(json.lambdaScale);
    const best = Math.max(...json.lambdaTrials.map((t) => t.robust));
    expect(json.lambdaTrials.find((t) => t.scale === json.lambdaScale)!.robust).toBe(best);
    // Main rows every seed, ablations the first; the AoS rows use the chosen λ.
    expect(json.runs.map((r) => `${r.row}:${r.seed}`)).toEqual(['no-defence:0', 'no-defence:1', 'aos:0', 'aos:1', 'aos-rank1:0']);
    for (const r of json.runs.filter((x) => x.config)) expect(r.config!.aos.lambda1).toBe(json.lambdaScale * DEFAULT_AOS.lambda1);
    expect(json.runs.find((r) => r.row === 'aos-rank1')!.config!.aos.rank1).toBe(true);
    for (const r of json.runs) for (const e of r.eval) for (const x of e.robust) expect(x.worst).toBeLessThanOrEqual(e.clean);
    expect(json.cpuSeconds).toBeGreaterThan(0);
    expect(md).toContain('λ chosen on the validation split');
    expect(md).toMatch(/\| AoS rank 1 \(mean-direction alignment\) \| 1 \|/);
    expect(md).toMatch(/\| AoS \| 2 \|/);
    expect(md).toContain('### Cost');
  }, 600_000);

  it('sweep-lambda --smoke: each λᵢ alone against CE, per-term gradient norms and the clip factor recorded, one default per term', () => {
    execFileSync(process.execPath, ['--import', 'tsx', '--import', './scripts/raw-loader.mjs', 'scripts/methods/sweep-lambda.ts',
      '--smoke', '--grid', '1,10', '--out', out], { stdio: 'pipe', timeout: 600_000 });
    const json = JSON.parse(readFileSync(join(out, 'lambda-sweep-smoke.json'), 'utf8')) as {
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
