/**
 * `FineTuneModel`: both CLIP towers as gradient-graph pairs whose weights are graph inputs, so one pair serves
 * every use:
 *   vision: withPixelNormalization(tower) — wrt = [pixels01, every vision weight], output image_embeds. The same
 *           forward/backward sessions give the attack's ∂/∂pixels (weight gradients not fetched) and the training
 *           ∂/∂weights, with the current weights or the frozen original ones (FARE's and PMG-AFT's reference model
 *           is this forward fed with the initial weights: no second model).
 *   text:   wrt = [token-embedding perturbation (GradientGraphCache `perturb` at the token-embedding Gather output),
 *           every text weight], output text_embeds: the same pair gives the prompt attack's ∂/∂δ and ∂/∂weights.
 * Graphs have a fixed batch; a pair and its sessions are built per batch size on first use (backward sessions
 * only when a backward is asked for).
 *
 * Weights: per tower one flat f32 buffer with AdamW/SGD moments on the GPU (`TowerParams`), one optimiser step over
 * the trained towers with a learning rate per tower and a global gradient-norm clip (`TowerOptimizer`). Node
 * (onnxruntime-node CPU): weights are fed from the host copy, refreshed by one readback per tower after each
 * update; gradients come back on the CPU and are summed into the tower's host accumulator. Browser (WebGPU
 * sessions): weights are fed as per-tensor GPU buffers copied from the flat buffer; gradient outputs on the GPU
 * are read back into the same host accumulator (the embeddings and gradients of these tiny towers are small; a
 * GPU-side accumulation is future work). The browser path is written but not exercised yet.
 *
 * Passes are counted per sample and tower (`passes`), so budgets can be compared across methods.
 */
import type { GpuContext, Recorder } from '../gpu/context';
import type { NormalizationConstants } from '../image/preprocess';
import { PIXELS01, withPixelNormalization } from '../attacks/graph';
import { GradientGraphCache, type CachedGradientGraphs } from '../onnx/autodiff/cache';
import { buildClipTextModel, buildClipVisionModel } from '../onnx/clip/build';
import { clipWeightShapes, type ClipWeights } from '../onnx/clip/weights';
import type { ClipConfig } from '../onnx/clip/config';
import { numel } from '../onnx/ir';
import { createExecSession } from '../onnx/exec/session';
import { inPhase, type PhaseClock } from './stepPhases';
import { defaultEngine } from '../onnx/exec/select';
import { createSession, outputToF32, type OnnxSession, type SessionBackend, type SessionFeed, type SessionOutput } from '../onnx/run/session';
import type { TrainerState } from '../train/trainer';
import { TowerOptimizer, TowerParams, type OptimizerOptions, type ParamSlot } from './optim';

/** The tensor the text perturbation is added to: the token-embedding lookup [B, T, width]. */
export const TOKEN_EMBEDDING_TENSOR = '/text_model/embeddings/token_embedding/Gather_output_0';
export const TOKEN_EMBEDDING_WEIGHT = 'text_model.embeddings.token_embedding.weight';

export type Tower = 'vision' | 'text';

export interface FineTuneModelOptions {
  config: ClipConfig;
  /** Initial weights (HF names): also the frozen reference. */
  weights: ClipWeights;
  /** Normalisation of [0, 1] pixels (the preprocessor's). */
  constants: NormalizationConstants;
  /** Which towers the optimiser updates. */
  train: { vision: boolean; text: boolean };
  optimizer: OptimizerOptions;
  /** Log logit scale (default the config's). */
  logitScale?: number;
  /**
   * Who runs the graphs: 'exec' (our WGSL executor: weights fed as per-tensor GPU buffers, no host round trip of
   * activations), an onnxruntime backend, or (default) `defaultEngine(ctx.adapter)`: the executor on hardware GPUs
   * and in the browser, onnxruntime's default backend (onnxruntime-node CPU in Node) on a software adapter in Node.
   */
  backend?: SessionBackend;
  recompute?: 'none' | 'all' | 'cheap';
}

