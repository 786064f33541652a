/**
 * `ClipTrainer`: contrastive training of both CLIP towers with our own autodiff graphs, onnxruntime sessions and the
 * AdamW kernel. Host-independent (browser: onnxruntime-web WebGPU on our device; Node: onnxruntime-node CPU).
 *
 * Per tower, `GradientGraphCache` builds a forward graph (batch fixed; outputs the embeddings + saved activations)
 * and a backward graph (saved activations + upstream ∂embeds → ∂weights) with wrt = every weight of the tower.
 *
 * Weights live on the GPU in ONE flat f32 buffer (both towers, tensor after tensor; `layout` has the offsets), with
 * flat AdamW moments `m`, `v` and a flat gradient buffer: one global-norm reduction and one AdamW dispatch per step
 * over all parameters (a dispatch per tensor would be ~190 dispatches and could not clip by the global norm).
 *  - browser (WebGPU sessions): weights are fed as per-tensor GPU buffers (ORT takes whole buffers, no offsets), kept
 *    in sync with copyBufferToBuffer from the flat buffer after each update; per-tensor gradient outputs (GPU
 *    buffers) are copied into the flat gradient buffer with copyBufferToBuffer — nothing crosses to the CPU except
 *    the embeddings for the loss.
 *  - Node (CPU sessions): the flat weight buffer is read back once per step and sliced into feeds; the gradients are
 *    packed on the CPU and written once. Same buffers, same AdamW dispatches.
 * The loss (src/train/loss.ts) runs on the CPU in float64; the logit scale is fixed (not learned).
 */
import type { GpuContext } from '../gpu/context';
import { GradientGraphCache, type CachedGradientGraphs } from '../onnx/autodiff/cache';
import { buildClipTextModel, buildClipVisionModel } from '../onnx/clip/build';
import { clipWeightShapes, type ClipWeights } from '../onnx/clip/weights';
import type { ClipConfig } from '../onnx/clip/config';
import { encodeModel } from '../onnx/proto';
import { numel } from '../onnx/ir';
import { createSession, type OnnxSession, type SessionFeed, type SessionOutput } from '../onnx/run/session';
import { createGradNormBuffer, encodeAdamwStep, type AdamwOptions } from '../kernels/optim';
import { contrastiveLoss } from './loss';
import { lrAt, type LrSchedule } from './schedule';

export interface ClipTrainerOptions {
  config: ClipConfig;
  /** Initial weights (HF names); `logit_scale` is ignored (fixed scale, see `logitScale`). */
  weights: ClipWeights;
  /** Fixed batch size of the gradient graphs. */
  batch: number;
  /** Log logit scale (logits = exp(logitScale) · cos); default the config's. Fixed during training. */
  logitScale?: number;
  /** AdamW hyper-parameters (lr comes from the schedule). */
  optimizer?: Omit<AdamwOptions, 'lr'>;
  schedule: LrSchedule;
  /** Session backend override (tests). */
  backend?: 'webgpu' | 'node-cpu';
  /** Recompute policy of the gradient graphs (default 'none'). */
  recompute?: 'none' | 'all' | 'cheap';
}

export interface TrainBatch {
  /** [B, C, H, W] normalised pixels. */
  pixels: Float32Array;
  /** [B, T] token ids. */
  ids: BigInt64Array;
  /** [B] global class ids (same id = positive pair). */
  classes: ArrayLike<number>;
}

export interface StepResult {
  step: number;
  loss: number;
  accI2T: number;
  lr: number;
}

/** Everything needed to resume: weights, moments, the step counter. */
export interface TrainerState {
  step: number;
  params: Float32Array;
  m: Float32Array;
  v: Float32Array;
}

export interface ParamSlot {
  name: string;
  dims: number[];
  offset: number;
  count: number;
  tower: 'vision' | 'text';
}

interface TowerRuntime {
  tower: 'vision' | 'text';
  pair: CachedGradientGraphs;
  fwd: OnnxSession;
  bwd: OnnxSession;
  slots: ParamSlot[];
  output: string;
  input: string;
}

export class ClipTrainer {
  readonly config: ClipConfig;
  readonly batch: number;
  readonly logitScale: number;
  readonly layout: ParamSlot[];
  readonly count: number;
  readonly schedule: LrSchedule;
  readonly optimizer: Omit<AdamwOptions, 'lr'>;
  step = 0;
  private readonly params: GPUBuffer;
  private readonly grads: GPUBuffer;
  private readonly m: GPUBuffer;
  private readonly v: GPUBuffer;
  private readonly gradNorm: GPUBuffer;
  private readonly towers: TowerRuntime[] = [];
  /** Per-tensor weight buffers (browser/WebGPU path only). */
  private readonly tensorBuffers = new Map<string, GPUBuffer>();
  private hostParams: Float32Array | undefined;

