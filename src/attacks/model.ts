/**
 * A frozen vision tower prepared for attacks in [0, 1] pixel space, at a fixed batch size:
 *  - graph surgery puts the normalisation (x − mean) / std in front of the tower (input `pixels01`), so it is part
 *    of the differentiated graph;
 *  - `GradientGraphCache` gives the forward (+ saved activations) and backward graphs for ∂/∂pixels01 of
 *    image_embeds; both run as long-lived `OnnxSession`s: our WGSL executor (GPU buffers in and out) or onnxruntime
 *    (onnxruntime-web WebGPU on our device in the browser; onnxruntime-node in Node, where GPU feeds are read back
 *    and outputs uploaded), by default as `defaultEngine` picks for the adapter.
 * Callers hand in and get back our GPU buffers only.
 */
import type { GpuContext } from '../gpu/context';
import type { NormalizationConstants } from '../image/preprocess';
import { GradientGraphCache } from '../onnx/autodiff/cache';
import { decodeModel } from '../onnx/proto';
import type { Model } from '../onnx/ir';
import { createEngineSession, defaultEngine } from '../onnx/exec/select';
import { type OnnxSession, type SessionDType, type SessionFeed, type SessionOptions, type SessionOutput } from '../onnx/run/session';
import { PIXELS01, withPixelNormalization } from './graph';

export interface VisionAttackModelOptions {
  /** Fixed batch size of the graphs. */
  batch: number;
  /** Normalisation for [0, 1] pixels (`normalizationConstants(preprocessorConfig)`). */
  constants: NormalizationConstants;
  /** The tower's pixel input (default 'pixel_values'). */
  input?: string;
  /** The embedding output (default 'image_embeds'). */
  output?: string;
  cache?: GradientGraphCache;
  session?: SessionOptions;
  /**
   * Who runs the graphs: our own WGSL executor (GPU buffers in and out on every host) or onnxruntime. Default:
   * `defaultEngine(ctx.adapter)` (src/onnx/exec/select.ts: the executor on hardware GPUs and in the browser,
   * onnxruntime-node's CPU EP on a software adapter in Node).
   */
  engine?: 'onnxruntime' | 'exec';
}

/** What the forward with gradients keeps for the backward. Dispose after the backward. */
export interface ForwardState {
  outputs: Record<string, SessionOutput>;
  feeds: Record<string, SessionFeed>;
  /** The model's forward count when this state was made (exec: the saved activations live in reused buffers). */
  generation?: number;
}

/**
 * What the attacks need of a model: embeddings of a pixel batch, and ∂loss/∂pixels from ∂loss/∂embeddings.
 * `VisionAttackModel` is the ONNX implementation; the fine-tuning loop exposes its current weights through the same
 * surface (src/methods/attack.ts `attackView`).
 */
export interface AttackTarget {
  readonly batch: number;
  /** [batch, channels, height, width]. */
  readonly pixelDims: number[];
  /** Elements per sample (channels · height · width). */
  readonly n: number;
  /** Embedding width. */
  readonly dim: number;
  readonly output: string;
  /** Embeddings of `pixels` (f32 [batch, n] in [0, 1]) into `embeds` (f32 [batch, dim]). */
  embed(pixels: GPUBuffer, embeds: GPUBuffer): Promise<void>;
  /** As `embed`, keeping what the backward needs. */
  forward(pixels: GPUBuffer, embeds: GPUBuffer): Promise<ForwardState>;
  /** ∂loss/∂pixels into `gradPixels` from ∂loss/∂embeddings of the forward that made `state`. */
  backward(state: ForwardState, gradEmbeds: GPUBuffer, gradPixels: GPUBuffer): Promise<void>;
  release(): Promise<void>;
}

const sharedCache = new GradientGraphCache(4);

