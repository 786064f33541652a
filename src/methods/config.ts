/**
 * Configuration of robust fine-tuning (TeCoA, PMG-AFT, FARE, AoS) and its mapping from the UI's experiment config
 * (src/experiment/config.ts: the hyper-parameter names there are accepted as they are). Plain data.
 */
import type { ExperimentConfig } from '../experiment/config';

export const METHOD_NAMES = ['tecoa', 'pmg-aft', 'fare', 'aos'] as const;
export type MethodName = (typeof METHOD_NAMES)[number];

export type Towers = 'vision' | 'text' | 'both';

/** The attack inside a training step (PGD, L∞, on [0, 1] pixels). */
export interface TrainAttackConfig {
  /** L∞ budget in [0, 1] pixel units (default 1/255, the TeCoA / PMG-AFT training budget). */
  eps: number;
  /** Step size (default = eps, as TeCoA's α = ε = 1/255 with 2 steps). */
  alpha?: number;
  /** PGD steps (default 2). 0: the random start only. */
  steps: number;
  /** Uniform random start in the ε-ball (default true). */
  randomStart: boolean;
}

export interface AosOptions {
  /** Weight of d(adversarial image group, clean image group). */
  lambda1: number;
  /** Weight of d(image groups, their class's text group). */
  lambda2: number;
  /** Weight of d(adversarial text group, clean text group); acts only when the text tower trains. */
  lambda3: number;
  /** Weight of the zero-shot CE on the adversarial views (default 1; 0 only isolates the subspace terms in tests). */
  ceWeight: number;
  /** m: augmented views per image; an image group has 1 + m rows (≤ 32). */
  augmentations: number;
  /** Text group = the first `templates` prompt templates × the first `synonyms` class synonyms (≤ 32 rows). */
  templates: number;
  synonyms: number;
  /**
   * 'residual' (default): d(X → Y) = tr(P_X(I − P_Y))/n, directional — the target (clean group, class text group) is
   * fixed and gets no gradient; 'projection': ½‖P_X − P_Y‖²_F, symmetric, gradients to both groups; 'moment':
   * ‖XᵀX/n − YᵀY/m‖²_F, symmetric. Projectors are ridge-regularised: P = Xᵀ(XXᵀ + ρI)⁻¹X.
   */
  distance: 'residual' | 'projection' | 'moment';
  /**
   * ρ, or 'auto': the median non-leading Gram eigenvalue of the first batch's clean image groups, at least
   * `MIN_AUTO_RIDGE` (fixed for the run and kept in its checkpoints).
   */
  ridge: number | 'auto';
  /** Mean-direction alignment: every group is replaced by its mean (a rank-1 subspace). An ablation. */
  rank1: boolean;
  /** Which image groups the λ2 term aligns with the text group (default both). */
  imageTextGroups: 'both' | 'clean' | 'adversarial';
  /** Text attack: L2 radius per prompt relative to the norm of its token embeddings (up to EOS). */
  textEps: number;
  /** Text attack: PGD steps (default: the image attack's). */
  textSteps?: number;
  /** Text attack: step size relative to the prompt's token-embedding norm (default = textEps). */
  textAlpha?: number;
}

export interface TecoaOptions {
  /** Class embedding = mean over every template (canonical synonym); else the first template only. */
  promptEnsemble: boolean;
}

export interface PmgAftOptions {
  /** Weight of KL(original model on x_adv ‖ current model on x_adv). */
  alpha: number;
  /** Weight of KL(current model on x ‖ current model on x_adv). */
  beta: number;
  promptEnsemble: boolean;
  /**
   * How the KL terms reduce over the batch: 'sum' (default, the authors' code: `KLDivLoss(reduction="sum")`, so a KL
   * weighs ×B against the batch-mean CE) or 'mean' (the batch mean; this library's earlier behaviour).
   */
  klReduction?: 'sum' | 'mean';
  /**
   * Direction of the α term: 'adv-orig' (default, the authors' code: `criterion_kl(log_softmax(output_ori),
   * softmax(output))` = KL(p_adv ‖ p_orig)) or 'orig-adv' = KL(p_orig ‖ p_adv) (this library's earlier behaviour).
   */
  klDirection?: 'adv-orig' | 'orig-adv';
}

export interface FareOptions {
  /** 'l2-squared' (as published) or 'l2'. */
  loss: 'l2-squared' | 'l2';
  /** PGD steps of FARE's inner attack (default 10, the paper's PGD-10; not the shared `attack.steps`). */
  attackSteps?: number;
  /** Its step size in [0, 1] pixel units (default `attack.alpha` if set, else ε/4: the paper's 1/255 at ε = 4/255). */
  attackAlpha?: number;
}