  private constructor(private readonly ctx: GpuContext, o: ClipTrainerOptions, layout: ParamSlot[], count: number) {
    this.config = o.config;
    this.batch = o.batch;
    this.logitScale = o.logitScale ?? o.config.logitScale;
    this.layout = layout;
    this.count = count;
    this.schedule = o.schedule;
    this.optimizer = { beta1: 0.9, beta2: 0.98, eps: 1e-6, weightDecay: 0.05, maxGradNorm: 1, ...o.optimizer };
    this.params = ctx.buffer('train.params', count * 4);
    this.grads = ctx.buffer('train.grads', count * 4);
    this.m = ctx.buffer('train.m', count * 4);
    this.v = ctx.buffer('train.v', count * 4);
    this.gradNorm = createGradNormBuffer(ctx, 'train.gradNorm');
  }

  static async create(ctx: GpuContext, o: ClipTrainerOptions): Promise<ClipTrainer> {
    const layout: ParamSlot[] = [];
    let offset = 0;
    for (const tower of ['vision', 'text'] as const) {
      for (const [name, dims] of clipWeightShapes(o.config, tower)) {
        const count = numel(dims);
        layout.push({ name, dims, offset, count, tower });
        offset += count;
      }
    }
    const t = new ClipTrainer(ctx, o, layout, offset);
    const flat = new Float32Array(offset);
    for (const s of layout) {
      const w = o.weights.get(s.name);
      if (!w || numel(w.dims) !== s.count) throw new RangeError(`ClipTrainer: weight '${s.name}' missing or of the wrong size`);
      flat.set(w.data as Float32Array, s.offset);
    }
    ctx.write(t.params, flat);
    ctx.write(t.m, new Float32Array(offset));
    ctx.write(t.v, new Float32Array(offset));
    t.hostParams = flat;
    const cache = new GradientGraphCache(4);
    for (const tower of ['vision', 'text'] as const) {
      const model = tower === 'vision'
        ? buildClipVisionModel(o.config, o.weights, { batch: o.batch, lastHiddenState: false })
        : buildClipTextModel(o.config, o.weights, { batch: o.batch, lastHiddenState: false });
      const slots = layout.filter((s) => s.tower === tower);
      const output = tower === 'vision' ? 'image_embeds' : 'text_embeds';
      const pair = cache.get(encodeModel(model), { wrt: slots.map((s) => s.name), outputs: [output], batch: o.batch, recompute: o.recompute ?? 'none' });
      const opts = { backend: o.backend, label: `train.${tower}` };
      const fwd = await createSession(ctx, pair.forwardBytes(), { ...opts, label: `${opts.label}.forward` });
      const bwd = await createSession(ctx, pair.backwardBytes(), { ...opts, label: `${opts.label}.backward` });
      t.towers.push({ tower, pair, fwd, bwd, slots, output, input: tower === 'vision' ? 'pixel_values' : 'input_ids' });
    }
    return t;
  }

  /** Weight feeds for one tower: GPU buffers on WebGPU sessions, CPU slices of one readback otherwise. */
  private async weightFeeds(rt: TowerRuntime): Promise<Record<string, SessionFeed>> {
    const feeds: Record<string, SessionFeed> = {};
    if (rt.fwd.backend === 'webgpu') {
      for (const s of rt.slots) feeds[s.name] = { dims: s.dims, gpuBuffer: this.tensorBuffer(s), dtype: 'float32' };
      return feeds;
    }
    this.hostParams ??= await this.ctx.readF32(this.params, this.count);
    for (const s of rt.slots) feeds[s.name] = { dims: s.dims, data: this.hostParams.slice(s.offset, s.offset + s.count) };
    return feeds;
  }

  private tensorBuffer(s: ParamSlot): GPUBuffer {
    let b = this.tensorBuffers.get(s.name);
    if (!b) {
      b = this.ctx.buffer(`train.w.${s.name}`, s.count * 4);
      this.tensorBuffers.set(s.name, b);
      const buf = b;
      void this.ctx.run('train.syncTensor', (rec) => rec.copy(this.params, s.offset * 4, buf, 0, s.count * 4));
    }
    return b;
  }

  /** Forward of one tower on the training graph; returns the embeddings (CPU) and the outputs to keep for backward. */
  private async forward(rt: TowerRuntime, input: SessionFeed): Promise<{ embeds: Float32Array; outs: Record<string, SessionOutput>; feeds: Record<string, SessionFeed> }> {
    const feeds = { ...(await this.weightFeeds(rt)), [rt.input]: input };
    const outs = await rt.fwd.run(feeds);
    const o = outs[rt.output];
    const embeds = o.data ? (o.data as Float32Array) : await this.ctx.readF32(o.gpuBuffer!, numel(o.dims));
    return { embeds, outs, feeds };
  }

