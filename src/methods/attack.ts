/**
 * Attacks inside a training step, on the model being trained (its current weights), with the PGD kernels:
 *  - `pgdImages`: L∞ PGD on [0, 1] pixels (random start, `steps` sign steps, projection and the box), ascending an
 *    objective given as "embeddings → ∂objective/∂embeddings" (zero-shot CE for TeCoA / PMG-AFT / AoS, the
 *    embedding distance for FARE). Returns the last iterate, as the training attacks of TeCoA and FARE do.
 *  - `pgdPrompts`: L2 PGD on the token-embedding perturbation of prompts (AoS's adversarial text group), per prompt
 *    ball radius ε·‖token embeddings up to EOS‖, start at 0 (so positions after EOS, which get no gradient, stay 0).
 * Each gradient evaluation is one forward + backward of the tower (the weight gradients are not fetched).
 *
 * `attackView` exposes the current model as an `AttackTarget` for `runAttack` (validation robust accuracy with
 * the attacks' own worst-case bookkeeping).
 */
import type { GpuContext, Recorder } from '../gpu/context';
import { encodePgdRandomStart, encodePgdStep } from '../kernels/pgd';
import { createZeroShotWorkspace, encodeZeroShotLoss, releaseZeroShotWorkspace, zeroShotLoss, type ZeroShotShape } from '../kernels/zeroShot';
import type { AttackTarget, ForwardState } from '../attacks/model';
import { TOKEN_EMBEDDING_WEIGHT, type FineTuneModel, type PassKind, type TowerState } from './model';
import { encodePromptRadius, eosPositions, radiusInputs } from '../kernels/promptAttack';
import { inPhase } from './stepPhases';

/**
 * embeddings [n, P] → ∂objective/∂embeddings (the attack ascends it). `gpu`, where the objective has one: the same
 * gradient encoded on the GPU from an embeddings buffer (used when the tower's session leaves its output there, so a
 * PGD step reads nothing back).
 */
export type EmbeddingObjective = ((embeds: Float32Array) => Promise<ArrayLike<number>>) & { gpu?: () => GpuEmbeddingObjective };

/** An objective's GPU form: `encode` writes ∂objective/∂embeds into `grad`; `release` frees its buffers. */
export interface GpuEmbeddingObjective {
  grad: GPUBuffer;
  encode(rec: Recorder, embeds: GPUBuffer): void;
  release(): void;
}

export interface ImagePgdOptions {
  eps: number;
  alpha: number;
  steps: number;
  randomStart: boolean;
  /** Random-start draws: (seed, step) → the same start on every run. */
  seed: number;
  step: number;
  count?: PassKind;
}

/** L∞ PGD on `batch` images [batch, C, H, W] in [0, 1]; returns the adversarial images (last iterate). */
export async function pgdImages(ctx: GpuContext, model: FineTuneModel, x0: Float32Array, batch: number, objective: EmbeddingObjective, o: ImagePgdOptions): Promise<Float32Array> {
  const bx = await pgdImagesOnGpu(ctx, model, x0, batch, objective, o);
  try {
    return await ctx.readF32(bx, batch * model.pixelsPerImage);
  } finally {
    ctx.release(bx);
  }
}

/** `pgdImages` leaving the adversarial images on the GPU (the caller releases the buffer; no readback). */
export async function pgdImagesOnGpu(ctx: GpuContext, model: FineTuneModel, x0: Float32Array, batch: number, objective: EmbeddingObjective, o: ImagePgdOptions): Promise<GPUBuffer> {
  return inPhase(model.phases, 'attack', () => pgdImagesNow(ctx, model, x0, batch, objective, o));
}

