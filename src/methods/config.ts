/**
 * Configuration of robust fine-tuning (TeCoA, PMG-AFT, FARE, AoS). One vocabulary from the UI to the loop: the
 * settings a researcher chooses are the spec in src/experiment/fineTune.ts (names, defaults, ranges — the experiment
 * config carries them as `fineTune`); `FineTuneConfig` is that plus the settings only scripts and tests change, and
 * its defaults and range checks come from the spec. Plain data.
 */
import type { ExperimentConfig } from '../experiment/config';
import { fineTuneSpec, MAX_GROUP_ROWS, METHODS, type MethodKind } from '../experiment/fineTune';
import { V1_ALL_TEMPLATES } from '../experiment/migrateV1';
import { validateAgainst, type Infer, type Issue } from '../experiment/spec';

/** The methods (one list: the experiment spec's). */
export const METHOD_NAMES = METHODS;
export type MethodName = MethodKind;

/** The settings of the spec (what the UI, links and run records carry). */
export type FineTuneSettings = Infer<typeof fineTuneSpec>;

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
  /** m: augmented views per image; an image group has 1 + m rows (≤ 32). The text group is the loop's prompt set. */
  augmentations: number;
  /**
   * 'residual' (default): d(X → Y) = tr(P_X(I − P_Y))/n, directional — the target (clean group, class text group) is
   * fixed and gets no gradient; 'projection': ½‖P_X − P_Y‖²_F, symmetric, gradients to both groups; 'moment':
   * ‖XᵀX/n − YᵀY/m‖²_F, symmetric. Projectors are ridge-regularised: P = Xᵀ(XXᵀ + ρI)⁻¹X.
   */
  distance: 'residual' | 'projection' | 'moment';
  /**
   * ρ from the spectrum: the median non-leading Gram eigenvalue of the first batch's clean image groups, at least
   * `MIN_AUTO_RIDGE` (fixed for the run and kept in its checkpoints); else `ridge`.
   */
  ridgeFromSpectrum: boolean;
  /** ρ when not taken from the spectrum. */
  ridge: number;
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

