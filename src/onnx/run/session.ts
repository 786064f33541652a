/**
 * One `OnnxSession` interface over onnxruntime, on both hosts:
 * - browser: onnxruntime-web's native WebGPU build on **our** GPUDevice, so inputs can be our GPU buffers
 *   (`Tensor.fromGpuBuffer`) and outputs stay on the GPU (`preferredOutputLocation: 'gpu-buffer'`) for our kernels;
 * - Node: onnxruntime-node (CPU). GPU-buffer inputs are read back (counted in `ctx.stats.readbacks`) and outputs
 *   can be uploaded into our buffers, so callers are written once.
 */
import type { GpuContext } from '../../gpu/context';
import { isNode } from '../../gpu/device';

export type SessionDType = 'float32' | 'int64' | 'int32' | 'uint32' | 'bool';
type HostArray = Float32Array | BigInt64Array | Int32Array | Uint32Array | Uint8Array;

/** A feed: CPU data, or one of our GPU buffers (float32/int32/uint32 only on the GPU path). */
export type SessionFeed =
  | { dims: readonly number[]; data: HostArray; dtype?: SessionDType }
  | { dims: readonly number[]; gpuBuffer: GPUBuffer; dtype: SessionDType };

export interface SessionOutput {
  name: string;
  dims: number[];
  dtype: string;
  /** Set when the output lives in a GPU buffer (browser WebGPU); valid until `dispose()`. */
  gpuBuffer?: GPUBuffer;
  /** Set when the output is on the CPU. */
  data?: HostArray;
  dispose(): void;
}

/** Where a session runs: onnxruntime-web WebGPU or wasm, onnxruntime-node CPU, or our own WGSL executor ('exec'). */
export type SessionBackend = 'webgpu' | 'wasm' | 'node-cpu' | 'exec';

export interface SessionOptions {
  /** Default: 'webgpu' in the browser, 'node-cpu' in Node. */
  backend?: SessionBackend;
  /** Keep outputs on the GPU (browser WebGPU only). Default true there. */
  gpuOutputs?: boolean;
  /** Session label for errors. */
  label?: string;
}

export interface OnnxSession {
  readonly label: string;
  readonly backend: SessionBackend;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, SessionFeed>, outputs?: string[]): Promise<Record<string, SessionOutput>>;
  release(): Promise<void>;
}

export class SessionError extends Error {
  constructor(label: string, message: string) {
    super(`${label}: ${message}`);
    this.name = 'SessionError';
  }
}

// Minimal structural types of the parts of onnxruntime we use (the web and node packages share them).
interface OrtTensor {
  dims: readonly number[];
  type: string;
  data: unknown;
  location: string;
  gpuBuffer?: GPUBuffer;
  dispose(): void;
}
interface OrtSession {
  inputNames: readonly string[];
  outputNames: readonly string[];
  run(feeds: Record<string, OrtTensor>, fetches?: string[]): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
interface OrtModule {
  InferenceSession: { create(bytes: Uint8Array, options?: Record<string, unknown>): Promise<OrtSession> };
  Tensor: {
    new (type: string, data: unknown, dims: readonly number[]): OrtTensor;
    fromGpuBuffer(buffer: GPUBuffer, options: { dataType: string; dims: readonly number[] }): OrtTensor;
  };
  env: { wasm: { numThreads?: number; wasmPaths?: unknown }; logLevel?: string };
}

let webModule: Promise<OrtModule> | undefined;
let nodeModule: Promise<OrtModule> | undefined;

function loadOrt(backend: SessionBackend): Promise<OrtModule> {
  if (backend === 'node-cpu') {
    // Hidden from bundlers: the browser build never contains onnxruntime-node.
    const specifier = 'onnxruntime-node';
    nodeModule ??= import(/* @vite-ignore */ specifier) as Promise<OrtModule>;
    return nodeModule;
  }
  webModule ??= import('onnxruntime-web/webgpu') as unknown as Promise<OrtModule>;
  return webModule;
}

function hostDType(a: HostArray): SessionDType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof BigInt64Array) return 'int64';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof Uint32Array) return 'uint32';
  return 'bool';
}

