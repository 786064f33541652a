/**
 * The attack objective on one batch, on the GPU: pixels → (vision session) → image embeddings → zero-shot logits
 * against the class-prompt embeddings → per-sample objective (CE through the zeroShot kernel; C&W margin or DLR
 * through attack_margin.wgsl) → gradient w.r.t. the embeddings (matmul + normalisation backward) → (backward
 * session) → gradient w.r.t. the [0, 1] pixels. Every objective is oriented so that the attack maximises
 * `objSign · objective` (targeted CE: −CE towards the target).
 */
import type { GpuContext, Recorder } from '../gpu/context';
import { encodeMatmul } from '../kernels/matmul';
import { DEFAULT_NORMALIZE_EPS, encodeNormalizeBackward } from '../kernels/normalize';
import {
  createZeroShotWorkspace, encodeZeroShotLoss, releaseZeroShotWorkspace, type ZeroShotShape, type ZeroShotWorkspace,
} from '../kernels/zeroShot';
import { encodeMarginObjective } from './kernels';
import type { AttackTarget } from './model';

export type AttackLoss = 'ce' | 'margin' | 'dlr';

export interface ObjectiveSpec {
  /** f32 [classes, dim] class-prompt embeddings (raw). */
  texts: GPUBuffer;
  classes: number;
  logitScale: number;
  loss: AttackLoss;
  /** u32 [batch] true classes. */
  labels: GPUBuffer;
  /** u32 [batch] target classes: a targeted objective. */
  targets?: GPUBuffer;
  /** C&W cap κ. */
  kappa?: number;
}

export class ObjectiveRunner {
  readonly ws: ZeroShotWorkspace;
  /** f32 [batch, dim]. */
  readonly embeds: GPUBuffer;
  /** f32 [batch]: the objective (times objSign: the attack's ascent direction). */
  readonly objective: GPUBuffer;
  readonly objSign: 1 | -1;
  readonly targeted: boolean;
  private readonly marginOut: GPUBuffer;
  private readonly ceWeights?: GPUBuffer;
  private readonly shape: ZeroShotShape;
  private released = false;

  constructor(private readonly ctx: GpuContext, readonly model: AttackTarget, readonly spec: ObjectiveSpec) {
    const B = model.batch;
    if (!Number.isInteger(spec.classes) || spec.classes < 2) throw new RangeError(`attack objective: classes must be ≥ 2, got ${spec.classes}`);
    this.targeted = spec.targets !== undefined;
    this.shape = { batch: B, classes: spec.classes, dim: model.dim, logitScale: spec.logitScale, textGrad: false };
    this.ws = createZeroShotWorkspace(ctx, this.shape, 'attack.zeroShot');
    this.embeds = ctx.buffer('attack.embeds', B * model.dim * 4);
    this.marginOut = ctx.buffer('attack.objective', B * 4);
    // Targeted CE: the CE kernel's labels are the targets and weight −1 turns its gradient into ascent of −CE.
    if (this.targeted && spec.loss === 'ce') this.ceWeights = ctx.upload('attack.ceWeights', new Float32Array(B).fill(-1));
    this.objective = spec.loss === 'ce' ? this.ws.sampleLoss : this.marginOut;
    this.objSign = spec.loss === 'ce' && this.targeted ? -1 : 1;
  }

  /** u32 [batch] predicted classes of the last evaluation. */
  get predicted(): GPUBuffer {
    return this.ws.predicted;
  }

  /**
   * Evaluates `point` (f32 [batch, C, H, W]); with `grad`, also writes ∂(objSign · objective_b)/∂point_b there (per
   * sample, up to a positive factor 1/batch for CE). `record` adds dispatches to the objective's submit.
   */
  async evaluate(point: GPUBuffer, grad?: GPUBuffer, record?: (rec: Recorder) => void): Promise<void> {
    if (this.released) throw new Error('attack objective: used after release()');
    const { ctx, model, spec, ws } = this;
    const B = model.batch, D = model.dim, C = spec.classes;
    const state = grad ? await model.forward(point, this.embeds) : (await model.embed(point, this.embeds), undefined);
    try {
      await ctx.run('attack.objective', (rec) => {
        const ceLabels = this.targeted && spec.loss === 'ce' ? spec.targets! : spec.labels;
        encodeZeroShotLoss(rec, { images: this.embeds, texts: spec.texts, labels: ceLabels, weights: this.ceWeights }, ws,
          { ...this.shape, imageGrad: !!grad && spec.loss === 'ce' }, 'attack.zeroShot');
        if (spec.loss !== 'ce') {
          encodeMarginObjective(rec, ws.logits, spec.labels, spec.targets, this.marginOut, ws.dLogits,
            { batch: B, classes: C, loss: spec.loss, targeted: this.targeted, kappa: spec.kappa });
          if (grad) {
            encodeMatmul(rec, ws.dLogits, ws.textUnit, ws.gradImageUnit, { batch: 1, M: B, N: D, K: C, alpha: spec.logitScale }, 'attack.grad.imageUnit');
            encodeNormalizeBackward(rec, ws.imageUnit, ws.imageNorms, ws.gradImageUnit, ws.gradImages, { rows: B, d: D, eps: DEFAULT_NORMALIZE_EPS }, 'attack.grad.images');
          }
        }
        record?.(rec);
      });
    } catch (e) {
      if (state) for (const v of Object.values(state.outputs)) v.dispose();
      throw e;
    }
    if (state) await model.backward(state, ws.gradImages, grad!);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    releaseZeroShotWorkspace(this.ctx, this.ws);
    this.ctx.release(this.embeds, this.marginOut, this.ceWeights);
  }
}

export interface ObjectiveValues {
  /** Per sample, oriented (the attack maximises it). */
  objective: Float32Array;
  /** ∂objective_b/∂pixels_b, f32 [batch, C, H, W] (CE: per sample, i.e. the batch mean's gradient times batch). */
  grad: Float32Array;
  predicted: Uint32Array;
  /** f32 [batch, classes]. */
  logits: Float32Array;
}

/** One-shot objective and pixel gradient (for tests, saliency maps and debugging). */
export async function objectiveAndGradient(
  ctx: GpuContext, model: AttackTarget, pixels: GPUBuffer,
  spec: Omit<ObjectiveSpec, 'labels' | 'targets'> & { labels: Uint32Array; targets?: Uint32Array },
): Promise<ObjectiveValues> {
  const B = model.batch;
  const labels = ctx.upload('objective.labels', spec.labels);
  const targets = spec.targets ? ctx.upload('objective.targets', spec.targets) : undefined;
  const grad = ctx.buffer('objective.grad', B * model.n * 4);
  const runner = new ObjectiveRunner(ctx, model, { ...spec, labels, targets });
  try {
    await runner.evaluate(pixels, grad);
    const objective = (await ctx.readF32(runner.objective, B)).map((v) => runner.objSign * v);
    const g = await ctx.readF32(grad, B * model.n);
    if (spec.loss === 'ce') for (let i = 0; i < g.length; i++) g[i] *= B; // the CE kernel differentiates the batch mean
    return {
      objective, grad: g, predicted: await ctx.readU32(runner.predicted, B), logits: await ctx.readF32(runner.ws.logits, B * spec.classes),
    };
  } finally {
    runner.release();
    ctx.release(labels, targets, grad);
  }
}