/** Which pass counter a call adds to: training cost (the budget), evaluation, or none. */
export type PassKind = 'train' | 'eval' | 'none';

export interface PassCounts {
  /** Images through the vision tower (a forward, with or without its backward, counts once per image). */
  vision: number;
  /** Prompts through the text tower (same convention). */
  text: number;
}

interface Runner {
  tower: Tower;
  batch: number;
  pair: CachedGradientGraphs;
  fwd: OnnxSession;
  bwd?: OnnxSession;
  input: string;
  output: string;
  /** Text: the perturbation input. */
  perturbation?: string;
  /** Text: [B, T, width]. */
  perturbationDims?: number[];
}

/** What a forward keeps for its backward (shape compatible with the attacks' ForwardState). */
export interface TowerState {
  outputs: Record<string, SessionOutput>;
  feeds: Record<string, SessionFeed>;
  runner: Runner;
}

export interface ForwardResult {
  /** [batch, projectionDim] (empty when `host: false` left them on the GPU: see `gpuEmbeds`). */
  embeds: Float32Array;
  /** With `keep` and `host: false` on a GPU session: the output buffer itself, valid until the backward disposes the state. */
  gpuEmbeds?: GPUBuffer;
  /** With `keep`: pass to the backward (which disposes it). */
  state?: TowerState;
}

export interface ForwardOptions {
  /** The frozen original weights (FARE's and PMG-AFT's reference). */
  original?: boolean;
  /** Keep the activations for a backward (`state`). */
  keep?: boolean;
  count?: PassKind;
  /**
   * false: with `keep` on a GPU session, leave the embeddings on the GPU (`gpuEmbeds`, no readback) for a loss
   * encoded on the GPU; CPU sessions return them on the host as always. Default true.
   */
  host?: boolean;
}

/** A GPU buffer, not a host array (duck-typed: Node's Dawn buffers are not the browser's `GPUBuffer` class). */
function isGpuBuffer(v: ArrayLike<number> | GPUBuffer): v is GPUBuffer {
  return typeof (v as GPUBuffer).mapAsync === 'function';
}

export class FineTuneModel {
  readonly config: ClipConfig;
  readonly dim: number;
  readonly logitScale: number;
  readonly constants: NormalizationConstants;
  readonly vision: TowerParams;
  readonly text: TowerParams;
  readonly optimizer: TowerOptimizer;
  readonly passes: Record<'train' | 'eval', PassCounts> = { train: { vision: 0, text: 0 }, eval: { vision: 0, text: 0 } };
  private readonly runners = new Map<string, Promise<Runner>>();
  private readonly cache = new GradientGraphCache(16);
  private readonly feedCache = new Map<string, { version: number; feeds: Record<string, SessionFeed> }>();
  private readonly tensorBuffers = new Map<string, GPUBuffer>();
  private tensorVersion = new Map<Tower, number>();
  private released = false;
  /** Marks where steps spend their time while set (the engine sets it for a loop's first step: ./stepPhases.ts). */
  phases: PhaseClock | null = null;

  private constructor(readonly ctx: GpuContext, private readonly o: FineTuneModelOptions, vision: TowerParams, text: TowerParams) {
    this.config = o.config;
    this.dim = o.config.projectionDim;
    this.logitScale = o.logitScale ?? o.config.logitScale;
    this.constants = o.constants;
    this.vision = vision;
    this.text = text;
    this.optimizer = new TowerOptimizer(ctx, [vision, text].filter((t) => t.trainable), o.optimizer);
  }