async function pgdImagesNow(ctx: GpuContext, model: FineTuneModel, x0: Float32Array, batch: number, objective: EmbeddingObjective, o: ImagePgdOptions): Promise<GPUBuffer> {
  const n = model.pixelsPerImage;
  if (x0.length !== batch * n) throw new RangeError(`pgdImages: ${x0.length} values for ${batch} images of ${n}`);
  if (o.eps === 0 || (o.steps === 0 && !o.randomStart)) return ctx.upload('methods.pgd.x', x0);
  const shape = { batch, n, norm: 'linf' as const, box: true };
  const bx0 = ctx.upload('methods.pgd.x0', x0), bx = ctx.buffer('methods.pgd.x', x0.byteLength), bg = ctx.buffer('methods.pgd.g', x0.byteLength);
  let done = false;
  const eps = ctx.upload('methods.pgd.eps', new Float32Array(batch).fill(o.eps)), alpha = ctx.upload('methods.pgd.alpha', new Float32Array(batch).fill(o.alpha));
  let gpuObjective: GpuEmbeddingObjective | undefined;
  try {
    await ctx.run('methods.pgd.start', (rec) => {
      if (o.randomStart) encodePgdRandomStart(rec, bx, bx0, eps, shape, { seed: o.seed, step: o.step });
      else rec.copy(bx0, 0, bx, 0, x0.byteLength);
    });
    for (let k = 0; k < o.steps; k++) {
      const f = await model.visionForward(bx, batch, { keep: true, count: o.count, host: !objective.gpu });
      if (f.gpuEmbeds) {
        // GPU session: the objective's gradient is encoded on the output buffer and fed back without a readback.
        const g = gpuObjective ??= objective.gpu!();
        const embeds = f.gpuEmbeds;
        await ctx.run('methods.pgd.objective', (rec) => g.encode(rec, embeds));
        await model.visionBackward(f.state!, g.grad, { pixelsInto: bg });
      } else {
        await model.visionBackward(f.state!, await objective(f.embeds), { pixelsInto: bg });
      }
      await ctx.run('methods.pgd.step', (rec) => encodePgdStep(rec, bx, bx0, bg, eps, alpha, shape));
    }
    done = true;
    return bx;
  } finally {
    gpuObjective?.release();
    ctx.release(bx0, bg, eps, alpha);
    if (!done) ctx.release(bx);
  }
}

/**
 * Ascent direction of the mean zero-shot CE of `labels` against `classEmb` [C, P] (the zeroShot kernel): a host array,
 * or a GPU buffer (class embeddings that never left the GPU; the host form then reads them back once, for CPU
 * sessions).
 */
export function zeroShotCeObjective(ctx: GpuContext, model: FineTuneModel, classEmb: Float32Array | GPUBuffer, labels: Uint32Array, classes?: number): EmbeddingObjective {
  // A pooled GPU buffer may be larger than its contents: its class count is given.
  const C = classEmb instanceof Float32Array ? classEmb.length / model.dim : classes;
  if (C === undefined || !Number.isInteger(C) || C < 1) throw new RangeError(`zeroShotCeObjective: class count ${C} (give it with a GPU buffer)`);
  const shape: ZeroShotShape = { batch: labels.length, classes: C, dim: model.dim, logitScale: model.scale, textGrad: false };
  let host: Promise<Float32Array> | undefined;
  const hostClassEmb = () => (host ??= classEmb instanceof Float32Array ? Promise.resolve(classEmb) : ctx.readF32(classEmb, C * model.dim));
  const objective: EmbeddingObjective = async (embeds) => (await zeroShotLoss(ctx, embeds, await hostClassEmb(), labels, shape)).gradImages;
  objective.gpu = () => {
    const ws = createZeroShotWorkspace(ctx, shape, 'methods.pgd.objective');
    const texts = classEmb instanceof Float32Array ? ctx.upload('methods.pgd.objective.texts', classEmb) : undefined;
    const gLabels = ctx.upload('methods.pgd.objective.labels', labels);
    return {
      grad: ws.gradImages,
      encode: (rec, embeds) => encodeZeroShotLoss(rec, { images: embeds, texts: texts ?? (classEmb as GPUBuffer), labels: gLabels }, ws, shape, 'methods.pgd.objective'),
      release: () => {
        releaseZeroShotWorkspace(ctx, ws);
        ctx.release(gLabels, ...(texts ? [texts] : []));
      },
    };
  };
  return objective;
}

export interface PromptPgdOptions {
  /** Radius per prompt, relative to the norm of its token embeddings up to EOS. */
  epsRel: number;
  /** Step size, relative likewise. */
  alphaRel: number;
  steps: number;
  count?: PassKind;
}

