/**
 * Zero-shot CLIP classification loss and its gradients, all on the GPU (WGSL in shaders/crossentropy.wgsl, plus the
 * normalize and matmul kernels):
 *   î = images / max(‖images‖, eps), t̂ = texts / max(‖texts‖, eps)          (row-wise)
 *   logits = s · î t̂ᵀ                                                      [batch, classes]
 *   loss_b = CE(logits_b, label_b),  mean loss = Σ_b w_b loss_b / batch       (w = 1 without weights)
 *   dLogits = w_b (softmax(logits_b) − onehot(label_b)) / batch
 *   ∂loss/∂î = s · dLogits t̂,  ∂loss/∂t̂ = s · dLogitsᵀ î, then the normalisation backward to the raw embeddings.
 * Targeted attacks need no mode: pass the target classes as `labels` and minimise the loss (then `correct` flags a
 * hit target).
 */
import type { GpuContext, Recorder } from '../gpu/context';
import { UniformWriter } from '../gpu/uniforms';
import { encodeMatmul, matmulRef } from './matmul';
import { createGradNormBuffer, encodeGlobalGradNorm } from './optim';
import {
  DEFAULT_NORMALIZE_EPS, encodeNormalize, encodeNormalizeBackward, itemGrid, normalizeBackwardRef, normalizeRef,
} from './normalize';

export interface CrossEntropyShape {
  batch: number;
  classes: number;
}

/** GPU outputs of the cross-entropy kernel. */
export interface CrossEntropyOutputs {
  /** f32 [batch]: unweighted CE of each row. */
  sampleLoss: GPUBuffer;
  /** u32 [batch]: argmax of each row (lowest index on ties). */
  predicted: GPUBuffer;
  /** u32 [batch]: 1 where predicted == label. */
  correct: GPUBuffer;
  /** f32 [batch, classes]: ∂(mean loss)/∂logits. */
  dLogits: GPUBuffer;
  /** f32 [2]: mean (weighted) loss, accuracy. */
  summary: GPUBuffer;
}

function checkCeShape(s: CrossEntropyShape): void {
  if (!Number.isInteger(s.batch) || s.batch < 1 || !Number.isInteger(s.classes) || s.classes < 1) {
    throw new RangeError(`crossentropy: batch and classes must be positive integers, got ${s.batch}, ${s.classes}`);
  }
}

/** Records the per-row CE (with dLogits) and the batch summary. Labels are u32; `weights` f32 [batch] or none. */
export function encodeCrossEntropy(
  rec: Recorder, logits: GPUBuffer, labels: GPUBuffer, weights: GPUBuffer | undefined, out: CrossEntropyOutputs,
  shape: CrossEntropyShape, label = 'crossentropy',
): void {
  checkCeShape(shape);
  const uniforms = new UniformWriter().u32(shape.batch).u32(shape.classes).u32(weights ? 1 : 0).f32(1 / shape.batch).bytes();
  // Without weights the kernel never reads the weight binding, but 'auto' layouts still need a buffer there.
  const weightBinding = weights ?? labels;
  rec.dispatch({
    shader: 'crossentropy',
    entryPoint: 'rowLoss',
    label: `${label}.rows`,
    uniforms,
    buffers: [logits, labels, weightBinding, out.sampleLoss, out.predicted, out.correct, out.dLogits],
    workgroups: itemGrid(shape.batch),
  });
  rec.dispatch({
    shader: 'crossentropy',
    entryPoint: 'summary',
    label: `${label}.summary`,
    uniforms,
    buffers: [out.sampleLoss, weights ?? out.sampleLoss, out.correct, out.summary],
    workgroups: [1],
  });
}

export interface CrossEntropyRefResult {
  sampleLoss: Float64Array;
  predicted: Uint32Array;
  correct: Uint32Array;
  dLogits: Float64Array;
  meanLoss: number;
  accuracy: number;
}

