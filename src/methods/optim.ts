/**
 * Flat per-tower parameters on the GPU and one optimiser step over several towers with different learning rates
 * and ONE global gradient-norm clip (the approach of ClipTrainer, with per-tower learning rates):
 *
 *   every trained tower t: params_t, m_t, v_t (f32, on the GPU), two gradient accumulators: one on the GPU (what
 *          GPU sessions' weight gradients are added into, src/kernels/accumulate — no readback) and one on the host
 *          (CPU sessions; tests)
 *   step:  grads of all trained towers (host part uploaded only when non-zero, GPU part added on the GPU) → one joint buffer → encodeGlobalGradNorm (‖g‖ and the clip scale, on the GPU)
 *          → per tower: encodeAdamwStep / encodeSgdStep with lr_t and maxGradNorm 'precomputed' (the update kernel
 *            multiplies g_t by the global clip scale it reads from the GPU: no readback, no scaled copy)
 */
import type { GpuContext, Recorder } from '../gpu/context';
import { encodeAccumulate } from '../kernels/accumulate';
import { GRAD_NORM_FLOATS, createGradNormBuffer, encodeAdamwStep, encodeGlobalGradNorm, encodeSgdStep } from '../kernels/optim';

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
  /** Host copy of the params: read back lazily after a GPU update (`syncHost`), so a step on GPU sessions reads nothing. */
  private hostCopy: Float32Array;
  private hostStale = false;
  /** The params it was created with (the frozen reference of FARE / PMG-AFT). */
  readonly original: Float32Array;
  /** Host gradient accumulator (f32, summed over the backward calls of a step on CPU sessions). */
  readonly grads: Float32Array;
  /** GPU gradient accumulator (GPU sessions add into it; created at the first such backward). */
  private gpuGrads: GPUBuffer | undefined;
  /** Whether `gpuGrads` holds anything since the last `zeroGrad`. */
  gpuGradsDirty = false;
  /** Bumped whenever `host` changes (feeds cached per version). */
  version = 0;

  constructor(private readonly ctx: GpuContext, readonly tower: 'vision' | 'text', readonly slots: ParamSlot[], initial: Float32Array, readonly trainable: boolean) {
    this.count = initial.length;
    this.params = ctx.upload(`methods.${tower}.params`, initial);
    this.m = ctx.upload(`methods.${tower}.m`, new Float32Array(this.count));
    this.v = ctx.upload(`methods.${tower}.v`, new Float32Array(this.count));
    this.hostCopy = Float32Array.from(initial);
    this.original = Float32Array.from(initial);
    this.grads = new Float32Array(this.count);
  }

  /** The host copy of the params; after an update, `await syncHost()` first (a stale copy is refused, not served). */
  get host(): Float32Array {
    if (this.hostStale) throw new Error(`${this.tower} tower: the host copy of the params is stale after a GPU update (await syncHost() first)`);
    return this.hostCopy;
  }

  /** The current params on the host (one readback when an update happened since the last call). */
  async syncHost(): Promise<Float32Array> {
    if (this.hostStale) {
      this.hostCopy = await this.ctx.readF32(this.params, this.count);
      this.hostStale = false;
    }
    return this.hostCopy;
  }

  /**
   * Rows `ids` of a [rows, width] weight in `slot` (e.g. the token embedding's rows of a prompt set's tokens): from the
   * host copy when it is current, else only those rows in one readback — a whole text tower is ~63 M values on a
   * ViT-B/32 CLIP, its prompts' rows a few hundred.
   */
  async slotRows(slot: ParamSlot, width: number, ids: Iterable<number>): Promise<Map<number, Float32Array>> {
    const want = [...new Set(ids)].sort((a, b) => a - b);
    for (const id of want) {
      if (!Number.isInteger(id) || id < 0 || (id + 1) * width > slot.count) throw new RangeError(`${this.tower} tower: row ${id} is outside '${slot.name}' ([${slot.count / width}, ${width}])`);
    }
    const out = new Map<number, Float32Array>();
    if (!this.hostStale) {
      for (const id of want) out.set(id, this.hostCopy.subarray(slot.offset + id * width, slot.offset + (id + 1) * width));
      return out;
    }
    const parts = await this.ctx.readMany(want.map((id) => ({ buffer: this.params, count: width, offset: slot.offset + id * width })));
    want.forEach((id, i) => out.set(id, new Float32Array(parts[i])));
    return out;
  }

  /** The GPU params changed (an optimiser step): the host copy is stale until `syncHost`. */
  markUpdated(): void {
    this.hostStale = true;
    this.version++;
  }

  slot(name: string): ParamSlot {
    const s = this.slots.find((x) => x.name === name);
    if (!s) throw new RangeError(`${this.tower} tower has no weight '${name}'`);
    return s;
  }

  zeroGrad(): void {
    this.grads.fill(0);
    // The GPU accumulator is cleared by the next accumulation's own command buffer (no submission of its own).
    this.gpuGradsDirty = false;
  }

  /** Encodes `src` (one tensor's gradient, `slot.count` values) added into the GPU accumulator at the slot's offset. */
  encodeAccumulate(rec: Parameters<typeof encodeAccumulate>[0], src: GPUBuffer, slot: ParamSlot): void {
    this.gpuGrads ??= this.ctx.buffer(`methods.${this.tower}.gpuGrads`, Math.max(1, this.count) * 4);
    if (!this.gpuGradsDirty) {
      // First accumulation since zeroGrad (or ever): start from zero.
      rec.endPass();
      rec.encoder.clearBuffer(this.gpuGrads);
    }
    encodeAccumulate(rec, this.gpuGrads, src, { count: slot.count, dstOffset: slot.offset }, `methods.${this.tower}.accumulate.${slot.name}`);
    this.gpuGradsDirty = true;
  }

  /** The GPU accumulator when it holds gradients of this step (for the optimiser), else undefined. */
  get deviceGradients(): GPUBuffer | undefined {
    return this.gpuGradsDirty ? this.gpuGrads : undefined;
  }

  /** The accumulated gradient, host + GPU (reads the GPU part back: tests and diagnostics, not the training step). */
  async gradients(): Promise<Float32Array> {
    const out = Float32Array.from(this.grads);
    if (this.gpuGrads && this.gpuGradsDirty) {
      const g = await this.ctx.readF32(this.gpuGrads, this.count);
      for (let i = 0; i < this.count; i++) out[i] += g[i];
    }
    return out;
  }

  async load(params: Float32Array, m: Float32Array, v: Float32Array): Promise<void> {
    if (params.length !== this.count || m.length !== this.count || v.length !== this.count) {
      throw new RangeError(`${this.tower} tower: state has ${params.length} parameters, the model ${this.count}`);
    }
    this.ctx.write(this.params, params);
    this.ctx.write(this.m, m);
    this.ctx.write(this.v, v);
    this.hostCopy = Float32Array.from(params);
    this.hostStale = false;
    this.version++;
  }

  async moments(): Promise<{ m: Float32Array; v: Float32Array }> {
    return { m: await this.ctx.readF32(this.m, this.count), v: await this.ctx.readF32(this.v, this.count) };
  }

  release(): void {
    this.ctx.release(this.params, this.m, this.v, ...(this.gpuGrads ? [this.gpuGrads] : []));
    this.gpuGrads = undefined;
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
    // Pooled buffers keep old contents: start with the (sticky) non-finite flag clear.
    this.clearNonFinite();
    this.perTower = towers.map((t) => ({
      t,
      grads: ctx.buffer(`methods.optim.${t.tower}.grads`, Math.max(1, t.count) * 4),
    }));
  }

  /**
   * One update (1-based `step`) from the towers' gradient accumulators (host + GPU), learning rate per tower; the
   * towers' host copies become stale (read back on demand). Returns ‖g‖ over all trained towers, before clipping
   * (one readback); a non-finite ‖g‖ masked this update only (the flag is cleared for the next one).
   */
  async step(step: number, lr: Map<TowerParams, number>): Promise<number> {
    if (!this.perTower.length) return 0;
    await this.stepOnGpu(step, lr);
    const [norm, , , bad] = await this.ctx.readF32(this.gradNorm, 4);
    if (bad !== 0) this.clearNonFinite();
    return norm;
  }

  /**
   * The same update with nothing read back: `capture` is encoded after it in the same submission (e.g. copying the
   * gradNorm buffer's header [‖g‖, clip scale, ‖g‖², non-finite flag] into a metrics ring). The flag is sticky: once a
   * step's ‖g‖ is not finite, every later update stays masked until `clearNonFinite` (the caller has seen it).
   */
  async stepOnGpu(step: number, lr: Map<TowerParams, number>, capture?: (rec: Recorder, gradNorm: GPUBuffer) => void): Promise<void> {
    if (!this.perTower.length) {
      if (capture) await this.ctx.run('methods.optim.capture', (rec) => capture(rec, this.gradNorm));
      return;
    }
    const o = this.options;
    // The host part is uploaded only when it holds something (GPU sessions leave it at zero: a ViT-B/32 tower's
    // 88 M zeros are not worth a transfer); NaN counts as something.
    const hostUsed = this.perTower.map(({ t }) => t.grads.some((v) => v !== 0));
    this.perTower.forEach(({ t, grads }, i) => { if (hostUsed[i]) this.ctx.write(grads, t.grads); });
    await this.ctx.run('methods.optim.step', (rec) => {
      let off = 0;
      this.perTower.forEach(({ t, grads }, i) => {
        const device = t.deviceGradients;
        if (!hostUsed[i]) {
          rec.endPass();
          if (device) rec.copy(device, 0, grads, 0, t.count * 4);
          else rec.encoder.clearBuffer(grads);
        } else if (device) {
          encodeAccumulate(rec, grads, device, { count: t.count }, `methods.optim.${t.tower}.addDeviceGrads`);
        }
        rec.copy(grads, 0, this.joint, off * 4, t.count * 4);
        off += t.count;
      });
      encodeGlobalGradNorm(rec, this.joint, this.gradNorm, this.total, o.maxGradNorm, 'methods.optim.norm', { sticky: true });
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
      capture?.(rec, this.gradNorm);
    });
    for (const { t } of this.perTower) t.markUpdated();
  }

  /** The gradient-norm header [‖g‖, clip scale, ‖g‖², non-finite flag] of the last update, on the GPU. */
  get gradNormBuffer(): GPUBuffer {
    return this.gradNorm;
  }

  /** Clears the sticky non-finite flag: the next update applies again. */
  clearNonFinite(): void {
    this.ctx.write(this.gradNorm, new Float32Array(GRAD_NORM_FLOATS));
  }

  release(): void {
    this.ctx.release(this.joint, this.gradNorm, ...this.perTower.map((p) => p.grads));
  }
}