/** L2 PGD on the token-embedding perturbation of `batch` prompts; returns δ [batch, T, width]. */
export async function pgdPrompts(ctx: GpuContext, model: FineTuneModel, ids: BigInt64Array, batch: number, objective: EmbeddingObjective, o: PromptPgdOptions): Promise<Float32Array> {
  return inPhase(model.phases, 'attack', () => pgdPromptsNow(ctx, model, ids, batch, objective, o));
}

async function pgdPromptsNow(ctx: GpuContext, model: FineTuneModel, ids: BigInt64Array, batch: number, objective: EmbeddingObjective, o: PromptPgdOptions): Promise<Float32Array> {
  const T = ids.length / batch, n = T * model.textWidth;
  const delta = new Float32Array(batch * n);
  if (o.steps === 0 || o.epsRel === 0) return delta;
  const norms = await tokenEmbeddingNorms(model, ids, batch);
  const shape = { batch, n, norm: 'l2' as const, box: false };
  const bx = ctx.upload('methods.textPgd.x', delta), bx0 = ctx.upload('methods.textPgd.x0', delta), bg = ctx.buffer('methods.textPgd.g', delta.byteLength);
  const eps = ctx.upload('methods.textPgd.eps', Float32Array.from(norms, (v) => o.epsRel * v));
  const alpha = ctx.upload('methods.textPgd.alpha', Float32Array.from(norms, (v) => o.alphaRel * v));
  try {
    // The iterate and its gradient stay on the GPU (GPU sessions read back only the embeddings); δ is read once.
    for (let k = 0; k < o.steps; k++) {
      const f = await model.textForward(ids, batch, bx, { keep: true, count: o.count });
      const gEmb = await objective(f.embeds);
      await model.textBackward(f.state!, gEmb, { deltaInto: bg });
      await ctx.run('methods.textPgd.step', (rec) => encodePgdStep(rec, bx, bx0, bg, eps, alpha, shape));
    }
    return await ctx.readF32(bx, batch * n);
  } finally {
    ctx.release(bx, bx0, bg, eps, alpha);
  }
}

/**
 * `pgdPrompts` with everything on the GPU (GPU sessions and an objective with a GPU form): the radius from the text
 * tower's current params (`FineTuneModel.promptRadius`), the iterate, the objective's gradient and δ; returns δ as a
 * GPU buffer [batch, T, width] (the caller releases it). Nothing is read back.
 */
export async function pgdPromptsOnGpu(ctx: GpuContext, model: FineTuneModel, ids: BigInt64Array, batch: number, objective: GpuEmbeddingObjective, o: PromptPgdOptions): Promise<GPUBuffer> {
  return inPhase(model.phases, 'attack', async () => {
    const T = ids.length / batch, n = T * model.textWidth;
    const bx = ctx.buffer('methods.textPgd.x', batch * n * 4);
    let done = false;
    const owned: GPUBuffer[] = [];
    try {
      await ctx.run('methods.textPgd.start', (rec) => rec.clear(bx));
      if (o.steps === 0 || o.epsRel === 0) {
        done = true;
        return bx;
      }
      const bx0 = ctx.buffer('methods.textPgd.x0', batch * n * 4), bg = ctx.buffer('methods.textPgd.g', batch * n * 4);
      owned.push(bx0, bg);
      const { eps, alpha } = await promptRadius(model, ids, batch, { epsRel: o.epsRel, alphaRel: o.alphaRel });
      owned.push(eps, alpha);
      await ctx.run('methods.textPgd.x0', (rec) => rec.clear(bx0));
      const shape = { batch, n, norm: 'l2' as const, box: false };
      for (let k = 0; k < o.steps; k++) {
        const f = await model.textForward(ids, batch, bx, { keep: true, count: o.count, host: false });
        const embeds = f.gpuEmbeds ?? ctx.upload('methods.textPgd.embeds', f.embeds);
        try {
          await ctx.run('methods.textPgd.objective', (rec) => objective.encode(rec, embeds));
        } finally {
          if (!f.gpuEmbeds) ctx.release(embeds);
        }
        await model.textBackward(f.state!, objective.grad, { deltaInto: bg });
        await ctx.run('methods.textPgd.step', (rec) => encodePgdStep(rec, bx, bx0, bg, eps, alpha, shape));
      }
      done = true;
      return bx;
    } finally {
      ctx.release(...owned);
      if (!done) ctx.release(bx);
    }
  });
}