/** CPU reference (float64). */
export function crossEntropyRef(
  logits: ArrayLike<number>, labels: ArrayLike<number>, shape: CrossEntropyShape, weights?: ArrayLike<number>,
): CrossEntropyRefResult {
  const { batch: B, classes: C } = shape;
  const sampleLoss = new Float64Array(B);
  const predicted = new Uint32Array(B);
  const correct = new Uint32Array(B);
  const dLogits = new Float64Array(B * C);
  let lossSum = 0, hits = 0;
  for (let b = 0; b < B; b++) {
    const o = b * C;
    let max = -Infinity, arg = 0;
    for (let c = 0; c < C; c++) if (logits[o + c] > max) { max = logits[o + c]; arg = c; }
    let sumExp = 0;
    for (let c = 0; c < C; c++) sumExp += Math.exp(logits[o + c] - max);
    const y = labels[b];
    sampleLoss[b] = y < C ? max + Math.log(sumExp) - logits[o + y] : NaN;
    predicted[b] = arg;
    correct[b] = arg === y ? 1 : 0;
    const w = weights ? weights[b] : 1;
    for (let c = 0; c < C; c++) dLogits[o + c] = (w / B) * (Math.exp(logits[o + c] - max) / sumExp - (c === y ? 1 : 0));
    lossSum += w * sampleLoss[b];
    hits += correct[b];
  }
  return { sampleLoss, predicted, correct, dLogits, meanLoss: lossSum / B, accuracy: hits / B };
}

export interface ZeroShotShape {
  batch: number;
  classes: number;
  /** Embedding length D. */
  dim: number;
  /** Logit scale s (CLIP: exp(logit_scale) ≈ 100). */
  logitScale: number;
  /** Norm clamp of both normalisations (default 1e-12). */
  eps?: number;
  /** Compute ∂loss/∂images (default true). */
  imageGrad?: boolean;
  /** Compute ∂loss/∂texts (default true; attacks on images can skip it). */
  textGrad?: boolean;
}

export interface ZeroShotInputs {
  /** f32 [batch, dim], raw (unnormalised). */
  images: GPUBuffer;
  /** f32 [classes, dim], raw (unnormalised). */
  texts: GPUBuffer;
  /** u32 [batch], each < classes. */
  labels: GPUBuffer;
  /** f32 [batch] per-sample weights, or none (all 1). */
  weights?: GPUBuffer;
}

/** Outputs and intermediates of `encodeZeroShotLoss`; allocate once and reuse across iterations. */
export interface ZeroShotWorkspace extends CrossEntropyOutputs {
  /** f32 [batch, classes]: s · î t̂ᵀ. */
  logits: GPUBuffer;
  /** f32 [batch, dim]: ∂(mean loss)/∂images. */
  gradImages: GPUBuffer;
  /** f32 [classes, dim]: ∂(mean loss)/∂texts. */
  gradTexts: GPUBuffer;
  imageUnit: GPUBuffer;
  imageNorms: GPUBuffer;
  textUnit: GPUBuffer;
  textNorms: GPUBuffer;
  gradImageUnit: GPUBuffer;
  gradTextUnit: GPUBuffer;
}

function checkZeroShotShape(s: ZeroShotShape): void {
  checkCeShape(s);
  if (!Number.isInteger(s.dim) || s.dim < 1) throw new RangeError(`zeroShot: dim must be a positive integer, got ${s.dim}`);
  if (!Number.isFinite(s.logitScale)) throw new RangeError(`zeroShot: logitScale must be finite, got ${s.logitScale}`);
}

export function createZeroShotWorkspace(ctx: GpuContext, shape: ZeroShotShape, label = 'zeroShot'): ZeroShotWorkspace {
  checkZeroShotShape(shape);
  const { batch: B, classes: C, dim: D } = shape;
  // Every element is 4 bytes (f32, or u32 for predicted / correct).
  const f32 = (name: string, n: number) => ctx.buffer(`${label}.${name}`, n * 4);
  return {
    summary: f32('summary', 2),
    sampleLoss: f32('sampleLoss', B),
    predicted: f32('predicted', B), // u32
    correct: f32('correct', B), // u32
    dLogits: f32('dLogits', B * C),
    logits: f32('logits', B * C),
    gradImages: f32('gradImages', B * D),
    gradTexts: f32('gradTexts', C * D),
    imageUnit: f32('imageUnit', B * D),
    imageNorms: f32('imageNorms', B),
    textUnit: f32('textUnit', C * D),
    textNorms: f32('textNorms', C),
    gradImageUnit: f32('gradImageUnit', B * D),
    gradTextUnit: f32('gradTextUnit', C * D),
  };
}

