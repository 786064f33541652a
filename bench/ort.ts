/**
 * onnxruntime-node for the CLIP cases: the CPU execution provider (through the project's own `createSession`), and
 * its bundled WebGPU execution provider, which src/onnx/run does not offer in Node (there onnxruntime-web takes
 * our GPUDevice; onnxruntime-node's WebGPU EP runs on a Dawn device of its own, so our GPU buffers cannot be fed to
 * it). `OrtWebgpuAttackModel` gives `runAttack` that engine: pixels and embedding gradients cross through the host
 * (batch·C·H·W floats each way per step), while the activations the backward needs stay on onnxruntime's GPU
 * (`preferredOutputLocation: 'gpu-buffer'` for the saved tensors, fed back to the backward as they are).
 */
import os from 'node:os';
import type { GpuContext } from '../src/gpu/context';
import type { Model } from '../src/onnx/ir';
import { GraphBuilder } from '../src/onnx/builder';
import { encodeModel } from '../src/onnx/proto';
import { GradientGraphCache, type CachedGradientGraphs } from '../src/onnx/autodiff/cache';
import { PIXELS01, withPixelNormalization } from '../src/attacks/graph';
import type { ForwardState, VisionAttackModel } from '../src/attacks/model';
import type { NormalizationConstants } from '../src/image/preprocess';

// Minimal structural types of what we use from onnxruntime-node.
export interface OrtTensor {
  readonly dims: readonly number[];
  readonly type: string;
  readonly data: unknown;
  readonly location: string;
  dispose(): void;
}
export interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, OrtTensor>, fetches?: string[]): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
export interface OrtNode {
  InferenceSession: { create(bytes: Uint8Array, options?: Record<string, unknown>): Promise<OrtSession> };
  Tensor: new (type: string, data: unknown, dims: readonly number[]) => OrtTensor;
  env: { versions?: Record<string, string> };
}

let ortModule: Promise<OrtNode> | undefined;

export function loadOrtNode(): Promise<OrtNode> {
  ortModule ??= (async () => {
    const specifier = 'onnxruntime-node';
    const m = (await import(/* @vite-ignore */ specifier)) as OrtNode & { default?: OrtNode };
    return m.InferenceSession ? m : m.default!;
  })();
  return ortModule;
}

export async function ortVersion(): Promise<string> {
  const ort = await loadOrtNode();
  return ort.env.versions?.node ?? ort.env.versions?.common ?? 'unknown';
}

/** Exact names of the engines, for the JSON (no ';': results' notes continue after one). */
export async function engineDescription(engine: 'exec' | 'ort-cpu' | 'ort-webgpu', adapter: string): Promise<string> {
  if (engine === 'exec') return `our WGSL executor (src/onnx/exec) on ${adapter}`;
  const v = await ortVersion();
  if (engine === 'ort-cpu') return `onnxruntime-node ${v} CPU execution provider (default threads, ${os.cpus().length} logical CPUs)`;
  // onnxruntime-node does not report the adapter its Dawn picked; the Vulkan drivers both Dawns can see say which.
  const icd = process.env.VK_DRIVER_FILES ?? process.env.VK_ICD_FILENAMES;
  const which = icd ? `Vulkan drivers limited to ${icd}, so the same GPU as ours` : `adapter not reported by onnxruntime, the same as ours where one Vulkan device exists`;
  return `onnxruntime-node ${v} WebGPU execution provider (its own Dawn device, ${which}, host↔GPU copies of inputs and outputs included)`;
}

export const WEBGPU_EP = { executionProviders: ['webgpu'], graphOptimizationLevel: 'all' } as const;

/** undefined when onnxruntime-node's WebGPU EP runs a one-node model here, else why not. */
export async function ortWebgpuProblem(): Promise<string | undefined> {
  try {
    const ort = await loadOrtNode();
    const s = await ort.InferenceSession.create(tinyRelu(), { ...WEBGPU_EP });
    const out = await s.run({ x: new ort.Tensor('float32', Float32Array.of(-1, 2, -3, 4), [4]) });
    const y = out.y.data as Float32Array;
    await s.release();
    if (y[0] !== 0 || y[1] !== 2) return `WebGPU EP gave wrong results (${Array.from(y)})`;
    return undefined;
  } catch (e) {
    return `onnxruntime-node WebGPU EP not available: ${(e as Error)?.message ?? e}`;
  }
}

function tinyRelu(): Uint8Array {
  const b = new GraphBuilder();
  const x = b.input('x', 'float32', [4]);
  b.op('Relu', [x], {}, { outputs: ['y'] });
  b.output('y', 'float32', [4]);
  return encodeModel(b.model());
}

