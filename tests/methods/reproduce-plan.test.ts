/**
 * The sweep plan and the shard bookkeeping of `npm run reproduce` (pure): stable, unique job ids; every method gets
 * the same number of knob candidates on the same val set; a job two stages want runs once; the selections follow
 * their written rules; shards split a stage without overlap or gap whatever N; the shard index comes from the flag,
 * Kubernetes' JOB_COMPLETION_INDEX or Slurm's SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN; a stage is complete only
 * when every shard of one layout has written its file; atomic writes leave no temp file.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { STAGES, chooseKnob, chooseTrainEps, planStage, tableModels, trainJobId, type Job, type SweepSettings, type ValScore } from '../../scripts/methods/reproduce/plan';
import { parseShard, shardJobs, stageComplete, writeAtomic, type ShardFile } from '../../scripts/methods/reproduce/shard';
import { Rng, freshSeed } from '../../src/util/random';

const seed = freshSeed();
console.log(`reproduce plan tests: AOS_SEED=${seed}`);
const dir = mkdtempSync(join(tmpdir(), 'reproduce-plan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const settings: SweepSettings = {
  mode: 'quick', methods: ['tecoa', 'pmg-aft', 'fare', 'aos'], seeds: [0, 1, 2], tradeoffEps255: [2, 4, 8, 16], knobGrid: [0.3, 1, 3],
  evalEps255: [4, 8, 16, 24, 32, 48], headlineEps255: 24, headlineLimit: 500, otherLimit: 100, valLimit: 200,
  testSets: ['fashion-mnist/test', 'mnist/test', 'digits/test'], valSet: 'fashion-mnist/val',
};

/** Runs the whole plan with random val scores; returns every stage's jobs. */
function walk(s: SweepSettings, rng: Rng): { stages: Job[][]; val: Map<string, ValScore> } {
  const done = new Set<string>(), val = new Map<string, ValScore>(), stages: Job[][] = [];
  for (const st of STAGES) {
    const jobs = planStage(st, s, done, val);
    stages.push(jobs);
    for (const j of jobs) {
      done.add(j.id);
      if (j.kind === 'eval' && j.purpose === 'val') val.set(j.model, { clean: rng.next(), robust: rng.next() / 2 });
    }
  }
  return { stages, val };
}

describe('reproduce plan', () => {
  it('unique stable ids; equal selection budgets; shared jobs run once; the table has every method × seed', () => {
    const rng = new Rng(seed);
    const { stages, val } = walk(settings, rng);
    const all = stages.flat();
    expect(new Set(all.map((j) => j.id)).size).toBe(all.length);
    const [epsTrain, epsEval, knobTrain, knobEval, tableTrain, tableEval] = stages;
    expect(epsTrain).toHaveLength(4 * 4);
    expect(epsEval.every((j) => j.kind === 'eval' && j.purpose === 'val' && j.set === 'fashion-mnist/val')).toBe(true);
    // ×1 at the chosen ε is an eps-train job: each method has 2 new knob candidates, 3 in all.
    const eps = chooseTrainEps(settings, val).eps255;
    expect(knobTrain).toHaveLength(4 * 2);
    for (const m of settings.methods) {
      const candidates = settings.knobGrid.map((k) => trainJobId(m, eps, k, 0));
      expect(candidates.every((id) => [...epsTrain, ...knobTrain].some((j) => j.id === id)), m).toBe(true);
    }
    expect(knobEval).toHaveLength(knobTrain.length);
    // Seed 0 of the table is the chosen knob's search run: only the other seeds train.
    expect(tableTrain).toHaveLength(4 * 2);
    const models = tableModels(settings, val);
    expect(models).toHaveLength(12);
    expect(tableEval).toHaveLength((1 + 12) * 3);
    expect(tableEval.filter((j) => j.kind === 'eval' && j.model === 'pretrained')).toHaveLength(3);
    // Same inputs, same plan.
    expect(walk(settings, new Rng(seed)).stages).toEqual(stages);
  });

  it('selections follow their rules', () => {
    const val = new Map<string, ValScore>();
    const v = (clean: number, robust: number) => ({ clean, robust });
    for (const m of settings.methods) {
      settings.tradeoffEps255.forEach((e) => val.set(trainJobId(m, e, 1, 0), v(0.8 - e / 100, e / 50)));
      val.set(trainJobId(m, 8, 0.3, 0), v(0.7, 0.1));
      val.set(trainJobId(m, 8, 3, 0), m === 'aos' ? v(0.5, 0.3) : v(0.9, 0.16));
    }
    // (clean + robust)/2: ε 2 → 0.41, 4 → 0.42, 8 → 0.44, 16 → 0.48.
    expect(chooseTrainEps(settings, val).eps255).toBe(16);
    val.set(trainJobId('aos', 16, 1, 0), v(0, 0));
    val.set(trainJobId('tecoa', 16, 1, 0), v(0, 0));
    expect(chooseTrainEps(settings, val).eps255).toBe(8);
    expect(chooseKnob(settings, 'aos', 8, val)).toBe(3);
    // ×1 and ×3 tie on robust (0.16): clean decides.
    expect(chooseKnob(settings, 'tecoa', 8, val)).toBe(3);
    val.set(trainJobId('fare', 8, 3, 0), v(0.64, 0.16));
    expect(chooseKnob(settings, 'fare', 8, val)).toBe(1);
    expect(() => chooseKnob(settings, 'fare', 4, val)).toThrow(/missing/);
  });
});

