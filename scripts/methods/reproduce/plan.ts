/**
 * The sweep of `npm run reproduce` as stages of independent jobs with stable ids (pure: no GPU, no files).
 *
 *   eps-train   every method at each training ε of the trade-off grid, its knob at ×1, first seed
 *   eps-eval    each of those models on Fashion-MNIST val (clean + the protocol at the headline ε)
 *               → the training ε shared by every method (`chooseTrainEps`)
 *   knob-train  every method at that ε, each multiplier of the knob grid on its own key knob, first seed
 *   knob-eval   each new model on the same val images → each method's knob (`chooseKnob`)
 *   table-train every method × every seed at the chosen ε and knob
 *   table-eval  the undefended model and every table model × each test set (headline ε on `headlineLimit`
 *               images, the other ε of the grid on `otherLimit`)
 *
 * A job's id names what it computes (`train/aos/eps8/lambda-x1/seed0`, `eval/tecoa/eps8/lr-x3/seed1/mnist/test`),
 * so a job that two stages both want (the ×1 knob at the chosen ε is an eps-train job) runs once: a stage's plan
 * leaves out ids already done. Each stage's plan depends only on the results of the stages before it.
 */
import { DEFAULT_AOS, withFineTuneConfig, type FineTuneConfig, type MethodName } from '../../../src/methods/config';

export const STAGES = ['eps-train', 'eps-eval', 'knob-train', 'knob-eval', 'table-train', 'table-eval'] as const;
export type Stage = (typeof STAGES)[number];

export type Mode = 'full' | 'quick' | 'smoke';

/** Everything that decides which jobs exist and what they compute (timings and paths excluded). */
export interface SweepSettings {
  mode: Mode;
  methods: MethodName[];
  seeds: number[];
  /** Training ε grid of the trade-off sweep, in /255. */
  tradeoffEps255: number[];
  /** Multipliers of each method's key knob (the same number of candidates for every method). */
  knobGrid: number[];
  /** ε grid of the evaluation (in /255) and its headline ε. */
  evalEps255: number[];
  headlineEps255: number;
  /** Test images per set at the headline ε and at the other ε; validation images (Fashion-MNIST val). */
  headlineLimit: number;
  otherLimit: number;
  valLimit: number;
  testSets: string[];
  valSet: string;
}

/** Each method's key knob: what a multiplier scales. The same candidates for all (`knobGrid`). */
export const KNOBS: Record<MethodName, { name: string; describe: string; apply: (c: FineTuneConfig, multiplier: number) => FineTuneConfig }> = {
  tecoa: { name: 'lr', describe: 'learning rate', apply: (c, k) => withFineTuneConfig(c, { lr: c.lr * k }) },
  'pmg-aft': { name: 'kl', describe: 'KL weights α = β', apply: (c, k) => withFineTuneConfig(c, { pmgAft: { alpha: c.pmgAft.alpha * k, beta: c.pmgAft.beta * k } }) },
  fare: { name: 'lr', describe: 'learning rate', apply: (c, k) => withFineTuneConfig(c, { lr: c.lr * k }) },
  aos: { name: 'lambda', describe: 'λ scale (λᵢ = s × default)', apply: (c, k) => withFineTuneConfig(c, { aos: { lambda1: k * DEFAULT_AOS.lambda1, lambda2: k * DEFAULT_AOS.lambda2, lambda3: k * DEFAULT_AOS.lambda3 } }) },
};

export interface TrainJob {
  kind: 'train';
  id: string;
  stage: Stage;
  method: MethodName;
  seed: number;
  trainEps255: number;
  knobMultiplier: number;
}

export interface EvalJob {
  kind: 'eval';
  id: string;
  stage: Stage;
  /** 'pretrained' or a train job's id. */
  model: string;
  /** 'dataset/split'. */
  set: string;
  /** val: the headline ε on `valLimit` images; test: the headline ε on `headlineLimit`, the rest on `otherLimit`. */
  purpose: 'val' | 'test';
}

export type Job = TrainJob | EvalJob;

export const PRETRAINED = 'pretrained';

const num = (x: number) => String(+x.toPrecision(6));

export function trainJobId(method: MethodName, trainEps255: number, knobMultiplier: number, seed: number): string {
  return `train/${method}/eps${num(trainEps255)}/${KNOBS[method].name}-x${num(knobMultiplier)}/seed${seed}`;
}

