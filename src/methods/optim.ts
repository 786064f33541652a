/**
 * Flat per-tower parameters on the GPU and one optimiser step over several towers with different learning rates
 * and ONE global gradient-norm clip (the approach of ClipTrainer, with per-tower learning rates):
 *
 *   every trained tower t: params_t, m_t, v_t (f32, on the GPU), a host gradient accumulator
 *   step:  grads of all trained towers → one joint buffer → encodeGlobalGradNorm (‖g‖ and the clip scale, on the GPU)
 *          → per tower: encodeAdamwStep / encodeSgdStep with lr_t and maxGradNorm 'precomputed' (the update kernel
 *            multiplies g_t by the global clip scale it reads from the GPU: no readback, no scaled copy)
 */
import type { GpuContext } from '../gpu/context';
import { createGradNormBuffer, encodeAdamwStep, encodeGlobalGradNorm, encodeSgdStep } from '../kernels/optim';

/** Columns per batch item of the scaling matmul (x workgroups = L / 64 ≤ 65535; items ≤ 65535). */

export interface ParamSlot {
  name: string;
  dims: number[];
  /** Element offset in the tower's flat buffer. */
  offset: number;
  count: number;
}

export interface OptimizerOptions {
  kind: 'adamw' | 'sgd';
  weightDecay: number;
  /** Global gradient-norm clip over every trained tower; undefined: none. */
  maxGradNorm?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** SGD momentum. */
  momentum?: number;
}

/** One tower's flat parameters: GPU params and moments, a host copy of the params, a host gradient accumulator. */
export class TowerParams {
  readonly count: number;
  readonly params: GPUBuffer;
  readonly m: GPUBuffer;
  readonly v: GPUBuffer;
  /** Host copy of the current params (refreshed after each update). */
  host: Float32Array;
  /** The params it was created with (the frozen reference of FARE / PMG-AFT). */
  readonly original: Float32Array;
  /** Host gradient accumulator (f32, summed over the backward calls of a step). */
  readonly grads: Float32Array;
  /** Bumped whenever `host` changes (feeds cached per version). */
  version = 0;

  constructor(private readonly ctx: GpuContext, readonly tower: 'vision' | 'text', readonly slots: ParamSlot[], initial: Float32Array, readonly trainable: boolean) {
    this.count = initial.length;
    this.params = ctx.upload(`methods.${tower}.params`, initial);
    this.m = ctx.upload(`methods.${tower}.m`, new Float32Array(this.count));
    this.v = ctx.upload(`methods.${tower}.v`, new Float32Array(this.count));
    this.host = Float32Array.from(initial);
    this.original = Float32Array.from(initial);
    this.grads = new Float32Array(this.count);
  }

  slot(name: string): ParamSlot {
    const s = this.slots.find((x) => x.name === name);
    if (!s) throw new RangeError(`${this.tower} tower has no weight '${name}'`);
    return s;
  }

  zeroGrad(): void {
    this.grads.fill(0);
  }

  async load(params: Float32Array, m: Float32Array, v: Float32Array): Promise<void> {
    if (params.length !== this.count || m.length !== this.count || v.length !== this.count) {
      throw new RangeError(`${this.tower} tower: state has ${params.length} parameters, the model ${this.count}`);
    }
    this.ctx.write(this.params, params);
    this.ctx.write(this.m, m);
    this.ctx.write(this.v, v);
    this.host = Float32Array.from(params);
    this.version++;
  }

  async moments(): Promise<{ m: Float32Array; v: Float32Array }> {
    return { m: await this.ctx.readF32(this.m, this.count), v: await this.ctx.readF32(this.v, this.count) };
  }

  release(): void {
    this.ctx.release(this.params, this.m, this.v);
  }
}

/** The optimiser over the trained towers (built once; buffers reused every step). */
export class TowerOptimizer {
  private readonly joint: GPUBuffer;
  private readonly gradNorm: GPUBuffer;
  private readonly perTower: Array<{ t: TowerParams; grads: GPUBuffer }>;
  private readonly total: number;

  constructor(private readonly ctx: GpuContext, readonly towers: TowerParams[], readonly options: OptimizerOptions) {
    this.total = towers.reduce((a, t) => a + t.count, 0);
    this.joint = ctx.buffer('methods.optim.joint', Math.max(1, this.total) * 4);
    this.gradNorm = createGradNormBuffer(ctx, 'methods.optim.gradNorm');
    this.perTower = towers.map((t) => ({
      t,
      grads: ctx.buffer(`methods.optim.${t.tower}.grads`, Math.max(1, t.count) * 4),
    }));
  }

  /**
   * One update (1-based `step`) from the towers' host gradient accumulators, learning rate per tower; refreshes
   * the towers' host params. Returns ‖g‖ over all trained towers, before clipping.
   */
  async step(step: number, lr: Map<TowerParams, number>): Promise<number> {
    if (!this.perTower.length) return 0;
    const o = this.options;
    let off = 0;
    for (const { t, grads } of this.perTower) {
      this.ctx.write(this.joint, t.grads, off * 4);
      this.ctx.write(grads, t.grads);
      off += t.count;
    }
    await this.ctx.run('methods.optim.step', (rec) => {
      encodeGlobalGradNorm(rec, this.joint, this.gradNorm, this.total, o.maxGradNorm, 'methods.optim.norm');
      for (const { t, grads } of this.perTower) {
        const rate = lr.get(t) ?? 0;
        if (o.kind === 'adamw') {
          encodeAdamwStep(rec, { params: t.params, grads, m: t.m, v: t.v, gradNorm: this.gradNorm }, t.count, step,
            { maxGradNorm: 'precomputed', lr: rate, beta1: o.beta1 ?? 0.9, beta2: o.beta2 ?? 0.98, eps: o.eps ?? 1e-6, weightDecay: o.weightDecay }, `methods.optim.${t.tower}.adamw`);
        } else {
          encodeSgdStep(rec, { params: t.params, grads, momentum: t.m, gradNorm: this.gradNorm }, t.count, step,
            { maxGradNorm: 'precomputed', lr: rate, momentum: o.momentum ?? 0.9, weightDecay: o.weightDecay }, `methods.optim.${t.tower}.sgd`);
        }
      }
    });
    for (const { t } of this.perTower) {
      t.host = await this.ctx.readF32(t.params, t.count);
      t.version++;
    }
    return (await this.ctx.readF32(this.gradNorm, 1))[0];
  }

  release(): void {
    this.ctx.release(this.joint, this.gradNorm, ...this.perTower.map((p) => p.grads));
  }
}