describe('shards', () => {
  it('split a stage without overlap or gap for any N', () => {
    const rng = new Rng(seed ^ 7);
    const jobs = Array.from({ length: 1 + rng.int(0, 60) }, (_, i) => ({ id: `job${String(i).padStart(3, '0')}` }));
    for (const N of [1, 2, 3, 7, 64]) {
      const parts = Array.from({ length: N }, (_, i) => shardJobs(jobs, { index: i, count: N }));
      expect(parts.flat().map((j) => j.id).sort()).toEqual(jobs.map((j) => j.id));
      expect(Math.max(...parts.map((p) => p.length)) - Math.min(...parts.map((p) => p.length))).toBeLessThanOrEqual(1);
    }
  });

  it('take the index from the flag, Kubernetes or Slurm, and refuse what does not fit', () => {
    expect(parseShard(undefined, {})).toEqual({ index: 0, count: 1 });
    expect(parseShard('2/5', {})).toEqual({ index: 2, count: 5 });
    expect(parseShard('5', { JOB_COMPLETION_INDEX: '4' })).toEqual({ index: 4, count: 5 });
    expect(parseShard('/5', { SLURM_ARRAY_TASK_ID: '13', SLURM_ARRAY_TASK_MIN: '10' })).toEqual({ index: 3, count: 5 });
    expect(() => parseShard('5', {})).toThrow(/no index/);
    expect(() => parseShard('5/5', {})).toThrow(/not in \[0, 5\)/);
    expect(() => parseShard('5', { JOB_COMPLETION_INDEX: '9' })).toThrow(/not in/);
    expect(() => parseShard('a/b', {})).toThrow(/expected/);
    expect(() => parseShard('true', {})).toThrow(/needs a value/);
  });

  it('a stage is complete when every shard of one layout is there; writes are atomic', async () => {
    const f = (stage: ShardFile['stage'], index: number, count: number) => ({ stage, shard: { index, count } }) as ShardFile;
    expect(stageComplete([f('eps-train', 0, 2)], 'eps-train')).toBe(false);
    expect(stageComplete([f('eps-train', 0, 2), f('eps-train', 1, 2)], 'eps-train')).toBe(true);
    expect(stageComplete([f('eps-train', 0, 2), f('eps-train', 1, 3)], 'eps-train')).toBe(false);
    expect(stageComplete([f('eps-train', 0, 1)], 'eps-eval')).toBe(false);
    const path = join(dir, 'a', 'x.json');
    await writeAtomic(path, 'one');
    await writeAtomic(path, 'two');
    expect(readFileSync(path, 'utf8')).toBe('two');
    expect(readdirSync(join(dir, 'a'))).toEqual(['x.json']);
  });
});