/**
 * Per prompt, the L2 norm of its token embeddings up to and including EOS (the ArgMax of the ids, where the text
 * tower pools; later positions cannot change the output), from the current weights.
 */
export async function tokenEmbeddingNorms(model: FineTuneModel, ids: BigInt64Array, batch: number): Promise<Float64Array> {
  const T = ids.length / batch, W = model.textWidth, eos = eosPositions(ids, batch);
  const used: number[] = [];
  for (let b = 0; b < batch; b++) for (let t = 0; t <= eos[b]; t++) used.push(Number(ids[b * T + t]));
  // Only the rows of the prompts' tokens (one small readback after an update, not the whole tower).
  const rows = await model.text.slotRows(model.text.slot(TOKEN_EMBEDDING_WEIGHT), W, used);
  const out = new Float64Array(batch);
  for (let b = 0; b < batch; b++) {
    let ss = 0;
    for (let t = 0; t <= eos[b]; t++) {
      const row = rows.get(Number(ids[b * T + t]))!;
      for (let k = 0; k < W; k++) ss += row[k] ** 2;
    }
    out[b] = Math.sqrt(ss);
  }
  return out;
}

/**
 * The prompt attack's per-prompt radius and step on the GPU: epsRel·r_b and alphaRel·r_b, r_b the norm of prompt b's
 * token-embedding rows up to EOS in the text tower's current params (src/kernels/promptAttack.ts) — nothing read
 * back. The caller releases both buffers.
 */
export async function promptRadius(model: FineTuneModel, ids: BigInt64Array, batch: number, rel: { epsRel: number; alphaRel: number }): Promise<{ eps: GPUBuffer; alpha: GPUBuffer }> {
  const slot = model.text.slot(TOKEN_EMBEDDING_WEIGHT), W = model.textWidth;
  const shape = { batch, tokens: ids.length / batch, width: W, offset: slot.offset, vocab: slot.count / W };
  const inputs = radiusInputs(ids, shape);
  const gIds = model.ctx.upload('methods.promptRadius.ids', inputs.ids), gEos = model.ctx.upload('methods.promptRadius.eos', inputs.eos);
  const eps = model.ctx.buffer('methods.promptRadius.eps', batch * 4), alpha = model.ctx.buffer('methods.promptRadius.alpha', batch * 4);
  try {
    await model.ctx.run('methods.promptRadius', (rec) => encodePromptRadius(rec, { params: model.text.params, ids: gIds, eos: gEos, eps, alpha }, shape, rel));
  } catch (e) {
    model.ctx.release(eps, alpha);
    throw e;
  } finally {
    model.ctx.release(gIds, gEos);
  }
  return { eps, alpha };
}

/** The current model as an `AttackTarget` for `runAttack` / `evaluateZeroShot` at a fixed batch (passes counted as 'eval'). */
export function attackView(ctx: GpuContext, model: FineTuneModel, batch: number): AttackTarget {
  const c = model.config;
  return {
    batch,
    pixelDims: [batch, c.channels, c.imageSize, c.imageSize],
    n: model.pixelsPerImage,
    dim: model.dim,
    output: 'image_embeds',
    async embed(pixels: GPUBuffer, embeds: GPUBuffer): Promise<void> {
      const f = await model.visionForward(pixels, batch, { count: 'eval' });
      ctx.write(embeds, f.embeds);
    },
    async forward(pixels: GPUBuffer, embeds: GPUBuffer): Promise<ForwardState> {
      const f = await model.visionForward(pixels, batch, { keep: true, count: 'eval' });
      ctx.write(embeds, f.embeds);
      return f.state!;
    },
    async backward(state: ForwardState, gradEmbeds: GPUBuffer, gradPixels: GPUBuffer): Promise<void> {
      const g = await ctx.readF32(gradEmbeds, batch * model.dim);
      const gp = await model.visionBackward(state as TowerState, g, { pixels: true });
      ctx.write(gradPixels, gp!);
    },
    async release(): Promise<void> {},
  };
}