  /** Backward of one tower: ∂embeds → per-tensor ∂weights, gathered into the flat gradient buffer (`hostGrads` on CPU). */
  private async backward(rt: TowerRuntime, f: { outs: Record<string, SessionOutput>; feeds: Record<string, SessionFeed> }, gEmbeds: Float32Array, hostGrads: Float32Array | undefined): Promise<void> {
    const p = rt.pair;
    const feeds: Record<string, SessionFeed> = {};
    for (const n of p.savedNames) {
      const o = f.outs[n];
      feeds[n] = o.gpuBuffer ? { dims: o.dims, gpuBuffer: o.gpuBuffer, dtype: o.dtype as 'float32' } : { dims: o.dims, data: o.data! };
    }
    for (const n of p.forwardInputsUsed) feeds[n] = f.feeds[n];
    feeds[p.gradInputs[rt.output]] = { dims: [this.batch, this.config.projectionDim], data: gEmbeds };
    const outs = await rt.bwd.run(feeds);
    const gpuCopies: Array<[GPUBuffer, ParamSlot]> = [];
    for (const s of rt.slots) {
      const o = outs[p.gradOutputs[s.name]];
      if (o.gpuBuffer) gpuCopies.push([o.gpuBuffer, s]);
      else hostGrads!.set(o.data as Float32Array, s.offset);
    }
    if (gpuCopies.length) {
      await this.ctx.run(`train.${rt.tower}.gatherGrads`, (rec) => {
        for (const [b, s] of gpuCopies) rec.copy(b, 0, this.grads, s.offset * 4, s.count * 4);
      });
    }
    for (const o of Object.values(outs)) o.dispose();
    for (const o of Object.values(f.outs)) o.dispose();
  }

  /** One optimisation step on a batch; returns the loss before the update. `override.lr` replaces the schedule's LR. */
  async trainStep(b: TrainBatch, override: { lr?: number } = {}): Promise<StepResult> {
    const B = this.batch, P = this.config.projectionDim;
    const [vision, text] = this.towers;
    const fv = await this.forward(vision, { dims: [B, this.config.channels, this.config.imageSize, this.config.imageSize], data: b.pixels });
    const ft = await this.forward(text, { dims: [B, b.ids.length / B], data: b.ids, dtype: 'int64' });
    const r = contrastiveLoss({ image: fv.embeds, text: ft.embeds, classes: b.classes, batch: B, dim: P, scale: Math.exp(this.logitScale) });
    const onCpu = vision.bwd.backend !== 'webgpu';
    const hostGrads = onCpu ? new Float32Array(this.count) : undefined;
    await this.backward(vision, fv, Float32Array.from(r.gradImage), hostGrads);
    await this.backward(text, ft, Float32Array.from(r.gradText), hostGrads);
    if (hostGrads) this.ctx.write(this.grads, hostGrads);
    const step = this.step + 1;
    const lr = override.lr ?? lrAt(step, this.schedule);
    await this.ctx.run('train.adamw', (rec) => {
      encodeAdamwStep(rec, { params: this.params, grads: this.grads, m: this.m, v: this.v, gradNorm: this.gradNorm }, this.count, step, { ...this.optimizer, lr });
      for (const s of this.layout) {
        const tb = this.tensorBuffers.get(s.name);
        if (tb) rec.copy(this.params, s.offset * 4, tb, 0, s.count * 4);
      }
    });
    this.hostParams = undefined;
    this.step = step;
    return { step, loss: r.loss, accI2T: r.accI2T, lr };
  }

  /** ‖g‖ of the last step (before clipping): one small readback. */
  async lastGradNorm(): Promise<number> {
    return (await this.ctx.readF32(this.gradNorm, 1))[0];
  }

  /** The current weights by HF name (plus the fixed `logit_scale`). */
  async weights(): Promise<ClipWeights> {
    const flat = this.hostParams ?? await this.ctx.readF32(this.params, this.count);
    this.hostParams = flat;
    const out: ClipWeights = new Map();
    for (const s of this.layout) out.set(s.name, { dtype: 'float32', dims: [...s.dims], data: flat.slice(s.offset, s.offset + s.count) });
    out.set('logit_scale', { dtype: 'float32', dims: [], data: Float32Array.of(this.logitScale) });
    return out;
  }

  async state(): Promise<TrainerState> {
    const [params, m, v] = await Promise.all([this.ctx.readF32(this.params, this.count), this.ctx.readF32(this.m, this.count), this.ctx.readF32(this.v, this.count)]);
    return { step: this.step, params, m, v };
  }

  async loadState(s: TrainerState): Promise<void> {
    if (s.params.length !== this.count || s.m.length !== this.count || s.v.length !== this.count) {
      throw new RangeError(`ClipTrainer.loadState: state has ${s.params.length} parameters, the model ${this.count}`);
    }
    this.ctx.write(this.params, s.params);
    this.ctx.write(this.m, s.m);
    this.ctx.write(this.v, s.v);
    this.step = s.step;
    this.hostParams = Float32Array.from(s.params);
    if (this.tensorBuffers.size) {
      await this.ctx.run('train.syncTensors', (rec) => {
        for (const s2 of this.layout) {
          const tb = this.tensorBuffers.get(s2.name);
          if (tb) rec.copy(this.params, s2.offset * 4, tb, 0, s2.count * 4);
        }
      });
    }
  }

  async release(): Promise<void> {
    for (const t of this.towers) {
      await t.fwd.release();
      await t.bwd.release();
    }
    this.ctx.release(this.params, this.grads, this.m, this.v, this.gradNorm, ...this.tensorBuffers.values());
  }
}
