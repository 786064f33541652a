/** onnxruntime-node helpers for the ONNX tests: run an IR model on IR tensors. */
import * as ort from 'onnxruntime-node';
import { numel, type Model, type Tensor } from '../../src/onnx/ir';
import { encodeModel } from '../../src/onnx/proto';

export function toOrt(t: Tensor): ort.Tensor {
  if (Array.isArray(t.data)) return new ort.Tensor('string', t.data, t.dims);
  return new ort.Tensor(t.dtype as 'float32', t.data as Float32Array, t.dims);
}

export function fromOrt(t: ort.Tensor): Tensor {
  return { dtype: t.type as Tensor['dtype'], dims: [...t.dims], data: t.data as Float32Array };
}

export async function session(model: Model): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(encodeModel(model), { graphOptimizationLevel: 'disabled' });
}

/** Runs `model` (or an existing session) on IR tensors; returns every graph output by name. */
export async function run(model: Model | ort.InferenceSession, feeds: Record<string, Tensor> | Map<string, Tensor>): Promise<Record<string, Tensor>> {
  const s = 'run' in model ? model : await session(model);
  const f: Record<string, ort.Tensor> = {};
  for (const [k, v] of feeds instanceof Map ? feeds : Object.entries(feeds)) if (s.inputNames.includes(k)) f[k] = toOrt(v);
  const out = await s.run(f);
  const res: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(out)) res[k] = fromOrt(v);
  return res;
}

/** Float values of a tensor as a Float64Array. */
export function values(t: Tensor): Float64Array {
  const out = new Float64Array(numel(t.dims));
  const d = t.data as ArrayLike<number | bigint>;
  for (let i = 0; i < out.length; i++) out[i] = Number(d[i]);
  return out;
}