export interface PmgAftOptions {
  /** Weight of KL(original model on x_adv ‖ current model on x_adv). */
  alpha: number;
  /** Weight of KL(current model on x ‖ current model on x_adv). */
  beta: number;
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

export interface PromptSet {
  /** The first `templates` prompt templates × the first `synonyms` class synonyms (≤ 32 prompts per class). */
  templates: number;
  synonyms: number;
}

export interface FineTuneConfig {
  method: MethodName;
  seed: number;
  /** Which towers train, the same default for every method (FARE: always vision — its loss has no text term). */
  towers: Towers;
  /**
   * The prompts of every method's class embeddings (their ensemble) and of AoS's text groups, the same default for
   * every method (TeCoA's and PMG-AFT's published single template is `{ templates: 1, synonyms: 1 }`).
   */
  prompts: PromptSet;
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
  pmgAft: PmgAftOptions;
  fare: FareOptions;
  /** Validation metrics every this many steps (0: never). */
  evalEvery: number;
  /** Images of the validation batch. */
  valBatch: number;
  /** PGD steps of the validation robust accuracy (ε = the training ε). */
  valAttackSteps: number;
}

/** The smallest ridge taken from the spectrum: keeps the residual distance's gradient bound 1/√(nρ) at most 10/√n. */
export const MIN_AUTO_RIDGE = 0.01;

const SPEC: FineTuneSettings = fineTuneSpec.default;

export const DEFAULT_AOS: Readonly<AosOptions> = Object.freeze({ ...SPEC.aos, ceWeight: 1, imageTextGroups: 'both', textEps: 0.1 });

/** The defaults: the spec's for what it holds (the same for every method), the loop's own for the rest. */
export function defaultFineTuneConfig(method: MethodName = 'aos'): FineTuneConfig {
  const s = structuredClone(SPEC);
  return {
    ...s, method, seed: 0, maxGradNorm: 1, momentum: 0.9, warmupSteps: 0, minLrRatio: 0.02, augment: 'light',
    attack: { ...s.attack, randomStart: true },
    aos: { ...DEFAULT_AOS }, pmgAft: { ...s.pmgAft, klReduction: 'sum', klDirection: 'adv-orig' },
    fare: { ...s.fare, attackSteps: 10 }, valBatch: 32, valAttackSteps: 10,
  };
}

/** A config with some fields replaced (nested method options merged field by field). */
export type FineTunePatch = Partial<Omit<FineTuneConfig, 'aos' | 'attack' | 'prompts' | 'pmgAft' | 'fare'>> & {
  aos?: Partial<AosOptions>; attack?: Partial<TrainAttackConfig>; prompts?: Partial<PromptSet>; pmgAft?: Partial<PmgAftOptions>; fare?: Partial<FareOptions>;
};

export function withFineTuneConfig(base: FineTuneConfig, patch: FineTunePatch): FineTuneConfig {
  return {
    ...base, ...patch,
    aos: { ...base.aos, ...patch.aos }, attack: { ...base.attack, ...patch.attack }, prompts: { ...base.prompts, ...patch.prompts },
    pmgAft: { ...base.pmgAft, ...patch.pmgAft }, fare: { ...base.fare, ...patch.fare },
  };
}

/** The towers that train: `towers` as given, except FARE (no text in its loss: vision only). */
export function resolvedTowers(c: FineTuneConfig): { vision: boolean; text: boolean } {
  const t = c.method === 'fare' ? 'vision' : c.towers;
  return { vision: t !== 'text', text: t !== 'vision' };
}

/**
 * Checks ranges once: the spec's fields with the spec's own rules (the same the UI and links apply), then the
 * loop's own settings and the rules between fields. Throws a RangeError naming the field.
 */
export function validateFineTuneConfig(c: FineTuneConfig): void {
  const fail = (what: string, problem: string): never => {
    throw new RangeError(`fine-tune config: ${what}: ${problem}`);
  };
  const issues: Issue[] = [];
  validateAgainst(fineTuneSpec, c, issues);
  // The loop's own settings sit beside the spec's (seed, momentum…): "unknown" to the spec, checked below.
  const bad = issues.find((i) => !/^unknown setting/.test(i.problem));
  if (bad) fail(bad.path, bad.problem);
  const pos = (v: number | undefined, what: string, int = false) => {
    if (!(v !== undefined && v > 0) || !Number.isFinite(v) || (int && !Number.isInteger(v))) fail(what, `must be ${int ? 'a positive integer' : '> 0'}, got ${v}`);
  };
  const nonneg = (v: number, what: string, int = false) => {
    if (!(v >= 0) || !Number.isFinite(v) || (int && !Number.isInteger(v))) fail(what, `must be ${int ? 'an integer ' : ''}≥ 0, got ${v}`);
  };
  if (!Number.isInteger(c.seed) || c.seed < 0 || c.seed > 2 ** 32 - 1) fail('seed', `must be an integer in 0…2^32 − 1, got ${c.seed}`);
  if (c.maxGradNorm !== undefined) pos(c.maxGradNorm, 'maxGradNorm');
  nonneg(c.momentum, 'momentum');
  nonneg(c.warmupSteps, 'warmupSteps', true);
  nonneg(c.minLrRatio, 'minLrRatio');
  nonneg(c.valBatch, 'valBatch', true);
  nonneg(c.valAttackSteps, 'valAttackSteps', true);
  if (c.augment !== 'light' && c.augment !== 'none') fail('augment', `must be 'light' or 'none', got ${String(c.augment)}`);
  if (c.attack.alpha !== undefined) pos(c.attack.alpha, 'attack.alpha');
  const pm = c.pmgAft;
  if (pm.klReduction !== undefined && pm.klReduction !== 'sum' && pm.klReduction !== 'mean') fail('pmgAft.klReduction', `must be 'sum' or 'mean', got ${String(pm.klReduction)}`);
  if (pm.klDirection !== undefined && pm.klDirection !== 'adv-orig' && pm.klDirection !== 'orig-adv') fail('pmgAft.klDirection', `must be 'adv-orig' or 'orig-adv', got ${String(pm.klDirection)}`);
  if (c.fare.attackSteps !== undefined) nonneg(c.fare.attackSteps, 'fare.attackSteps', true);
  if (c.fare.attackAlpha !== undefined) pos(c.fare.attackAlpha, 'fare.attackAlpha');
  const a = c.aos;
  nonneg(a.ceWeight, 'aos.ceWeight');
  nonneg(a.textEps, 'aos.textEps');
  if (a.textSteps !== undefined) nonneg(a.textSteps, 'aos.textSteps', true);
  if (a.textAlpha !== undefined) pos(a.textAlpha, 'aos.textAlpha');
  if (!['both', 'clean', 'adversarial'].includes(a.imageTextGroups)) fail('aos.imageTextGroups', `must be 'both', 'clean' or 'adversarial', got ${String(a.imageTextGroups)}`);
  const rows = c.prompts.templates * c.prompts.synonyms;
  if (rows > MAX_GROUP_ROWS) fail('prompts', `a text group has ${c.prompts.templates} × ${c.prompts.synonyms} = ${rows} rows; the subspace kernels take at most ${MAX_GROUP_ROWS}`);
}

export interface MappedConfig {
  config: FineTuneConfig;
  /** Settings of the experiment config that have no effect for its method, and why. */
  notes: string[];
}

/** The fine-tuning config of an experiment: its `fineTune` settings (the same names) and seed, the loop's own defaults for the rest. */
export function fromExperimentConfig(e: ExperimentConfig): MappedConfig {
  const notes: string[] = [];
  const f = e.fineTune;
  const config = withFineTuneConfig(defaultFineTuneConfig(f.method), { ...structuredClone(f), seed: e.seed });
  if (f.method === 'fare' && f.towers !== 'vision') notes.push(`fineTune.towers = '${f.towers}': FARE's loss has no text term, so it trains the vision tower`);
  if (f.method === 'aos' && f.towers === 'vision' && f.aos.lambda3 > 0) notes.push('λ3 (adversarial → clean text) has no effect: the text tower does not train');
  return { config, notes };
}

/**
 * A loop config written by an older version (run records, run files), brought to today's names: the prompt set was
 * AoS's `aos.templates × aos.synonyms`, or the baselines' `promptEnsemble` (every template × the canonical name, or
 * 1 × 1); the ridge was `'auto'` or a number. Untrusted input: own properties only, values are left to the caller's
 * field rules and to `validateFineTuneConfig` before a loop runs. A current config comes back unchanged.
 */
export function upgradeFineTuneConfig(raw: Record<string, unknown>): Record<string, unknown> {
  const own = (o: unknown, k: string): unknown => (typeof o === 'object' && o !== null && Object.prototype.hasOwnProperty.call(o, k) ? (o as Record<string, unknown>)[k] : undefined);
  const out: Record<string, unknown> = { ...raw };
  const aos = own(raw, 'aos');
  if (own(raw, 'prompts') === undefined) {
    const method = own(raw, 'method');
    const ensemble = own(own(raw, method === 'pmg-aft' ? 'pmgAft' : 'tecoa'), 'promptEnsemble');
    out.prompts = method === 'aos' || method === 'fare'
      ? { templates: own(aos, 'templates') ?? SPEC.prompts.templates, synonyms: own(aos, 'synonyms') ?? SPEC.prompts.synonyms }
      : { templates: ensemble === false ? 1 : V1_ALL_TEMPLATES, synonyms: 1 };
  }
  if (typeof aos === 'object' && aos !== null) {
    const a: Record<string, unknown> = { ...(aos as Record<string, unknown>) };
    delete a.templates;
    delete a.synonyms;
    if (a.ridge === 'auto') Object.assign(a, { ridgeFromSpectrum: true, ridge: SPEC.aos.ridge });
    else if (a.ridgeFromSpectrum === undefined && typeof a.ridge === 'number') a.ridgeFromSpectrum = false;
    out.aos = a;
  }
  delete out.tecoa;
  if (typeof out.pmgAft === 'object' && out.pmgAft !== null) {
    const p: Record<string, unknown> = { ...(out.pmgAft as Record<string, unknown>) };
    delete p.promptEnsemble;
    out.pmgAft = p;
  }
  return out;
}
