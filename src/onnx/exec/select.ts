/** Pick the engine per session: onnxruntime (src/onnx/run) or our own executor, behind one `OnnxSession`. */
import type { GpuContext } from '../../gpu/context';
import type { Model } from '../ir';
import { encodeModel } from '../proto';
import { createSession, type OnnxSession, type SessionOptions } from '../run/session';
import { createExecSession, type ExecSessionOptions } from './session';

export type SessionEngine = 'onnxruntime' | 'exec';

export interface EngineSessionOptions extends SessionOptions, Omit<ExecSessionOptions, 'label' | 'gpuOutputs'> {
  /** Default 'onnxruntime'. */
  engine?: SessionEngine;
}

export async function createEngineSession(ctx: GpuContext, model: Uint8Array | Model, o: EngineSessionOptions = {}): Promise<OnnxSession> {
  if (o.engine === 'exec') return createExecSession(ctx, model, o);
  return createSession(ctx, model instanceof Uint8Array ? model : encodeModel(model), o);
}
