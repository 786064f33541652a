/**
 * Shared setup of the attack tests: a tiny random-init CLIP vision tower (tinyClipConfig, 28×28×1) prepared for
 * attacks, images drawn around per-class templates, and class "prompts" = the normalised class means of the clean
 * image embeddings, so the clean images are (nearly always) classified correctly.
 */
import { GpuContext } from '../../src/gpu/context';
import { shaderSources } from '../../src/kernels/shaders';
import { VisionAttackModel } from '../../src/attacks/model';
import { buildClipVisionModel } from '../../src/onnx/clip/build';
import { tinyClipConfig } from '../../src/onnx/clip/config';
import { initClipWeights } from '../../src/onnx/clip/weights';
import { Rng } from '../../src/util/random';
import { sharedDevice } from '../helpers/gpu';

export const CONSTANTS = { mean: [0.48145466], std: [0.26862954] };

export async function testContext(): Promise<GpuContext> {
  const { device, info } = await sharedDevice();
  return new GpuContext(device, info, shaderSources);
}

export interface TinyTask {
  model: VisionAttackModel;
  /** f32 [batch, 1, 28, 28] clean images in [0, 1], on the 8-bit grid. */
  pixels: Float32Array;
  pixelsBuf: GPUBuffer;
  labels: Uint32Array;
  texts: GPUBuffer;
  classes: number;
  logitScale: number;
}

/** Smooth random templates in [0.15, 0.85]: a few random Gaussian blobs per class. */
function templates(rng: Rng, classes: number, S: number): Float32Array[] {
  return Array.from({ length: classes }, () => {
    const t = new Float32Array(S * S).fill(0.5);
    for (let k = 0; k < 4; k++) {
      const cy = rng.next() * S, cx = rng.next() * S, r = 3 + 5 * rng.next(), a = (rng.next() < 0.5 ? -1 : 1) * (0.2 + 0.15 * rng.next());
      for (let i = 0; i < S; i++) for (let j = 0; j < S; j++) t[i * S + j] += a * Math.exp(-((i - cy) ** 2 + (j - cx) ** 2) / (2 * r * r));
    }
    return t.map((v) => Math.min(0.85, Math.max(0.15, v)));
  });
}

export async function tinyTask(ctx: GpuContext, seed: number, batch: number, classes: number, logitScale = 100, engine: 'onnxruntime' | 'exec' = 'onnxruntime'): Promise<TinyTask> {
  const rng = new Rng(seed);
  const cfg = tinyClipConfig;
  const vision = buildClipVisionModel(cfg, initClipWeights(cfg, { seed, biasStd: 0.02 }));
  const model = await VisionAttackModel.create(ctx, vision, { batch, constants: CONSTANTS, engine });
  const S = cfg.imageSize, n = S * S;
  const tpl = templates(rng, classes, S);
  const labels = Uint32Array.from({ length: batch }, (_, b) => b % classes);
  const pixels = new Float32Array(batch * n);
  for (let b = 0; b < batch; b++) {
    for (let j = 0; j < n; j++) pixels[b * n + j] = Math.round(255 * Math.min(1, Math.max(0, tpl[labels[b]][j] + 0.03 * (2 * rng.next() - 1)))) / 255;
  }
  const pixelsBuf = ctx.upload('test.pixels', pixels);
  const embedsBuf = ctx.buffer('test.embeds', batch * model.dim * 4);
  await model.embed(pixelsBuf, embedsBuf);
  const embeds = await ctx.readF32(embedsBuf, batch * model.dim);
  ctx.release(embedsBuf);
  const D = model.dim;
  const texts = new Float32Array(classes * D);
  for (let b = 0; b < batch; b++) {
    let norm = 0;
    for (let k = 0; k < D; k++) norm += embeds[b * D + k] ** 2;
    for (let k = 0; k < D; k++) texts[labels[b] * D + k] += embeds[b * D + k] / Math.sqrt(norm);
  }
  return { model, pixels, pixelsBuf, labels, texts: ctx.upload('test.texts', texts), classes, logitScale };
}
