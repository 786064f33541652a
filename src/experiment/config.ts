/**
 * The experiment configuration (format version 2): everything needed to reproduce an experiment — model source,
 * data, robust fine-tuning (`fineTune`: the loop's own names and defaults, src/experiment/fineTune.ts), the
 * interactive attack, seed and time limit. Plain JSON data; the single spec below gives its type, defaults, ranges
 * and UI labels.
 *
 * Adding a field within a version is backwards compatible (older links lack it and get the default). Renaming or
 * removing a field, or changing a field's meaning or default, needs a new format version and a migration in
 * `versions.ts` (`MIGRATIONS`).
 */
import { enm, int, nullableInt, num, obj, str, validateAgainst, type Infer, type Issue } from './spec';
import { fineTuneSpec, MAX_GROUP_ROWS } from './fineTune';
import { checkModelUrl } from './url';

/** Ids of the datasets in `public/data/manifest.json` (a unit test keeps the two in step). */
export const BUNDLED_DATASET_IDS = ['fashion-mnist', 'mnist', 'digits'] as const;

export { MAX_GROUP_ROWS, METHODS, type MethodKind } from './fineTune';

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
  fineTune: fineTuneSpec,
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
  const p = c.fineTune.prompts;
  if (p.templates * p.synonyms > MAX_GROUP_ROWS) {
    issues.push({ path: 'fineTune.prompts', problem: `${p.templates} templates × ${p.synonyms} synonyms = ${p.templates * p.synonyms} prompts per class; the subspace kernels take at most ${MAX_GROUP_ROWS}: using the defaults` });
    c.fineTune.prompts = structuredClone(fineTuneSpec.fields.prompts.default);
  }
  if (c.model.source === 'url' && c.model.url === '' && issues.some((i) => i.path === 'model.url')) {
    issues.push({ path: 'model.url', problem: 'the model URL was refused; using the bundled model' });
    c.model.source = 'bundled';
  }
}

/** Validates an untrusted, already parsed configuration object (current version's layout). */
export function validateConfig(raw: unknown): Validated {
  const issues: Issue[] = [];
  const config = validateAgainst(experimentSpec, raw, issues);
  crossCheck(config, issues);
  return { config, issues };
}