export interface FineTuneConfig {
  method: MethodName;
  seed: number;
  /** Which towers train (default: AoS both, the baselines the vision tower as published; FARE always vision). */
  towers: Towers;
  optimizer: 'adamw' | 'sgd';
  /** Peak learning rate of the vision tower. */
  lr: number;
  /** The text tower's learning rate = lr × this. */
  textLrMultiplier: number;
  weightDecay: number;
  /** Global gradient-norm clipping over every trained tensor (undefined: none). */
  maxGradNorm?: number;
  /** SGD momentum. */
  momentum: number;
  warmupSteps: number;
  /** Final LR / peak (cosine decay). */
  minLrRatio: number;
  /** Total optimisation steps (the schedule's length). */
  steps: number;
  batchSize: number;
  /** Light augmentation of the base view of every method ('none': the image as stored). */
  augment: 'light' | 'none';
  attack: TrainAttackConfig;
  aos: AosOptions;
  tecoa: TecoaOptions;
  pmgAft: PmgAftOptions;
  fare: FareOptions;
  /** Validation metrics every this many steps (0: never). */
  evalEvery: number;
  /** Images of the validation batch. */
  valBatch: number;
  /** PGD steps of the validation robust accuracy (ε = the training ε). */
  valAttackSteps: number;
}

/** The smallest ridge `'auto'` picks: keeps the residual distance's gradient bound 1/√(nρ) at most 10/√n. */
export const MIN_AUTO_RIDGE = 0.01;

export const DEFAULT_AOS: Readonly<AosOptions> = Object.freeze({
  lambda1: 1, lambda2: 1, lambda3: 1, ceWeight: 1, augmentations: 4, templates: 8, synonyms: 3,
  distance: 'residual', ridge: 'auto', rank1: false, imageTextGroups: 'both', textEps: 0.1,
});

export function defaultFineTuneConfig(method: MethodName = 'aos'): FineTuneConfig {
  return {
    method, seed: 0, towers: method === 'aos' ? 'both' : 'vision', optimizer: 'adamw', lr: 1e-4, textLrMultiplier: 0.1,
    weightDecay: 1e-4, maxGradNorm: 1, momentum: 0.9, warmupSteps: 0, minLrRatio: 0.02, steps: 100, batchSize: 32,
    augment: 'light', attack: { eps: 1 / 255, steps: 2, randomStart: true },
    aos: { ...DEFAULT_AOS }, tecoa: { promptEnsemble: true }, pmgAft: { alpha: 1, beta: 1, promptEnsemble: true, klReduction: 'sum', klDirection: 'adv-orig' },
    fare: { loss: 'l2-squared', attackSteps: 10 }, evalEvery: 1, valBatch: 32, valAttackSteps: 10,
  };
}

/** A config with some fields replaced (nested method options merged field by field). */
export function withFineTuneConfig(base: FineTuneConfig, patch: Partial<Omit<FineTuneConfig, 'aos' | 'attack' | 'tecoa' | 'pmgAft' | 'fare'>> & {
  aos?: Partial<AosOptions>; attack?: Partial<TrainAttackConfig>; tecoa?: Partial<TecoaOptions>; pmgAft?: Partial<PmgAftOptions>; fare?: Partial<FareOptions>;
}): FineTuneConfig {
  return {
    ...base, ...patch,
    aos: { ...base.aos, ...patch.aos }, attack: { ...base.attack, ...patch.attack }, tecoa: { ...base.tecoa, ...patch.tecoa },
    pmgAft: { ...base.pmgAft, ...patch.pmgAft }, fare: { ...base.fare, ...patch.fare },
  };
}

/** The towers that train: `towers` as given, except FARE (no text in its loss: vision only). */
export function resolvedTowers(c: FineTuneConfig): { vision: boolean; text: boolean } {
  const t = c.method === 'fare' ? 'vision' : c.towers;
  return { vision: t !== 'text', text: t !== 'vision' };
}