interface OrtForwardState {
  outputs: Record<string, OrtTensor>;
  feeds: Record<string, OrtTensor>;
}

/** A frozen vision tower for `runAttack`, run by onnxruntime-node's WebGPU EP (see the module comment). */
export class OrtWebgpuAttackModel {
  readonly pixelDims: number[];
  readonly n: number;
  readonly dim: number;
  readonly output = 'image_embeds';

  private constructor(
    private readonly ctx: GpuContext,
    private readonly ort: OrtNode,
    private readonly pair: CachedGradientGraphs,
    private readonly fwd: OrtSession,
    private readonly bwd: OrtSession,
    private readonly plain: OrtSession,
    readonly batch: number,
  ) {
    const pd = pair.shapes.get(PIXELS01)!.dims as number[];
    this.pixelDims = [...pd];
    this.n = pd[1] * pd[2] * pd[3];
    this.dim = (pair.shapes.get('image_embeds')!.dims as number[])[1];
  }

  static async create(ctx: GpuContext, vision: Model, o: { batch: number; constants: NormalizationConstants; cache?: GradientGraphCache }): Promise<OrtWebgpuAttackModel> {
    const ort = await loadOrtNode();
    const model = withPixelNormalization(vision, o.constants);
    const pair = (o.cache ?? new GradientGraphCache(2)).get(model, { wrt: [PIXELS01], outputs: ['image_embeds'], batch: o.batch });
    const location: Record<string, string> = { image_embeds: 'cpu' };
    for (const n of pair.savedNames) location[n] = 'gpu-buffer';
    const fwd = await ort.InferenceSession.create(pair.forwardBytes(), { ...WEBGPU_EP, preferredOutputLocation: location });
    const bwd = await ort.InferenceSession.create(pair.backwardBytes(), { ...WEBGPU_EP });
    // `embed` runs a plain forward: onnxruntime-node 1.30 answers "Output count mismatch." when a session with a
    // per-output preferredOutputLocation is asked for a subset of its outputs.
    const plain = await ort.InferenceSession.create(encodeModel(model), { ...WEBGPU_EP });
    return new OrtWebgpuAttackModel(ctx, ort, pair, fwd, bwd, plain, o.batch);
  }

  /** As a `VisionAttackModel` for `runAttack` (which reads only the public surface; see src/methods/attack.ts). */
  asAttackModel(): VisionAttackModel {
    return this as unknown as VisionAttackModel;
  }

  private async pixelFeed(pixels: GPUBuffer): Promise<OrtTensor> {
    return new this.ort.Tensor('float32', await this.ctx.readF32(pixels, this.batch * this.n), this.pixelDims);
  }

  async embed(pixels: GPUBuffer, embeds: GPUBuffer): Promise<void> {
    const out = await this.plain.run({ [PIXELS01]: await this.pixelFeed(pixels) }, [this.output]);
    this.ctx.write(embeds, out[this.output].data as Float32Array);
    for (const t of Object.values(out)) t.dispose();
  }

  async forward(pixels: GPUBuffer, embeds: GPUBuffer): Promise<ForwardState> {
    const feeds = { [PIXELS01]: await this.pixelFeed(pixels) };
    const outputs = await this.fwd.run(feeds);
    this.ctx.write(embeds, outputs[this.output].data as Float32Array);
    const state: OrtForwardState = { outputs, feeds };
    return state as unknown as ForwardState;
  }

  async backward(state: ForwardState, gradEmbeds: GPUBuffer, gradPixels: GPUBuffer): Promise<void> {
    const s = state as unknown as OrtForwardState, p = this.pair;
    try {
      const feeds: Record<string, OrtTensor> = {};
      for (const n of p.savedNames) feeds[n] = s.outputs[n];
      for (const n of p.forwardInputsUsed) feeds[n] = s.feeds[n];
      feeds[p.gradInputs[this.output]] = new this.ort.Tensor('float32', await this.ctx.readF32(gradEmbeds, this.batch * this.dim), [this.batch, this.dim]);
      const name = p.gradOutputs[PIXELS01];
      const res = await this.bwd.run(feeds, [name]);
      this.ctx.write(gradPixels, res[name].data as Float32Array);
      for (const t of Object.values(res)) t.dispose();
    } finally {
      for (const t of Object.values(s.outputs)) t.dispose();
    }
  }

  async release(): Promise<void> {
    await this.fwd.release();
    await this.bwd.release();
    await this.plain.release();
  }
}
