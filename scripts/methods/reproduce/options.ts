/**
 * The settings of `npm run reproduce` from its flags, with per-mode defaults (full, --quick, --smoke). Everything
 * here decides what the jobs compute, so it is all hashed into every shard file (`settingsHash`): paths, shard
 * layout and timings are not.
 */
import { EPS_GRID_255, FULL_PROTOCOL, HEADLINE_EPS_255, QUICK_PROTOCOL, type ProtocolConfig } from '../../../src/attacks/protocol';
import { METHOD_NAMES, type MethodName } from '../../../src/methods/config';
import { numberFlag } from '../../cli';
import { numberList } from '../common';
import type { Mode, SweepSettings } from './plan';

export interface TrainingSettings {
  /** The budget: this many AoS steps, in vision-tower passes; every method takes the steps it affords. */
  aosSteps: number;
  batch: number;
  /** AoS: augmented views per image. */
  augmentations: number;
  lr: number;
  textLrMultiplier: number;
  /** PGD steps of the training attack (FARE keeps its own inner attack, `fare.attackSteps`). */
  attackSteps: number;
  warmupSteps: number;
  /** Use only the first this many training images (0: all). */
  trainLimit: number;
}

export interface RunSettings {
  sweep: SweepSettings;
  training: TrainingSettings;
  protocol: ProtocolConfig;
  /** The attack graphs' batch. */
  evalBatch: number;
  /** The model folder (`public/models/tiny-clip` by default). */
  model: string;
}

const SMOKE_PROTOCOL: Omit<ProtocolConfig, 'seed'> = { apgdSteps: 3, apgdRestarts: 1, targets: 1, targetedSteps: 2, squareQueries: 5 };

export function modeOf(flags: Record<string, string>): Mode {
  return flags.smoke === 'true' ? 'smoke' : flags.quick === 'true' ? 'quick' : 'full';
}

export function runSettings(flags: Record<string, string>, model: string): RunSettings {
  const mode = modeOf(flags);
  const pick = <T>(full: T, quick: T, smoke: T): T => (mode === 'full' ? full : mode === 'quick' ? quick : smoke);
  const num = (k: string, full: number, quick: number, smoke: number) => numberFlag(flags, k, pick(full, quick, smoke));
  const methods = (flags.methods ? flags.methods.split(',') : [...METHOD_NAMES]) as MethodName[];
  for (const m of methods) if (!METHOD_NAMES.includes(m)) throw new Error(`--methods: unknown method '${m}'`);
  const evalEps255 = numberList(flags.eps, pick(EPS_GRID_255, EPS_GRID_255, [8, HEADLINE_EPS_255]));
  const headlineEps255 = numberFlag(flags, 'headline-eps', HEADLINE_EPS_255);
  if (!evalEps255.includes(headlineEps255)) throw new Error(`--headline-eps ${headlineEps255} is not in the ε grid ${evalEps255.join(',')}`);
  const knobGrid = numberList(flags['knob-grid'], pick([0.3, 1, 3], [0.3, 1, 3], [1, 2]));
  if (!knobGrid.includes(1)) throw new Error('--knob-grid must include 1 (each method\'s default)');
  const base = pick(FULL_PROTOCOL, QUICK_PROTOCOL, SMOKE_PROTOCOL);
  const sweep: SweepSettings = {
    mode, methods,
    seeds: numberList(flags.seeds, pick([0, 1, 2, 3, 4], [0, 1, 2], [0, 1])),
    tradeoffEps255: numberList(flags['tradeoff-eps'], pick([2, 4, 8, 16], [2, 4, 8, 16], [4, 8])),
    knobGrid, evalEps255, headlineEps255,
    headlineLimit: num('limit', 100_000, 500, 8),
    otherLimit: num('other-limit', 500, 100, 4),
    valLimit: num('val-limit', 1000, 200, 8),
    testSets: flags['test-sets'] ? flags['test-sets'].split(',') : ['fashion-mnist/test', 'mnist/test', 'digits/test'],
    valSet: 'fashion-mnist/val',
  };
  return {
    sweep,
    training: {
      aosSteps: num('aos-steps', 200, 40, 2), batch: num('batch', 32, 32, 4), augmentations: num('m', 4, 4, 2),
      lr: numberFlag(flags, 'lr', 1e-4), textLrMultiplier: numberFlag(flags, 'text-lr-mult', 0.1),
      attackSteps: num('train-steps', 2, 2, 1), warmupSteps: num('warmup', 10, 10, 0), trainLimit: num('train-limit', 0, 0, 0),
    },
    protocol: {
      apgdSteps: num('apgd-steps', base.apgdSteps, base.apgdSteps, base.apgdSteps), apgdRestarts: num('restarts', base.apgdRestarts, base.apgdRestarts, base.apgdRestarts),
      targets: num('targets', base.targets, base.targets, base.targets), targetedSteps: num('targeted-steps', base.targetedSteps, base.targetedSteps, base.targetedSteps),
      squareQueries: num('queries', base.squareQueries, base.squareQueries, base.squareQueries), seed: numberFlag(flags, 'attack-seed', 0),
    },
    evalBatch: num('eval-batch', 50, 50, 4),
    model,
  };
}
