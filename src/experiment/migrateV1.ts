/**
 * Format version 1 → 2 of the experiment configuration, on untrusted input (own properties only; keys version 1
 * did not have are reported at their version-1 path and not carried over; the validator runs on the result).
 *
 * Version 1 spread the fine-tuning settings over `method`, `train` and `budget` under names of their own
 * (`train.advEpsilon`, `budget.steps`, `method.aos.rank1Ablation`…); version 2 keeps them in `fineTune` under the
 * loop's names. Meanings kept from version 1:
 *  - `train.towers` applied to AoS only: a version-1 baseline trained the vision tower;
 *  - the prompt set was AoS's (`method.aos.templates × synonyms`); TeCoA's class embeddings were every template × the
 *    canonical class name (1 × 1 with its prompt ensemble off), PMG-AFT's every template × the canonical name;
 *  - defaults that changed (lr 1e-5, 1000 steps, validation every 100 steps) fill fields a version-1 input lacks.
 */

/** The number of prompt templates a version-1 "prompt ensemble" averaged over (src/data/prompts.ts). */
export const V1_ALL_TEMPLATES = 8;

import { describeKey, FORBIDDEN_KEYS, type Issue } from './spec';

type Obj = Record<string, unknown>;

/** Version 1's keys, per object (a key outside these is reported, not carried). Sections copied whole are validated as they are. */
const V1_KEYS: Readonly<Record<string, readonly string[]>> = {
  '': ['name', 'seed', 'model', 'data', 'method', 'train', 'attack', 'budget'],
  method: ['kind', 'aos', 'tecoa', 'pmgAft', 'fare'],
  'method.aos': ['lambda1', 'lambda2', 'lambda3', 'augmentations', 'synonyms', 'templates', 'distance', 'ridgeFromSpectrum', 'ridge', 'rank1Ablation'],
  'method.tecoa': ['promptEnsemble'],
  'method.pmgAft': ['alpha', 'beta'],
  'method.fare': ['loss'],
  train: ['towers', 'optimizer', 'lr', 'textLrMultiplier', 'weightDecay', 'batchSize', 'advEpsilon', 'advSteps'],
  budget: ['steps', 'evalEvery', 'maxMinutes'],
};

/** Reports keys of the version-1 objects that version 1 did not have (at most 12 per object, as the validator). */
function reportUnknown(root: unknown, issues: Issue[]): void {
  for (const [path, keys] of Object.entries(V1_KEYS)) {
    const o = path === '' ? root : path.split('.').reduce<unknown>((v, k) => own(v, k), root);
    if (!isObj(o)) continue;
    const extra = Object.keys(o).filter((k) => !keys.includes(k)).slice(0, 12);
    for (const k of extra) {
      issues.push({ path: path ? `${path}.${describeKey(k)}` : describeKey(k), problem: FORBIDDEN_KEYS.has(k) ? 'forbidden key (could alter object prototypes); ignored' : 'unknown setting; ignored' });
    }
  }
}

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const own = (o: unknown, k: string): unknown => (isObj(o) && Object.prototype.hasOwnProperty.call(o, k) ? o[k] : undefined);

/** Copies the listed own properties of `from` (renamed `[newKey, oldKey]`) that are present. */
function pick(from: unknown, keys: ReadonlyArray<string | readonly [string, string]>): Obj {
  const out: Obj = {};
  for (const k of keys) {
    const [to, at] = typeof k === 'string' ? [k, k] : k;
    const v = own(from, at);
    if (v !== undefined) out[to] = v;
  }
  return out;
}

export function migrateV1(raw: unknown, issues: Issue[] = []): unknown {
  if (!isObj(raw)) return raw;
  reportUnknown(raw, issues);
  const method = own(raw, 'method'), train = own(raw, 'train'), budget = own(raw, 'budget');
  const aos = own(method, 'aos'), kind = own(method, 'kind');
  const fineTune: Obj = {
    ...pick(method, [['method', 'kind']]),
    ...pick(train, ['towers', 'optimizer', 'lr', 'textLrMultiplier', 'weightDecay', 'batchSize']),
    ...pick(budget, ['steps', 'evalEvery']),
  };
  fineTune.lr ??= 1e-5;
  fineTune.steps ??= 1000;
  fineTune.evalEvery ??= 100;
  if (kind !== undefined && kind !== 'aos') fineTune.towers = 'vision';
  const attack = pick(train, [['eps', 'advEpsilon'], ['steps', 'advSteps']]);
  if (Object.keys(attack).length) fineTune.attack = attack;
  const aosOut = pick(aos, ['lambda1', 'lambda2', 'lambda3', 'augmentations', 'distance', 'ridgeFromSpectrum', 'ridge', ['rank1', 'rank1Ablation']]);
  if (Object.keys(aosOut).length) fineTune.aos = aosOut;
  const pmgAft = pick(own(method, 'pmgAft'), ['alpha', 'beta']);
  if (Object.keys(pmgAft).length) fineTune.pmgAft = pmgAft;
  const fare = pick(own(method, 'fare'), ['loss']);
  if (Object.keys(fare).length) fineTune.fare = fare;
  if (kind === 'tecoa' || kind === 'pmg-aft') {
    const ensembleOn = kind === 'pmg-aft' || own(own(method, 'tecoa'), 'promptEnsemble') !== false;
    fineTune.prompts = { templates: ensembleOn ? V1_ALL_TEMPLATES : 1, synonyms: 1 };
  } else {
    const prompts = pick(aos, ['templates', 'synonyms']);
    if (Object.keys(prompts).length) fineTune.prompts = prompts;
  }
  const out: Obj = { ...pick(raw, ['name', 'seed', 'model', 'data', 'attack']), fineTune };
  const maxMinutes = own(budget, 'maxMinutes');
  if (maxMinutes !== undefined) out.budget = { maxMinutes };
  return out;
}