function dimsCount(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

export class VisionAttackModel implements AttackTarget {
  readonly batch: number;
  /** [batch, channels, height, width]. */
  readonly pixelDims: number[];
  /** Elements per sample (channels · height · width). */
  readonly n: number;
  /** Embedding width. */
  readonly dim: number;
  readonly output: string;
  private released = false;
  /**
   * Forwards run so far. With our executor the forward's outputs (the saved activations) stay in the session's own
   * buffers (no copies per step), so a backward must follow its forward with no other forward between them.
   */
  private generation = 0;

  private constructor(
    private readonly ctx: GpuContext,
    private readonly fwd: OnnxSession,
    private readonly bwd: OnnxSession,
    private readonly pair: ReturnType<GradientGraphCache['get']>,
    output: string,
    private readonly reusesOutputs = false,
  ) {
    this.output = output;
    const pd = pair.shapes.get(PIXELS01)!.dims;
    const od = pair.shapes.get(output)!.dims;
    if (pd.length !== 4 || od.length !== 2) throw new Error(`attack model: expected pixels [B, C, H, W] and ${output} [B, D], got [${pd}] and [${od}]`);
    this.pixelDims = [...pd];
    this.batch = pd[0];
    this.n = pd[1] * pd[2] * pd[3];
    this.dim = od[1];
  }

  static async create(ctx: GpuContext, vision: Model | Uint8Array, o: VisionAttackModelOptions): Promise<VisionAttackModel> {
    if (!Number.isInteger(o.batch) || o.batch < 1) throw new RangeError(`attack model: batch must be a positive integer, got ${o.batch}`);
    const output = o.output ?? 'image_embeds';
    const ir = vision instanceof Uint8Array ? decodeModel(vision) : vision;
    const model = withPixelNormalization(ir, o.constants, { input: o.input ?? 'pixel_values' });
    const pair = (o.cache ?? sharedCache).get(model, { wrt: [PIXELS01], outputs: [output], batch: o.batch });
    if (pair.initialValues.size) throw new Error('attack model: unexpected promoted weights');
    // Our executor hands out its own output buffers (valid until its next run): no copy of every saved activation.
    const engine = o.engine ?? defaultEngine(ctx.adapter).engine;
    const reuse = engine === 'exec';
    const open = (bytes: Uint8Array, label: string) => createEngineSession(ctx, bytes, { ...o.session, engine, label, reuseOutputBuffers: reuse });
    const fwd = await open(pair.forwardBytes(), `attack ${output} forward`);
    let bwd: OnnxSession;
    try {
      bwd = await open(pair.backwardBytes(), `attack ${output} backward`);
    } catch (e) {
      await fwd.release();
      throw e;
    }
    return new VisionAttackModel(ctx, fwd, bwd, pair, output, reuse);
  }

  private pixelFeed(pixels: GPUBuffer): SessionFeed {
    return { gpuBuffer: pixels, dtype: 'float32', dims: this.pixelDims };
  }

  /** Copies a session output into one of our buffers (a GPU copy in the browser, an upload in Node). */
  private async into(out: SessionOutput, dst: GPUBuffer): Promise<void> {
    const bytes = dimsCount(out.dims) * 4;
    if (out.gpuBuffer) {
      const src = out.gpuBuffer;
      await this.ctx.run('attack.model.copy', (rec) => rec.copy(src, 0, dst, 0, bytes));
    } else if (out.data instanceof Float32Array) {
      this.ctx.write(dst, out.data);
    } else {
      throw new Error(`attack model: output '${out.name}' is ${out.dtype}, expected float32`);
    }
  }

  /** image_embeds [batch, dim] of `pixels` into `embeds` (no gradient state kept). */
  async embed(pixels: GPUBuffer, embeds: GPUBuffer): Promise<void> {
    this.assertLive();
    this.generation++;
    const out = await this.fwd.run({ [PIXELS01]: this.pixelFeed(pixels) }, [this.output]);
    try {
      await this.into(out[this.output], embeds);
    } finally {
      for (const v of Object.values(out)) v.dispose();
    }
  }

  /** Forward with the activations the backward needs; embeddings into `embeds`. Pass the state to `backward`. */
  async forward(pixels: GPUBuffer, embeds: GPUBuffer): Promise<ForwardState> {
    this.assertLive();
    const feeds = { [PIXELS01]: this.pixelFeed(pixels) };
    const generation = ++this.generation;
    const outputs = await this.fwd.run(feeds);
    try {
      await this.into(outputs[this.output], embeds);
    } catch (e) {
      for (const v of Object.values(outputs)) v.dispose();
      throw e;
    }
    return { outputs, feeds, generation };
  }

  /** ∂⟨gradEmbeds, image_embeds⟩/∂pixels01 into `gradPixels`; disposes the forward state. */
  async backward(state: ForwardState, gradEmbeds: GPUBuffer, gradPixels: GPUBuffer): Promise<void> {
    this.assertLive();
    if (this.reusesOutputs && state.generation !== this.generation) {
      for (const v of Object.values(state.outputs)) v.dispose();
      throw new Error('attack model: another forward ran between this forward and its backward (the executor reuses the saved activations\' buffers)');
    }
    const { pair } = this;
    let res: Record<string, SessionOutput> | undefined;
    try {
      const feeds: Record<string, SessionFeed> = {};
      for (const name of pair.savedNames) {
        const v = state.outputs[name];
        feeds[name] = v.gpuBuffer ? { gpuBuffer: v.gpuBuffer, dtype: v.dtype as SessionDType, dims: v.dims } : { dims: v.dims, data: v.data! };
      }
      for (const name of pair.forwardInputsUsed) feeds[name] = state.feeds[name];
      feeds[pair.gradInputs[this.output]] = { gpuBuffer: gradEmbeds, dtype: 'float32', dims: [this.batch, this.dim] };
      res = await this.bwd.run(feeds);
      await this.into(res[pair.gradOutputs[PIXELS01]], gradPixels);
    } finally {
      for (const v of Object.values(res ?? {})) v.dispose();
      for (const v of Object.values(state.outputs)) v.dispose();
    }
  }

  private assertLive(): void {
    if (this.released) throw new Error('attack model: used after release()');
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.fwd.release();
    await this.bwd.release();
  }
}