export function releaseZeroShotWorkspace(ctx: GpuContext, ws: ZeroShotWorkspace): void {
  ctx.release(...Object.values(ws));
}

/** Records the whole forward and backward (7–9 dispatches) into `rec`; nothing is read back. */
export function encodeZeroShotLoss(
  rec: Recorder, inputs: ZeroShotInputs, ws: ZeroShotWorkspace, shape: ZeroShotShape, label = 'zeroShot',
): void {
  checkZeroShotShape(shape);
  const { batch: B, classes: C, dim: D, logitScale: s } = shape;
  const eps = shape.eps ?? DEFAULT_NORMALIZE_EPS;
  const imageShape = { rows: B, d: D, eps };
  const textShape = { rows: C, d: D, eps };
  encodeNormalize(rec, inputs.images, ws.imageUnit, ws.imageNorms, imageShape, `${label}.normalize.images`);
  encodeNormalize(rec, inputs.texts, ws.textUnit, ws.textNorms, textShape, `${label}.normalize.texts`);
  encodeMatmul(rec, ws.imageUnit, ws.textUnit, ws.logits, { batch: 1, M: B, N: C, K: D, transB: true, alpha: s }, `${label}.logits`);
  encodeCrossEntropy(rec, ws.logits, inputs.labels, inputs.weights, ws, { batch: B, classes: C }, `${label}.crossentropy`);
  if (shape.imageGrad ?? true) {
    encodeMatmul(rec, ws.dLogits, ws.textUnit, ws.gradImageUnit, { batch: 1, M: B, N: D, K: C, alpha: s }, `${label}.grad.imageUnit`);
    encodeNormalizeBackward(rec, ws.imageUnit, ws.imageNorms, ws.gradImageUnit, ws.gradImages, imageShape, `${label}.grad.images`);
  }
  if (shape.textGrad ?? true) {
    encodeMatmul(rec, ws.dLogits, ws.imageUnit, ws.gradTextUnit, { batch: 1, M: C, N: D, K: B, transA: true, alpha: s }, `${label}.grad.textUnit`);
    encodeNormalizeBackward(rec, ws.textUnit, ws.textNorms, ws.gradTextUnit, ws.gradTexts, textShape, `${label}.grad.texts`);
  }
}

export interface ZeroShotResult {
  meanLoss: number;
  accuracy: number;
  logits: ArrayLike<number>;
  sampleLoss: ArrayLike<number>;
  predicted: Uint32Array;
  correct: Uint32Array;
  gradImages: ArrayLike<number>;
  gradTexts: ArrayLike<number>;
}

function checkInputs(images: ArrayLike<number>, texts: ArrayLike<number>, labels: ArrayLike<number>, s: ZeroShotShape, weights?: ArrayLike<number>): void {
  checkZeroShotShape(s);
  if (images.length !== s.batch * s.dim) throw new RangeError(`zeroShot: images has ${images.length} values, shape needs ${s.batch * s.dim}`);
  if (texts.length !== s.classes * s.dim) throw new RangeError(`zeroShot: texts has ${texts.length} values, shape needs ${s.classes * s.dim}`);
  if (labels.length !== s.batch) throw new RangeError(`zeroShot: labels has ${labels.length} values, batch is ${s.batch}`);
  for (let b = 0; b < s.batch; b++) {
    if (!Number.isInteger(labels[b]) || labels[b] < 0 || labels[b] >= s.classes) throw new RangeError(`zeroShot: label ${labels[b]} at ${b} out of range`);
  }
  if (weights && weights.length !== s.batch) throw new RangeError(`zeroShot: weights has ${weights.length} values, batch is ${s.batch}`);
}