export async function createSession(
  ctx: GpuContext,
  model: Uint8Array,
  options: SessionOptions = {},
): Promise<OnnxSession> {
  const backend = options.backend ?? (isNode() ? 'node-cpu' : 'webgpu');
  const label = options.label ?? 'onnx-session';
  if (backend === 'node-cpu' && !isNode()) throw new SessionError(label, "backend 'node-cpu' exists only in Node");
  if (backend !== 'node-cpu' && isNode()) throw new SessionError(label, `backend '${backend}' exists only in the browser`);
  const ort = await loadOrt(backend);
  const gpuOutputs = backend === 'webgpu' && (options.gpuOutputs ?? true);
  const sessionOptions: Record<string, unknown> =
    backend === 'webgpu'
      ? {
          executionProviders: [{ name: 'webgpu', device: ctx.device }],
          ...(gpuOutputs ? { preferredOutputLocation: 'gpu-buffer' } : {}),
          graphOptimizationLevel: 'all',
        }
      : backend === 'wasm'
        ? { executionProviders: ['wasm'] }
        : { executionProviders: ['cpu'], graphOptimizationLevel: 'all' };
  let session: OrtSession;
  try {
    session = await ort.InferenceSession.create(model, sessionOptions);
  } catch (e) {
    throw new SessionError(label, `onnxruntime could not load the model: ${(e as Error)?.message ?? e}`);
  }

  async function toOrt(name: string, feed: SessionFeed): Promise<OrtTensor> {
    if ('gpuBuffer' in feed) {
      if (backend === 'webgpu') return ort.Tensor.fromGpuBuffer(feed.gpuBuffer, { dataType: feed.dtype, dims: feed.dims });
      // CPU backends: bring the buffer back (counted) — the browser WebGPU path never does this.
      const n = feed.dims.reduce((a, b) => a * b, 1);
      if (feed.dtype === 'float32') return new ort.Tensor('float32', await ctx.readF32(feed.gpuBuffer, n), feed.dims);
      if (feed.dtype === 'int32' || feed.dtype === 'uint32') {
        const u = await ctx.readU32(feed.gpuBuffer, n);
        return new ort.Tensor(feed.dtype, feed.dtype === 'int32' ? new Int32Array(u.buffer) : u, feed.dims);
      }
      throw new SessionError(label, `input '${name}': GPU feeds of ${feed.dtype} are not supported`);
    }
    return new ort.Tensor(feed.dtype ?? hostDType(feed.data), feed.data, feed.dims);
  }

  return {
    label,
    backend,
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    async run(feeds, outputs) {
      for (const name of session.inputNames) {
        if (!(name in feeds)) throw new SessionError(label, `missing input '${name}' (model inputs: ${session.inputNames.join(', ')})`);
      }
      for (const name of Object.keys(feeds)) {
        if (!session.inputNames.includes(name)) throw new SessionError(label, `unknown input '${name}' (model inputs: ${session.inputNames.join(', ')})`);
      }
      for (const name of outputs ?? []) {
        if (!session.outputNames.includes(name)) throw new SessionError(label, `unknown output '${name}' (model outputs: ${session.outputNames.join(', ')})`);
      }
      const ortFeeds: Record<string, OrtTensor> = {};
      for (const [name, feed] of Object.entries(feeds)) ortFeeds[name] = await toOrt(name, feed);
      let res: Record<string, OrtTensor>;
      try {
        res = await session.run(ortFeeds, outputs);
      } catch (e) {
        throw new SessionError(label, `run failed: ${(e as Error)?.message ?? e}`);
      }
      const out: Record<string, SessionOutput> = {};
      for (const [name, t] of Object.entries(res)) {
        const onGpu = t.location === 'gpu-buffer';
        out[name] = {
          name,
          dims: [...t.dims],
          dtype: t.type,
          gpuBuffer: onGpu ? t.gpuBuffer : undefined,
          data: onGpu ? undefined : (t.data as HostArray),
          dispose: () => t.dispose(),
        };
      }
      return out;
    },
    release: () => session.release(),
  };
}

/** Reads an output to the CPU as float32, wherever it lives. */
export async function outputToF32(ctx: GpuContext, out: SessionOutput): Promise<Float32Array> {
  if (out.data) return out.data instanceof Float32Array ? out.data : Float32Array.from(out.data as ArrayLike<number>);
  const n = out.dims.reduce((a, b) => a * b, 1);
  return ctx.readF32(out.gpuBuffer!, n);
}