/** Checks ranges; throws a RangeError naming the field. */
export function validateFineTuneConfig(c: FineTuneConfig): void {
  const pos = (v: number, what: string, int = false) => {
    if (!(v > 0) || !Number.isFinite(v) || (int && !Number.isInteger(v))) throw new RangeError(`fine-tune config: ${what} must be ${int ? 'a positive integer' : '> 0'}, got ${v}`);
  };
  const nonneg = (v: number, what: string) => {
    if (!(v >= 0) || !Number.isFinite(v)) throw new RangeError(`fine-tune config: ${what} must be ≥ 0, got ${v}`);
  };
  if (!METHOD_NAMES.includes(c.method)) throw new RangeError(`fine-tune config: unknown method '${String(c.method)}'`);
  pos(c.lr, 'lr');
  nonneg(c.textLrMultiplier, 'textLrMultiplier');
  nonneg(c.weightDecay, 'weightDecay');
  pos(c.steps, 'steps', true);
  pos(c.batchSize, 'batchSize', true);
  nonneg(c.attack.eps, 'attack.eps');
  if (!Number.isInteger(c.attack.steps) || c.attack.steps < 0) throw new RangeError(`fine-tune config: attack.steps must be an integer ≥ 0, got ${c.attack.steps}`);
  const pm = c.pmgAft;
  if (pm.klReduction !== undefined && pm.klReduction !== 'sum' && pm.klReduction !== 'mean') throw new RangeError(`fine-tune config: pmgAft.klReduction must be 'sum' or 'mean', got ${String(pm.klReduction)}`);
  if (pm.klDirection !== undefined && pm.klDirection !== 'adv-orig' && pm.klDirection !== 'orig-adv') throw new RangeError(`fine-tune config: pmgAft.klDirection must be 'adv-orig' or 'orig-adv', got ${String(pm.klDirection)}`);
  if (c.fare.attackSteps !== undefined && (!Number.isInteger(c.fare.attackSteps) || c.fare.attackSteps < 0)) throw new RangeError(`fine-tune config: fare.attackSteps must be an integer ≥ 0, got ${c.fare.attackSteps}`);
  if (c.fare.attackAlpha !== undefined) pos(c.fare.attackAlpha, 'fare.attackAlpha');
  const a = c.aos;
  for (const k of ['lambda1', 'lambda2', 'lambda3', 'ceWeight', 'textEps'] as const) nonneg(a[k], `aos.${k}`);
  if (!Number.isInteger(a.augmentations) || a.augmentations < 0) throw new RangeError(`fine-tune config: aos.augmentations must be an integer ≥ 0, got ${a.augmentations}`);
  pos(a.templates, 'aos.templates', true);
  pos(a.synonyms, 'aos.synonyms', true);
  if (a.ridge !== 'auto') pos(a.ridge, 'aos.ridge');
  if (!['residual', 'projection', 'moment'].includes(a.distance)) throw new RangeError(`fine-tune config: aos.distance must be 'residual', 'projection' or 'moment', got '${String(a.distance)}'`);
  if (a.augmentations + 1 > 32) throw new RangeError(`fine-tune config: an image group has 1 + m = ${a.augmentations + 1} rows; the subspace kernels take at most 32`);
  if (a.templates * a.synonyms > 32) throw new RangeError(`fine-tune config: a text group has ${a.templates} × ${a.synonyms} rows; the subspace kernels take at most 32`);
}

export interface MappedConfig {
  config: FineTuneConfig;
  /** Settings of the experiment config that were not taken as they are, and why. */
  notes: string[];
}

/** The fine-tuning config of an experiment (UI names: method.aos.lambda1…, train.lr, train.advEpsilon…). */
export function fromExperimentConfig(e: ExperimentConfig): MappedConfig {
  const notes: string[] = [];
  const method = e.method.kind;
  const base = defaultFineTuneConfig(method);
  const config = withFineTuneConfig(base, {
    seed: e.seed, towers: method === 'aos' ? e.train.towers : 'vision', optimizer: e.train.optimizer, lr: e.train.lr, textLrMultiplier: e.train.textLrMultiplier,
    weightDecay: e.train.weightDecay, batchSize: e.train.batchSize, steps: e.budget.steps, evalEvery: e.budget.evalEvery,
    attack: { eps: e.train.advEpsilon, steps: e.train.advSteps },
    aos: {
      lambda1: e.method.aos.lambda1, lambda2: e.method.aos.lambda2, lambda3: e.method.aos.lambda3,
      augmentations: e.method.aos.augmentations, synonyms: e.method.aos.synonyms, templates: e.method.aos.templates,
      distance: e.method.aos.distance, ridge: e.method.aos.ridgeFromSpectrum ? 'auto' : e.method.aos.ridge, rank1: e.method.aos.rank1Ablation,
    },
    tecoa: { promptEnsemble: e.method.tecoa.promptEnsemble },
    pmgAft: { alpha: e.method.pmgAft.alpha, beta: e.method.pmgAft.beta },
    fare: { loss: e.method.fare.loss },
  });
  if (method !== 'aos' && e.train.towers !== 'vision') {
    notes.push(`train.towers = '${e.train.towers}' applies to AoS; ${method} fine-tunes the vision tower as published`);
  }
  if (method === 'aos' && e.train.towers === 'vision' && e.method.aos.lambda3 > 0) {
    notes.push('λ3 (adversarial → clean text) has no effect: the text tower does not train');
  }
  return { config, notes };
}