/** One-shot convenience: uploads, runs forward and backward in one submit, reads everything back. */
export async function zeroShotLoss(
  ctx: GpuContext, images: Float32Array, texts: Float32Array, labels: Uint32Array, shape: ZeroShotShape, weights?: Float32Array,
): Promise<ZeroShotResult> {
  checkInputs(images, texts, labels, shape, weights);
  const { batch: B, classes: C, dim: D } = shape;
  const inputs: ZeroShotInputs = {
    images: ctx.upload('zeroShot.images', images),
    texts: ctx.upload('zeroShot.texts', texts),
    labels: ctx.upload('zeroShot.labels', labels),
    weights: weights ? ctx.upload('zeroShot.weights', weights) : undefined,
  };
  const ws = createZeroShotWorkspace(ctx, shape);
  try {
    await ctx.run('zeroShot', (rec) => encodeZeroShotLoss(rec, inputs, ws, shape));
    // Every output in one readback (a loss step waits once, not once per buffer).
    const [summary, logits, sampleLoss, predicted, correct, gradImages, gradTexts] = await ctx.readMany([
      { buffer: ws.summary, count: 2 }, { buffer: ws.logits, count: B * C }, { buffer: ws.sampleLoss, count: B },
      { buffer: ws.predicted, count: B }, { buffer: ws.correct, count: B },
      { buffer: ws.gradImages, count: (shape.imageGrad ?? true) ? B * D : 0 }, { buffer: ws.gradTexts, count: (shape.textGrad ?? true) ? C * D : 0 },
    ]);
    const sum = new Float32Array(summary);
    return {
      meanLoss: sum[0],
      accuracy: sum[1],
      logits: new Float32Array(logits),
      sampleLoss: new Float32Array(sampleLoss),
      predicted: new Uint32Array(predicted),
      correct: new Uint32Array(correct),
      gradImages: new Float32Array(gradImages),
      gradTexts: new Float32Array(gradTexts),
    };
  } finally {
    releaseZeroShotWorkspace(ctx, ws);
    ctx.release(inputs.images, inputs.texts, inputs.labels, inputs.weights);
  }
}

/** `zeroShotLossOnGpu`'s result: what a training step needs on the host, and ∂/∂images left on the GPU. */
export interface ZeroShotGpuResult {
  meanLoss: number;
  accuracy: number;
  /** ∂(mean loss)/∂texts [classes, dim] (empty without `textGrad`). */
  gradTexts: Float32Array;
  /** ‖∂(mean loss)/∂images‖₂. */
  gradImagesNorm: number;
  /** ∂(mean loss)/∂images [batch, dim], valid until `release`. */
  gradImages: GPUBuffer;
  release(): void;
}

/** `zeroShotLossOnDevice`'s result: everything on the GPU, valid until `release`. */
export interface ZeroShotDeviceResult {
  /** [mean loss, accuracy]. */
  summary: GPUBuffer;
  /** ∂(mean loss)/∂images [batch, dim] and ∂(mean loss)/∂texts [classes, dim] (with `textGrad`). */
  gradImages: GPUBuffer;
  gradTexts: GPUBuffer;
  /** Gradient-norm headers (src/kernels/optim.ts: [‖g‖, scale, ‖g‖², flag]) of ∂/∂images and (with `textGrad`) ∂/∂texts. */
  imagesNorm: GPUBuffer;
  textsNorm?: GPUBuffer;
  release(): void;
}

/**
 * The loss of embeddings already on the GPU (a tower's output buffer) against class embeddings given as a host array
 * (uploaded) or a GPU buffer: forward, backward and the gradients' norms in one submission, nothing read back.
 */
