/**
 * The experiment configuration (format version 1): everything needed to reproduce an experiment — model source,
 * data, robust fine-tuning method and its hyper-parameters, the attack, seed and budget. Plain JSON data; the
 * single spec below gives its type, defaults, ranges and UI labels.
 *
 * Adding a field within version 1 is backwards compatible (older links lack it and get the default). Renaming or
 * removing a field, or changing a field's meaning or default, needs a new format version and a migration in
 * `versions.ts` (`MIGRATIONS`).
 */
import { bool, enm, int, nullableInt, num, obj, str, validateAgainst, type Infer, type Issue } from './spec';
import { checkModelUrl } from './url';

/** Ids of the datasets in `public/data/manifest.json` (a unit test keeps the two in step). */
export const BUNDLED_DATASET_IDS = ['fashion-mnist', 'mnist', 'digits'] as const;

export const METHODS = ['aos', 'tecoa', 'pmg-aft', 'fare'] as const;
export type MethodKind = (typeof METHODS)[number];

export const ATTACKS = ['pgd-linf', 'pgd-l2', 'apgd-ce', 'apgd-dlr', 'cw'] as const;
export type AttackKind = (typeof ATTACKS)[number];

/** Free-text names: letters, digits, spaces and ordinary punctuation; no markup, quotes or control characters. */
export function checkName(s: string): string | null {
  if (/[<>"'`{}\\]/.test(s)) return 'contains characters that are not allowed in a name (< > quotes ` { } \\)';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/.test(s)) return 'contains control or bidirectional-override characters';
  return null;
}

const MODEL_MB_MAX = 4096;

export const experimentSpec = obj({
  name: str('', 80, checkName, { label: 'Name', help: 'A short name for this experiment (shown in runs and exported files).', placeholder: 'untitled' }),
  seed: int(0, 0, 2 ** 32 - 1, { label: 'Seed', help: 'Seeds data order, augmentations, attack random starts and random weights.' }),
  model: obj({
    source: enm('bundled', ['bundled', 'random-init', 'url'], {
      label: 'Source',
      names: { bundled: 'Bundled tiny CLIP', 'random-init': 'Random-init tiny CLIP', url: 'Model folder URL' },
      help: 'Which CLIP to load: the bundled pre-trained tiny CLIP, a random initialisation, or a model folder at a URL.',
    }),
    url: str('', 2048, (s) => (s === '' ? null : checkModelUrl(s)), {
      label: 'URL', help: 'https:// URL or same-origin path of a model folder (transformers.js layout). Never fetched without confirmation.',
      placeholder: 'https://…/clip-model/',
    }),
    maxMB: int(256, 1, MODEL_MB_MAX, { label: 'Size cap (MB)', help: 'A download from a URL stops when it exceeds this many megabytes.' }),
  }, { label: 'Model' }),
  data: obj({
    dataset: enm('fashion-mnist', BUNDLED_DATASET_IDS, {
      label: 'Dataset', names: { 'fashion-mnist': 'Fashion-MNIST', mnist: 'MNIST', digits: 'sklearn digits' },
    }),
    evalSplit: enm('test', ['val', 'test'], { label: 'Evaluation split' }),
    trainLimit: int(0, 0, 100_000, { label: 'Training images', help: 'Use at most this many training images (0 = all).' }),
  }, { label: 'Data' }),
  method: obj({
    kind: enm('aos', METHODS, {
      label: 'Method',
      names: { aos: 'AoS', tecoa: 'TeCoA', 'pmg-aft': 'PMG-AFT', fare: 'FARE' },
    }),
    aos: obj({
      lambda1: num(1, 0, 100, { label: 'λ1 adv→clean image', help: 'Weight of aligning the adversarial image subspace to the clean image subspace.', step: 0.1 }),
      lambda2: num(1, 0, 100, { label: 'λ2 image↔text', help: 'Weight of aligning image subspaces with the text subspaces of their class.', step: 0.1 }),
      lambda3: num(1, 0, 100, { label: 'λ3 adv→clean text', help: 'Weight of aligning the adversarial text subspace (attacked prompts) to the clean text subspace of its class; acts only when the text tower trains.', step: 0.1 }),
      augmentations: int(4, 1, 64, { label: 'Augmentations m', help: 'Augmented views per image forming the image group.' }),
      synonyms: int(3, 1, 16, { label: 'Synonyms', help: 'Class-name synonyms per class in the text group.' }),
      templates: int(8, 1, 32, { label: 'Templates', help: 'Prompt templates per class in the text group.' }),
      distance: enm('residual', ['residual', 'projection', 'moment'], {
        label: 'Distance', names: { residual: 'Residual (directional)', projection: 'Projection (symmetric)', moment: 'Second moment (symmetric)' },
        help: 'Residual: how much of the moving group\'s span lies outside the target\'s, tr(P_X(I − P_Y))/n, the target fixed (adversarial → clean, image → text). Projection: ½‖P_X − P_Y‖², both sides move. Second moment: distance of the groups\' second-moment matrices.',
      }),
      ridgeFromSpectrum: bool(true, { label: 'Ridge from the spectrum', help: 'ρ = the median non-leading Gram eigenvalue of the clean image groups at step 0 (at least 0.01); else the value below.' }),
      ridge: num(0.025, 1e-8, 1, { label: 'Ridge ρ', help: 'Ridge of the projectors P = Xᵀ(XXᵀ + ρI)⁻¹X when not taken from the spectrum. The gradient of the residual distance is bounded by 1/√(nρ).', step: 1e-3 }),
      rank1Ablation: bool(false, { label: 'Rank-1 ablation', help: 'Replace each group by its mean (subspaces of rank 1).' }),
    }, { label: 'AoS' }),
    tecoa: obj({
      promptEnsemble: bool(true, { label: 'Prompt ensemble', help: 'Class text embeddings averaged over the templates (else the first template).' }),
    }, { label: 'TeCoA' }),
    pmgAft: obj({
      alpha: num(1, 0, 100, { label: 'α (→ pre-trained)', help: 'Weight of KL(adversarial output ‖ pre-trained model on the adversarial image).', step: 0.1 }),
      beta: num(1, 0, 100, { label: 'β (→ clean)', help: 'Weight of KL(adversarial output ‖ clean output).', step: 0.1 }),
    }, { label: 'PMG-AFT' }),
    fare: obj({
      loss: enm('l2-squared', ['l2-squared', 'l2'], { label: 'Embedding loss', names: { 'l2-squared': 'squared L2 (as published)', l2: 'L2' } }),
    }, { label: 'FARE' }),
  }, { label: 'Method' }),
  train: obj({
    towers: enm('both', ['vision', 'text', 'both'], { label: 'Towers trained', names: { vision: 'Vision only', text: 'Text only', both: 'Both' } }),
    optimizer: enm('adamw', ['adamw', 'sgd'], { label: 'Optimizer', names: { adamw: 'AdamW', sgd: 'SGD + momentum' } }),
    lr: num(1e-5, 1e-8, 1, { label: 'Learning rate', step: 1e-6 }),
    textLrMultiplier: num(0.1, 0, 100, { label: 'Text LR ×', help: 'The text tower trains at learning rate × this factor.', step: 0.1 }),
    weightDecay: num(1e-4, 0, 1, { label: 'Weight decay', step: 1e-4 }),
    batchSize: int(32, 1, 4096, { label: 'Batch size' }),
    advEpsilon: num(1 / 255, 0, 1, { label: 'Training ε (L∞)', help: 'Perturbation budget of the PGD attack used during fine-tuning (pixel scale 0…1).', per255: true, step: 1 / 255 }),
    advSteps: int(2, 1, 100, { label: 'Training PGD steps' }),
  }, { label: 'Training' }),
  attack: obj({
    type: enm('pgd-linf', ATTACKS, {
      label: 'Attack',
      names: { 'pgd-linf': 'PGD L∞', 'pgd-l2': 'PGD L2', 'apgd-ce': 'APGD-CE', 'apgd-dlr': 'APGD-DLR', cw: 'C&W' },
    }),
    epsilon: num(1 / 255, 0, 32, { label: 'ε', help: 'Perturbation budget in pixel scale (images in 0…1); L2 radius for pgd-l2.', per255: true, step: 1 / 255 }),
    steps: int(10, 1, 1000, { label: 'Steps' }),
    alpha: num(0.25 / 255, 0, 32, { label: 'Step size α', help: 'PGD step size (APGD adapts its own).', per255: true, step: 0.25 / 255 }),
    restarts: int(1, 1, 100, { label: 'Restarts' }),
    targetClass: nullableInt(null, 0, 255, { label: 'Target class', nullName: 'untargeted', help: 'Class index a targeted attack pushes towards.' }),
    cwConfidence: num(0, 0, 100, { label: 'C&W confidence κ', step: 0.1 }),
  }, { label: 'Attack' }),
  budget: obj({
    steps: int(1000, 1, 1_000_000, { label: 'Training steps' }),
    evalEvery: int(100, 1, 1_000_000, { label: 'Evaluate every (steps)' }),
    maxMinutes: num(0, 0, 10_080, { label: 'Time limit (min)', help: '0 = no limit.' }),
  }, { label: 'Budget' }),
}, { label: 'Experiment' });

export type ExperimentConfig = Infer<typeof experimentSpec>;

/** A fresh copy of the default configuration. */
export function defaultConfig(): ExperimentConfig {
  return structuredClone(experimentSpec.default);
}

export interface Validated {
  config: ExperimentConfig;
  issues: Issue[];
}

/**
 * Rules between fields, after each field passed its own check. Fixes the config in place and reports. A URL source
 * whose URL was refused falls back to the bundled model (a hostile link must not leave the app pointed at nothing it
 * asked for); a URL source with no URL yet is a valid state (the Model panel asks for one and fetches nothing).
 */
function crossCheck(c: ExperimentConfig, issues: Issue[]): void {
  if (c.model.source === 'url' && c.model.url === '' && issues.some((i) => i.path === 'model.url')) {
    issues.push({ path: 'model.url', problem: 'the model URL was refused; using the bundled model' });
    c.model.source = 'bundled';
  }
}

/** Validates an untrusted, already parsed configuration object (version 1 layout). */
export function validateConfig(raw: unknown): Validated {
  const issues: Issue[] = [];
  const config = validateAgainst(experimentSpec, raw, issues);
  crossCheck(config, issues);
  return { config, issues };
}