/** The model part of an eval id: the train id without its 'train/' prefix, or 'pretrained'. */
export const modelKey = (model: string) => (model === PRETRAINED ? model : model.replace(/^train\//, ''));

export function evalJobId(model: string, set: string): string {
  return `eval/${modelKey(model)}/${set}`;
}

/** A job id as a file or folder name (no slashes). */
export const idToName = (id: string) => id.replace(/\//g, '__');

/** Val accuracies of a model (fractions), what the selections read. */
export interface ValScore {
  clean: number;
  robust: number;
}

/** What the plan of later stages depends on: the val score of each model evaluated so far. */
export type ValScores = ReadonlyMap<string, ValScore>;

/**
 * The shared training ε: the one with the highest mean over methods of (val clean + val robust at the headline
 * ε) / 2 — both sides of the trade-off count equally, fixed before the runs; ties → the smaller ε.
 */
export function chooseTrainEps(s: SweepSettings, val: ValScores): { eps255: number; scores: Array<{ eps255: number; score: number }> } {
  const scores = s.tradeoffEps255.map((e) => {
    const v = s.methods.map((m) => val.get(trainJobId(m, e, 1, s.seeds[0])));
    if (v.some((x) => !x)) throw new Error(`chooseTrainEps: val results missing at ε ${e}/255`);
    return { eps255: e, score: v.reduce((a, x) => a + (x!.clean + x!.robust) / 2, 0) / v.length };
  });
  const best = [...scores].sort((a, b) => b.score - a.score || a.eps255 - b.eps255)[0];
  return { eps255: best.eps255, scores };
}

/** A method's knob multiplier: the best val robust accuracy at the headline ε; ties → clean, then closest to ×1. */
export function chooseKnob(s: SweepSettings, method: MethodName, trainEps255: number, val: ValScores): number {
  const c = s.knobGrid.map((k) => {
    const v = val.get(trainJobId(method, trainEps255, k, s.seeds[0]));
    if (!v) throw new Error(`chooseKnob: val results missing for ${method} ×${k}`);
    return { k, ...v };
  });
  return c.sort((a, b) => b.robust - a.robust || b.clean - a.clean || Math.abs(Math.log(a.k)) - Math.abs(Math.log(b.k)))[0].k;
}

const uniqueNew = <T extends Job>(jobs: T[], done: ReadonlySet<string>): T[] => {
  const seen = new Set<string>();
  return jobs.filter((j) => !done.has(j.id) && !seen.has(j.id) && seen.add(j.id)).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
};

/**
 * The jobs of `stage`, given the ids of every job done in earlier stages and the val scores so far (the stages
 * before it must be complete). Sorted by id; ids already done are left out.
 */
export function planStage(stage: Stage, s: SweepSettings, done: ReadonlySet<string>, val: ValScores): Job[] {
  const seed0 = s.seeds[0];
  const evalsFor = (st: Stage, models: string[], purpose: 'val' | 'test', sets: string[]): EvalJob[] =>
    models.flatMap((model) => sets.map((set) => ({ kind: 'eval' as const, id: evalJobId(model, set), stage: st, model, set, purpose })));
  const train = (st: Stage, method: MethodName, eps: number, k: number, seed: number): TrainJob => ({ kind: 'train', id: trainJobId(method, eps, k, seed), stage: st, method, seed, trainEps255: eps, knobMultiplier: k });
  const epsTrain = () => s.methods.flatMap((m) => s.tradeoffEps255.map((e) => train('eps-train', m, e, 1, seed0)));
  const knobTrain = (eps: number) => s.methods.flatMap((m) => s.knobGrid.map((k) => train('knob-train', m, eps, k, seed0)));
  const tableTrain = (eps: number) => s.methods.flatMap((m) => s.seeds.map((seed) => train('table-train', m, eps, chooseKnob(s, m, eps, val), seed)));
  switch (stage) {
    case 'eps-train': return uniqueNew(epsTrain(), done);
    case 'knob-train': return uniqueNew(knobTrain(chooseTrainEps(s, val).eps255), done);
    case 'table-train': return uniqueNew(tableTrain(chooseTrainEps(s, val).eps255), done);
    case 'eps-eval': return uniqueNew(evalsFor(stage, epsTrain().map((j) => j.id), 'val', [s.valSet]), done);
    case 'knob-eval': return uniqueNew(evalsFor(stage, knobTrain(chooseTrainEps(s, val).eps255).map((j) => j.id), 'val', [s.valSet]), done);
    case 'table-eval': return uniqueNew(evalsFor(stage, [PRETRAINED, ...tableTrain(chooseTrainEps(s, val).eps255).map((j) => j.id)], 'test', s.testSets), done);
  }
  throw new Error(`unknown stage ${String(stage)}`);
}

/** The table's models: each method × seed at the chosen ε and knob (after the knob stage). */
export function tableModels(s: SweepSettings, val: ValScores): Array<{ id: string; method: MethodName; seed: number; knob: number; eps255: number }> {
  const eps = chooseTrainEps(s, val).eps255;
  return s.methods.flatMap((m) => {
    const k = chooseKnob(s, m, eps, val);
    return s.seeds.map((seed) => ({ id: trainJobId(m, eps, k, seed), method: m, seed, knob: k, eps255: eps }));
  });
}
