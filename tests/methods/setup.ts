/**
 * Shared setup of the fine-tuning tests: a tiny random-init CLIP (1 layer, width 16, 28×28×1), a synthetic
 * 4-class image set (a bright quadrant per class on noise, uint8 like the bundled data) and synthetic prompts
 * (BOS, class token, template token, synonym token, EOS = the highest id, zero padding), so no tokenizer is built.
 */
import { initClipWeights, tinyClipConfig, withClipConfig } from '../../src/onnx/clip';
import type { GpuContext } from '../../src/gpu/context';
import type { ImageDataset } from '../../src/data/bundle';
import { FineTuneModel } from '../../src/methods/model';
import { resolvedTowers, withFineTuneConfig, defaultFineTuneConfig, type FineTuneConfig, type MethodName } from '../../src/methods/config';
import { FineTuneData } from '../../src/methods/data';
import { FineTuneLoop } from '../../src/methods/loop';
import type { ClassPrompts, PromptSelection } from '../../src/methods/text';
import { Rng } from '../../src/util/random';

export const cfg = withClipConfig(tinyClipConfig, {
  projectionDim: 16,
  vision: { width: 16, layers: 1, heads: 2, mlpRatio: 2 },
  text: { vocabSize: 64, contextLength: 8, width: 16, layers: 1, heads: 2, mlpRatio: 2 },
  logitScale: Math.log(10),
});
export const CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress'];
export const CONSTANTS = { mean: [0.5], std: [0.5] };
const MAX_TEMPLATES = 2, MAX_SYNONYMS = 2;

export function syntheticDataset(seed: number, count = 32): ImageDataset {
  const rng = new Rng(seed), S = 28;
  const images = new Uint8Array(count * S * S), labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const c = i % CLASSES.length;
    labels[i] = c;
    const x0 = (c % 2) * 14, y0 = Math.floor(c / 2) * 14;
    for (let y = 0; y < S; y++) {
      for (let x = 0; x < S; x++) {
        const inside = x >= x0 && x < x0 + 14 && y >= y0 && y < y0 + 14;
        images[i * S * S + y * S + x] = inside ? 200 + rng.int(0, 40) : rng.int(0, 60);
      }
    }
  }
  return { dataset: 'synthetic', split: 'train', count, height: S, width: S, channels: 1, classes: CLASSES, images, labels };
}

export function syntheticPrompts(sel: PromptSelection): ClassPrompts {
  const Tn = Math.min(sel.templates ?? MAX_TEMPLATES, MAX_TEMPLATES), Sn = Math.min(sel.synonyms ?? MAX_SYNONYMS, MAX_SYNONYMS);
  const T = cfg.text.contextLength, V = cfg.text.vocabSize, C = CLASSES.length, G = Tn * Sn;
  const ids = new BigInt64Array(C * G * T);
  for (let c = 0; c < C; c++) {
    for (let t = 0; t < Tn; t++) {
      for (let s = 0; s < Sn; s++) {
        const row = (c * G + t * Sn + s) * T;
        ids.set([BigInt(V - 2), BigInt(1 + c), BigInt(10 + t), BigInt(20 + 4 * c + s), BigInt(V - 1)], row);
      }
    }
  }
  return { classes: C, perClass: G, contextLength: T, ids, texts: [] };
}

export function testConfig(method: MethodName, patch: Parameters<typeof withFineTuneConfig>[1] = {}): FineTuneConfig {
  return withFineTuneConfig(defaultFineTuneConfig(method), {
    seed: 7, batchSize: 4, steps: 20, lr: 2e-3, warmupSteps: 0, evalEvery: 0, valBatch: 4, valAttackSteps: 2, augment: 'none',
    attack: { eps: 4 / 255, steps: 1 },
    prompts: { templates: 2, synonyms: 2 },
    aos: { augmentations: 2, textEps: 0.2 },
    ...patch,
  });
}

export async function testLoop(ctx: GpuContext, config: FineTuneConfig, o: { weightsSeed?: number; data?: ImageDataset; fixedBatch?: boolean; backend?: 'exec' } = {}): Promise<FineTuneLoop> {
  const model = await FineTuneModel.create(ctx, {
    config: cfg, weights: initClipWeights(cfg, { seed: o.weightsSeed ?? 11, biasStd: 0.02 }), constants: CONSTANTS, train: resolvedTowers(config),
    optimizer: { kind: config.optimizer, weightDecay: 0, maxGradNorm: config.maxGradNorm }, backend: o.backend,
  });
  const dataset = o.data ?? syntheticDataset(3);
  const fd = new FineTuneData(dataset, { seed: config.seed, hflip: false, augment: config.augment });
  const data = o.fixedBatch ? { ...fd, classes: fd.classes, channels: fd.channels, height: fd.height, width: fd.width, batch: (_step: number, n: number, v: number) => fd.batch(1, n, v) } : fd;
  const val = syntheticDataset(99, 4);
  const per = 28 * 28;
  return FineTuneLoop.create(ctx, {
    config, model, data, prompts: syntheticPrompts,
    validation: { pixels: Float32Array.from(val.images.subarray(0, 4 * per), (v) => v / 255), labels: Uint32Array.from(val.labels) },
  });
}

/** A random-init tiny CLIP on our executor (weights as GPU buffers), training the towers given. */
export function execModel(ctx: GpuContext, seed: number, train: { vision: boolean; text: boolean }): Promise<FineTuneModel> {
  return FineTuneModel.create(ctx, {
    config: cfg, weights: initClipWeights(cfg, { seed: seed % 1000 }), constants: CONSTANTS, train, optimizer: { kind: 'adamw', weightDecay: 0 }, backend: 'exec',
  });
}