  static async create(ctx: GpuContext, o: FineTuneModelOptions): Promise<FineTuneModel> {
    const tower = (t: Tower) => {
      const slots: ParamSlot[] = [];
      let off = 0;
      for (const [name, dims] of clipWeightShapes(o.config, t)) {
        const count = numel(dims);
        slots.push({ name, dims, offset: off, count });
        off += count;
      }
      const flat = new Float32Array(off);
      for (const s of slots) {
        const w = o.weights.get(s.name);
        if (!w || numel(w.dims) !== s.count || !(w.data instanceof Float32Array)) throw new RangeError(`FineTuneModel: weight '${s.name}' missing, not float32 or of the wrong size`);
        flat.set(w.data, s.offset);
      }
      return new TowerParams(ctx, t, slots, flat, t === 'vision' ? o.train.vision : o.train.text);
    };
    return new FineTuneModel(ctx, o, tower('vision'), tower('text'));
  }

  /** exp(logitScale). */
  get scale(): number {
    return Math.exp(this.logitScale);
  }

  tower(t: Tower): TowerParams {
    return t === 'vision' ? this.vision : this.text;
  }

  /** Elements per image (C·H·W). */
  get pixelsPerImage(): number {
    return this.config.channels * this.config.imageSize * this.config.imageSize;
  }

  private runner(t: Tower, batch: number): Promise<Runner> {
    const key = `${t}:${batch}`;
    let r = this.runners.get(key);
    if (!r) {
      r = this.buildRunner(t, batch);
      this.runners.set(key, r);
      r.catch(() => this.runners.delete(key));
    }
    return r;
  }

