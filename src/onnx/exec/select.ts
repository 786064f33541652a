/**
 * Pick the engine per session: onnxruntime (src/onnx/run) or our own executor, behind one `OnnxSession`; and the
 * default where a caller does not say, decided by measurement per host and adapter kind (numbers in
 * bench/RESULTS.md, the decision in README.md's design section).
 */
import type { GpuContext } from '../../gpu/context';
import { isSoftwareAdapter, type AdapterSummary } from '../../gpu/device';
import type { Model } from '../ir';
import { encodeModel } from '../proto';
import { createSession, type OnnxSession, type SessionOptions } from '../run/session';
import { createExecSession, type ExecSessionOptions } from './session';

export type SessionEngine = 'onnxruntime' | 'exec';

export interface EngineDefault {
  engine: SessionEngine;
  /** Why, in one sentence (shown in the UI and logs). */
  reason: string;
}

/**
 * The default engine of the attack and training loops on this adapter:
 *  - a hardware GPU (not a fallback/software adapter), browser or Node: our executor — the graphs stay on the GPU
 *    with no copies per step (onnxruntime-node runs on the CPU; onnxruntime's WebGPU EP reached 0.23× PyTorch on an
 *    H100 where a register-tiled WGSL matmul reached 28 TFLOP/s);
 *  - a software adapter in Node (lavapipe): onnxruntime-node's CPU EP, which runs the small CLIP towers several
 *    times faster than any shader emulated on the same cores;
 *  - a software adapter in the browser (SwiftShader): see SOFTWARE_BROWSER_DEFAULT.
 */
export function defaultEngine(adapter: Pick<AdapterSummary, 'host' | 'isFallbackAdapter' | 'description' | 'architecture' | 'device' | 'vendor'>): EngineDefault {
  if (!isSoftwareAdapter(adapter)) return { engine: 'exec', reason: 'hardware GPU adapter: our WGSL executor keeps every graph on the GPU' };
  if (adapter.host === 'node') return { engine: 'onnxruntime', reason: 'software adapter in Node: onnxruntime-node on the CPU is faster than shaders emulated on the same cores' };
  return SOFTWARE_BROWSER_DEFAULT;
}

/** Software adapter in the browser (SwiftShader): the measured winner against onnxruntime-web's WebGPU EP there. */
export const SOFTWARE_BROWSER_DEFAULT: EngineDefault = {
  engine: 'exec',
  reason: 'software adapter in the browser: our executor is faster than onnxruntime-web\'s WebGPU EP on SwiftShader',
};

export interface EngineSessionOptions extends SessionOptions, Omit<ExecSessionOptions, 'label' | 'gpuOutputs'> {
  /** Default: `defaultEngine(ctx.adapter)`. */
  engine?: SessionEngine;
}

export async function createEngineSession(ctx: GpuContext, model: Uint8Array | Model, o: EngineSessionOptions = {}): Promise<OnnxSession> {
  const engine = o.engine ?? defaultEngine(ctx.adapter).engine;
  if (engine === 'exec') return createExecSession(ctx, model, o);
  return createSession(ctx, model instanceof Uint8Array ? model : encodeModel(model), o);
}