export async function zeroShotLossOnDevice(ctx: GpuContext, images: GPUBuffer, texts: Float32Array | GPUBuffer, labels: Uint32Array, shape: ZeroShotShape, label = 'zeroShotOnGpu'): Promise<ZeroShotDeviceResult> {
  checkZeroShotShape(shape);
  const { batch: B, classes: C, dim: D } = shape;
  if (texts instanceof Float32Array ? texts.length !== C * D : texts.size < C * D * 4) throw new RangeError(`zeroShot: texts has ${texts instanceof Float32Array ? texts.length : texts.size / 4} values, shape needs ${C * D}`);
  if (labels.length !== B) throw new RangeError(`zeroShot: labels has ${labels.length} values, batch is ${B}`);
  const textGrad = shape.textGrad ?? true;
  const ws = createZeroShotWorkspace(ctx, shape, label);
  const gTexts = texts instanceof Float32Array ? ctx.upload(`${label}.texts`, texts) : undefined;
  const gLabels = ctx.upload(`${label}.labels`, labels), imagesNorm = createGradNormBuffer(ctx, `${label}.gradNorm`);
  const textsNorm = textGrad ? createGradNormBuffer(ctx, `${label}.gradNorm.texts`) : undefined;
  const release = () => {
    releaseZeroShotWorkspace(ctx, ws);
    ctx.release(gLabels, imagesNorm, ...(gTexts ? [gTexts] : []), ...(textsNorm ? [textsNorm] : []));
  };
  try {
    await ctx.run(label, (rec) => {
      encodeZeroShotLoss(rec, { images, texts: gTexts ?? (texts as GPUBuffer), labels: gLabels }, ws, { ...shape, imageGrad: true }, label);
      encodeGlobalGradNorm(rec, ws.gradImages, imagesNorm, B * D, undefined, `${label}.gradNorm`);
      if (textsNorm) encodeGlobalGradNorm(rec, ws.gradTexts, textsNorm, C * D, undefined, `${label}.gradNorm.texts`);
    });
    return { summary: ws.summary, gradImages: ws.gradImages, gradTexts: ws.gradTexts, imagesNorm, textsNorm, release };
  } catch (e) {
    release();
    throw e;
  }
}

/**
 * `zeroShotLossOnDevice` with the value, accuracy, ∂/∂texts and ‖∂/∂images‖ read back in one readback; ∂/∂images
 * stays on the GPU for the tower's backward.
 */
export async function zeroShotLossOnGpu(ctx: GpuContext, images: GPUBuffer, texts: Float32Array, labels: Uint32Array, shape: ZeroShotShape): Promise<ZeroShotGpuResult> {
  const r = await zeroShotLossOnDevice(ctx, images, texts, labels, shape);
  try {
    const textGrad = shape.textGrad ?? true;
    const [summary, gradTexts, normOut] = await ctx.readMany([{ buffer: r.summary, count: 2 }, { buffer: r.gradTexts, count: textGrad ? shape.classes * shape.dim : 0 }, { buffer: r.imagesNorm, count: 1 }]);
    const sum = new Float32Array(summary);
    return { meanLoss: sum[0], accuracy: sum[1], gradTexts: new Float32Array(gradTexts), gradImagesNorm: new Float32Array(normOut)[0], gradImages: r.gradImages, release: r.release };
  } catch (e) {
    r.release();
    throw e;
  }
}

/** CPU reference (float64) of every output of `zeroShotLoss`, gradients computed analytically. */
export function zeroShotLossRef(
  images: ArrayLike<number>, texts: ArrayLike<number>, labels: ArrayLike<number>, shape: ZeroShotShape, weights?: ArrayLike<number>,
): ZeroShotResult {
  checkInputs(images, texts, labels, shape, weights);
  const { batch: B, classes: C, dim: D, logitScale: s } = shape;
  const eps = shape.eps ?? DEFAULT_NORMALIZE_EPS;
  const imageUnit = normalizeRef(images, { rows: B, d: D, eps }).y;
  const textUnit = normalizeRef(texts, { rows: C, d: D, eps }).y;
  const logits = matmulRef(imageUnit, textUnit, { batch: 1, M: B, N: C, K: D, transB: true, alpha: s });
  const ce = crossEntropyRef(logits, labels, { batch: B, classes: C }, weights);
  const gradImageUnit = matmulRef(ce.dLogits, textUnit, { batch: 1, M: B, N: D, K: C, alpha: s });
  const gradTextUnit = matmulRef(ce.dLogits, imageUnit, { batch: 1, M: C, N: D, K: B, transA: true, alpha: s });
  return {
    meanLoss: ce.meanLoss,
    accuracy: ce.accuracy,
    logits,
    sampleLoss: ce.sampleLoss,
    predicted: ce.predicted,
    correct: ce.correct,
    gradImages: (shape.imageGrad ?? true) ? normalizeBackwardRef(images, gradImageUnit, { rows: B, d: D, eps }) : new Float64Array(0),
    gradTexts: (shape.textGrad ?? true) ? normalizeBackwardRef(texts, gradTextUnit, { rows: C, d: D, eps }) : new Float64Array(0),
  };
}