  private async buildRunner(t: Tower, batch: number): Promise<Runner> {
    if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`FineTuneModel: batch must be a positive integer, got ${batch}`);
    const c = this.config, w = this.o.weights, names = this.tower(t).slots.map((s) => s.name);
    const recompute = this.o.recompute ?? 'none';
    const build = (): CachedGradientGraphs => {
      if (t === 'vision') {
        const model = withPixelNormalization(buildClipVisionModel(c, w, { batch, lastHiddenState: false }), this.constants);
        return this.cache.get(model, { wrt: [PIXELS01, ...names], outputs: ['image_embeds'], batch, recompute });
      }
      const model = buildClipTextModel(c, w, { batch, lastHiddenState: false });
      return this.cache.get(model, { wrt: [TOKEN_EMBEDDING_TENSOR, ...names], perturb: [TOKEN_EMBEDDING_TENSOR], outputs: ['text_embeds'], batch, recompute });
    };
    const pair = this.phases ? this.phases.runSync('graphs', build) : build();
    const fwd = await this.open(() => pair.forwardBytes(), `methods.${t}[${batch}].forward`);
    const perturbation = t === 'text' ? pair.perturbations[TOKEN_EMBEDDING_TENSOR] : undefined;
    return {
      tower: t, batch, pair, fwd, input: t === 'vision' ? PIXELS01 : 'input_ids', output: t === 'vision' ? 'image_embeds' : 'text_embeds',
      perturbation, perturbationDims: perturbation ? [...pair.shapes.get(perturbation)!.dims as number[]] : undefined,
    };
  }

  /**
   * Whether the sessions leave their outputs on the GPU and take GPU feeds (our executor, onnxruntime-web's WebGPU
   * EP): the methods then keep a step's embeddings, losses and gradients on the GPU.
   */
  get outputsOnGpu(): boolean {
    const b = this.backend;
    return b === 'exec' || b === 'webgpu';
  }

  /** The backend sessions use: the option, else 'exec' where `defaultEngine` picks our executor. */
  get backend(): SessionBackend | undefined {
    return this.o.backend ?? (defaultEngine(this.ctx.adapter).engine === 'exec' ? 'exec' : undefined);
  }

  private open(bytes: () => Uint8Array, label: string): Promise<OnnxSession> {
    const backend = this.backend;
    // Serialising the graph is part of building it; opening the session compiles its shaders.
    const b = this.phases ? this.phases.runSync('graphs', bytes) : bytes();
    return inPhase(this.phases, 'compile', () => (backend === 'exec' ? createExecSession(this.ctx, b, { label }) : createSession(this.ctx, b, { backend, label })));
  }

  private async backwardSession(r: Runner): Promise<OnnxSession> {
    r.bwd ??= await this.open(() => r.pair.backwardBytes(), `methods.${r.tower}[${r.batch}].backward`);
    return r.bwd;
  }

  /** Weight feeds of a tower: current (GPU per-tensor buffers on WebGPU, host slices otherwise) or original. */
  private async weightFeeds(r: Runner, original: boolean): Promise<Record<string, SessionFeed>> {
    const tp = this.tower(r.tower);
    if (!original && (r.fwd.backend === 'webgpu' || r.fwd.backend === 'exec')) {
      await this.syncTensorBuffers(tp);
      const feeds: Record<string, SessionFeed> = {};
      for (const s of tp.slots) feeds[s.name] = { dims: s.dims, gpuBuffer: this.tensorBuffers.get(`${tp.tower}:${s.name}`)!, dtype: 'float32' };
      return feeds;
    }
    const key = `${r.tower}:${original ? 'original' : 'current'}`;
    const version = original ? -1 : tp.version;
    const hit = this.feedCache.get(key);
    if (hit && hit.version === version) return hit.feeds;
    const src = original ? tp.original : await tp.syncHost();
    const feeds: Record<string, SessionFeed> = {};
    for (const s of tp.slots) feeds[s.name] = { dims: s.dims, data: src.slice(s.offset, s.offset + s.count) };
    this.feedCache.set(key, { version, feeds });
    return feeds;
  }

  /** The per-tensor weight buffers GPU sessions read, copied on the GPU from the tower's flat params when they changed. */
  private async syncTensorBuffers(tp: TowerParams): Promise<void> {
    if (this.tensorVersion.get(tp.tower) === tp.version && this.tensorBuffers.size) return;
    for (const s of tp.slots) {
      const key = `${tp.tower}:${s.name}`;
      if (!this.tensorBuffers.has(key)) this.tensorBuffers.set(key, this.ctx.buffer(`methods.w.${key}`, s.count * 4));
    }
    await this.ctx.run(`methods.${tp.tower}.syncTensors`, (rec) => {
      for (const s of tp.slots) rec.copy(tp.params, s.offset * 4, this.tensorBuffers.get(`${tp.tower}:${s.name}`)!, 0, s.count * 4);
    });
    this.tensorVersion.set(tp.tower, tp.version);
  }

  private count(kind: PassKind, t: Tower, n: number): void {
    if (kind !== 'none') this.passes[kind][t] += n;
  }

  private async forward(r: Runner, input: SessionFeed, extra: Record<string, SessionFeed>, o: ForwardOptions): Promise<ForwardResult> {
    this.assertLive();
    const feeds: Record<string, SessionFeed> = { ...(await this.weightFeeds(r, !!o.original)), [r.input]: input, ...extra };
    const outputs = await r.fwd.run(feeds, o.keep ? undefined : [r.output]);
    this.count(o.count ?? 'train', r.tower, r.batch);
    const onGpu = outputs[r.output].gpuBuffer;
    if (o.keep && o.host === false && onGpu) return { embeds: new Float32Array(0), gpuEmbeds: onGpu, state: { outputs, feeds, runner: r } };
    let embeds: Float32Array;
    try {
      embeds = Float32Array.from(await outputToF32(this.ctx, outputs[r.output]));
    } catch (e) {
      for (const v of Object.values(outputs)) v.dispose();
      throw e;
    }
    if (!o.keep) {
      for (const v of Object.values(outputs)) v.dispose();
      return { embeds };
    }
    return { embeds, state: { outputs, feeds, runner: r } };
  }

  /** Frees a kept forward's activations without a backward (e.g. a frozen reference kept only for its GPU output). */
  discard(state: TowerState): void {
    for (const v of Object.values(state.outputs)) v.dispose();
  }

  /** Backward from ∂/∂embeds; with `weights`, adds ∂/∂weights into the tower's accumulator (trained towers only). */
  private async backward(state: TowerState, gEmbeds: ArrayLike<number> | GPUBuffer, o: { input?: boolean; inputInto?: GPUBuffer; weights?: boolean }): Promise<Float32Array | undefined> {
    this.assertLive();
    const r = state.runner, p = r.pair, tp = this.tower(r.tower);
    const wantWeights = !!o.weights && tp.trainable;
    const wrtInput = r.tower === 'vision' ? PIXELS01 : r.perturbation!;
    let res: Record<string, SessionOutput> | undefined;
    try {
      const bwd = await this.backwardSession(r);
      const feeds: Record<string, SessionFeed> = {};
      for (const n of p.savedNames) {
        const v = state.outputs[n];
        feeds[n] = v.gpuBuffer ? { dims: v.dims, gpuBuffer: v.gpuBuffer, dtype: v.dtype as 'float32' } : { dims: v.dims, data: v.data! };
      }
      for (const n of p.forwardInputsUsed) feeds[n] = state.feeds[n];
      const gDims = [r.batch, this.dim];
      if (isGpuBuffer(gEmbeds)) {
        if (gEmbeds.size < r.batch * this.dim * 4) throw new RangeError(`FineTuneModel: gradient buffer of ${gEmbeds.size} bytes for [${gDims}]`);
        feeds[p.gradInputs[r.output]] = { dims: gDims, gpuBuffer: gEmbeds, dtype: 'float32' };
      } else {
        if (gEmbeds.length !== r.batch * this.dim) throw new RangeError(`FineTuneModel: ${gEmbeds.length} gradient values for [${gDims}]`);
        feeds[p.gradInputs[r.output]] = { dims: gDims, data: gEmbeds instanceof Float32Array ? gEmbeds : Float32Array.from(gEmbeds) };
      }
      const fetch: string[] = [];
      if (o.input || o.inputInto) fetch.push(p.gradOutputs[wrtInput]);
      if (wantWeights) for (const s of tp.slots) fetch.push(p.gradOutputs[s.name]);
      if (!fetch.length) return undefined;
      res = await bwd.run(feeds, fetch);
      if (wantWeights) {
        const out = res;
        const onGpu = tp.slots.every((s) => out[p.gradOutputs[s.name]].gpuBuffer);
        if (onGpu) {
          // GPU sessions: every weight gradient added into the tower's GPU accumulator in one submission, no readback.
          await this.ctx.run(`methods.${r.tower}.accumulate`, (rec) => {
            for (const s of tp.slots) tp.encodeAccumulate(rec, out[p.gradOutputs[s.name]].gpuBuffer!, s);
          });
        } else {
          for (const s of tp.slots) {
            const g = await outputToF32(this.ctx, out[p.gradOutputs[s.name]]);
            const acc = tp.grads;
            for (let i = 0; i < s.count; i++) acc[s.offset + i] += g[i];
          }
        }
      }
      const gIn = res[p.gradOutputs[wrtInput]];
      if (o.inputInto) {
        // Into a GPU buffer (the attack's gradient): a GPU copy when the session left it on the GPU, no readback.
        const into = o.inputInto;
        if (gIn.gpuBuffer) {
          const src = gIn.gpuBuffer, bytes = numel(gIn.dims) * 4;
          await this.ctx.run(`methods.${r.tower}.inputGrad`, (rec) => rec.copy(src, 0, into, 0, bytes));
        } else {
          this.ctx.write(into, await outputToF32(this.ctx, gIn));
        }
      }
      return o.input ? Float32Array.from(await outputToF32(this.ctx, gIn)) : undefined;
    } finally {
      for (const v of Object.values(res ?? {})) v.dispose();
      for (const v of Object.values(state.outputs)) v.dispose();
    }
  }

  /** image_embeds of [0, 1] pixels [batch, C, H, W] (host array or GPU buffer). */
  async visionForward(pixels01: Float32Array | GPUBuffer, batch: number, o: ForwardOptions = {}): Promise<ForwardResult> {
    return inPhase(this.phases, 'forward', () => this.visionForwardNow(pixels01, batch, o));
  }

  private async visionForwardNow(pixels01: Float32Array | GPUBuffer, batch: number, o: ForwardOptions): Promise<ForwardResult> {
    const r = await this.runner('vision', batch);
    const dims = [batch, this.config.channels, this.config.imageSize, this.config.imageSize];
    if (pixels01 instanceof Float32Array && pixels01.length !== batch * this.pixelsPerImage) throw new RangeError(`FineTuneModel: ${pixels01.length} pixel values for [${dims}]`);
    const input: SessionFeed = pixels01 instanceof Float32Array ? { dims, data: pixels01 } : { dims, gpuBuffer: pixels01, dtype: 'float32' };
    return this.forward(r, input, {}, o);
  }

  /**
   * Vision backward: returns ∂/∂pixels01 with `pixels`, or writes it into the GPU buffer `pixelsInto` (no readback on
   * GPU sessions); accumulates ∂/∂weights with `weights`. Disposes the state.
   */
  async visionBackward(state: TowerState, gEmbeds: ArrayLike<number> | GPUBuffer, o: { pixels?: boolean; pixelsInto?: GPUBuffer; weights?: boolean }): Promise<Float32Array | undefined> {
    return inPhase(this.phases, 'backward', () => this.backward(state, gEmbeds, { input: o.pixels, inputInto: o.pixelsInto, weights: o.weights }));
  }

  /**
   * text_embeds of token ids [batch, T] with the token embeddings perturbed by `delta` [batch, T, width] (default 0;
   * a host array or a GPU buffer — the prompt attack's iterate stays on the GPU).
   */
  async textForward(ids: BigInt64Array, batch: number, delta?: Float32Array | GPUBuffer, o: { keep?: boolean; count?: PassKind; host?: boolean } = {}): Promise<ForwardResult> {
    return inPhase(this.phases, 'forward', () => this.textForwardNow(ids, batch, delta, o));
  }

  private async textForwardNow(ids: BigInt64Array, batch: number, delta: Float32Array | GPUBuffer | undefined, o: { keep?: boolean; count?: PassKind; host?: boolean }): Promise<ForwardResult> {
    const r = await this.runner('text', batch);
    const T = ids.length / batch;
    const pd = r.perturbationDims!;
    if (!Number.isInteger(T) || T !== pd[1]) throw new RangeError(`FineTuneModel: ${ids.length} token ids for batch ${batch} × context ${pd[1]}`);
    const n = numel(pd);
    if (delta instanceof Float32Array && delta.length !== n) throw new RangeError(`FineTuneModel: perturbation has ${delta.length} values, [${pd}] needs ${n}`);
    if (delta && !(delta instanceof Float32Array) && delta.size < n * 4) throw new RangeError(`FineTuneModel: perturbation buffer of ${delta.size} bytes, [${pd}] needs ${n * 4}`);
    const feed: SessionFeed = delta && !(delta instanceof Float32Array) ? { dims: pd, gpuBuffer: delta, dtype: 'float32' } : { dims: pd, data: delta ?? new Float32Array(n) };
    return this.forward(r, { dims: [batch, T], data: ids, dtype: 'int64' }, { [r.perturbation!]: feed }, o);
  }

  /**
   * Text backward: returns ∂/∂δ with `delta`, or writes it into the GPU buffer `deltaInto` (no readback on GPU
   * sessions); accumulates ∂/∂weights with `weights`. Disposes the state.
   */
  async textBackward(state: TowerState, gEmbeds: ArrayLike<number> | GPUBuffer, o: { delta?: boolean; deltaInto?: GPUBuffer; weights?: boolean }): Promise<Float32Array | undefined> {
    return inPhase(this.phases, 'backward', () => this.backward(state, gEmbeds, { input: o.delta, inputInto: o.deltaInto, weights: o.weights }));
  }

  /** Width of the token embeddings (the perturbation's last dim). */
  get textWidth(): number {
    return this.config.text.width;
  }

  zeroGrad(): void {
    this.vision.zeroGrad();
    this.text.zeroGrad();
  }

  /** ‖accumulated gradient‖ of a tower (host + GPU accumulators, float64; reads the GPU part back: tests, diagnostics). */
  async gradNorm(t: Tower): Promise<number> {
    let s = 0;
    for (const g of await this.tower(t).gradients()) s += g * g;
    return Math.sqrt(s);
  }

  /** One optimiser step (1-based) from the accumulated gradients; returns ‖g‖ before clipping. */
  async update(step: number, lr: { vision: number; text: number }): Promise<number> {
    this.assertLive();
    return inPhase(this.phases, 'update', () => this.optimizer.step(step, new Map([[this.vision, lr.vision], [this.text, lr.text]])));
  }

  /** `update` reading nothing back: `capture` is encoded after it in its submission (see `TowerOptimizer.stepOnGpu`). */
  async updateOnGpu(step: number, lr: { vision: number; text: number }, capture?: (rec: Recorder, gradNorm: GPUBuffer) => void): Promise<void> {
    this.assertLive();
    return inPhase(this.phases, 'update', () => this.optimizer.stepOnGpu(step, new Map([[this.vision, lr.vision], [this.text, lr.text]]), capture));
  }

  /** The current weights by HF name (plus `logit_scale`), for `buildClipFolder` / `withNewWeights`. */
  async weights(which: 'current' | 'original' = 'current'): Promise<ClipWeights> {
    const out: ClipWeights = new Map();
    for (const tp of [this.text, this.vision]) {
      const src = which === 'current' ? await tp.syncHost() : tp.original;
      for (const s of tp.slots) out.set(s.name, { dtype: 'float32', dims: [...s.dims], data: src.slice(s.offset, s.offset + s.count) });
    }
    out.set('logit_scale', { dtype: 'float32', dims: [], data: Float32Array.of(this.logitScale) });
    return out;
  }

  /** Params and moments of both towers (vision then text), for checkpoints. */
  async state(step: number): Promise<TrainerState> {
    const vm = await this.vision.moments(), tm = await this.text.moments();
    const cat = (a: Float32Array, b: Float32Array) => {
      const o = new Float32Array(a.length + b.length);
      o.set(a);
      o.set(b, a.length);
      return o;
    };
    return { step, params: cat(await this.vision.syncHost(), await this.text.syncHost()), m: cat(vm.m, tm.m), v: cat(vm.v, tm.v) };
  }

  async loadState(s: TrainerState): Promise<void> {
    const nv = this.vision.count, n = nv + this.text.count;
    if (s.params.length !== n) throw new RangeError(`FineTuneModel.loadState: ${s.params.length} parameters, the model has ${n}`);
    await this.vision.load(s.params.slice(0, nv), s.m.slice(0, nv), s.v.slice(0, nv));
    await this.text.load(s.params.slice(nv), s.m.slice(nv), s.v.slice(nv));
    this.optimizer.clearNonFinite();
  }

  private assertLive(): void {
    if (this.released) throw new Error('FineTuneModel: used after release()');
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    for (const p of this.runners.values()) {
      const r = await p.catch(() => undefined);
      if (!r) continue;
      await r.fwd.release();
      await r.bwd?.release();
    }
    this.optimizer.release();
    this.vision.release();
    this.text.release();
    this.ctx.release(...this.tensorBuffers.values());
  }
}
