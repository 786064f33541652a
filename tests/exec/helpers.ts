/**
 * Helpers for the executor tests: one-node models, and a runner comparing the executor (our WGSL kernels on Dawn)
 * with onnxruntime-node (CPU, graph optimisations off) output by output.
 */
import * as ort from 'onnxruntime-node';
import { GraphBuilder, type AttrInput } from '../../src/onnx/builder';
import { numel, tensorFromNumbers, type DType, type Model, type Tensor } from '../../src/onnx/ir';
import { encodeModel } from '../../src/onnx/proto';
import { inferShapes } from '../../src/onnx/shapes';
import type { GpuContext } from '../../src/gpu/context';
import { createExecSession, type ExecSessionOptions } from '../../src/onnx/exec';
import type { Rng } from '../../src/util/random';
import { validate, type ValidateResult } from '../../src/util/validate';

export interface InSpec {
  dims: number[];
  dtype?: DType;
  /** An initializer instead of a graph input. */
  const?: boolean;
  values?: number[];
  /** Random values (default uniform in [-2, 2] for floats, [0, 5) for ints, coin flips for bool). */
  gen?: (rng: Rng, n: number) => ArrayLike<number>;
}

export interface OpCase {
  name: string;
  op: string;
  inputs: (InSpec | null)[];
  attrs?: Record<string, AttrInput>;
  outputs?: number;
  opset?: number;
  atol?: number;
  rtol?: number;
}

function randomValues(rng: Rng, s: InSpec): number[] {
  const n = numel(s.dims);
  if (s.values) return s.values;
  if (s.gen) return Array.from(s.gen(rng, n));
  const dt = s.dtype ?? 'float32';
  if (dt === 'bool') return Array.from({ length: n }, () => (rng.next() < 0.5 ? 1 : 0));
  if (dt === 'int64' || dt === 'int32') return Array.from({ length: n }, () => rng.int(0, 5));
  return Array.from(rng.uniform(n, -2, 2));
}

/** A one-node model; non-constant inputs get random feeds. */
export function oneNode(c: OpCase, rng: Rng): { model: Model; feeds: Record<string, Tensor> } {
  const b = new GraphBuilder({ opset: c.opset ?? 18 });
  const feeds: Record<string, Tensor> = {};
  const names = c.inputs.map((s, i) => {
    if (!s) return '';
    const t = tensorFromNumbers(s.dtype ?? 'float32', randomValues(rng, s), s.dims);
    if (s.const) return b.init(`c${i}`, t);
    const name = b.input(`x${i}`, t.dtype, s.dims);
    feeds[name] = t;
    return name;
  });
  const outs = Array.from({ length: c.outputs ?? 1 }, (_, i) => `y${i}`);
  b.op(c.op, names, c.attrs ?? {}, { outputs: outs, name: c.name });
  const model = b.model();
  const info = inferShapes(model);
  for (const o of outs) model.graph.outputs.push({ name: o, dtype: info.get(o)!.dtype, dims: [...info.get(o)!.dims] });
  return { model, feeds };
}

export function toNumbers(d: ArrayLike<number | bigint>): Float64Array {
  const out = new Float64Array(d.length);
  for (let i = 0; i < d.length; i++) out[i] = Number(d[i]);
  return out;
}

export async function runOrt(model: Model | Uint8Array, feeds: Record<string, Tensor>): Promise<Record<string, { dims: number[]; data: Float64Array }>> {
  const s = await ort.InferenceSession.create(model instanceof Uint8Array ? model : encodeModel(model), { graphOptimizationLevel: 'disabled' });
  const f: Record<string, ort.Tensor> = {};
  for (const [k, v] of Object.entries(feeds)) if (s.inputNames.includes(k)) f[k] = new ort.Tensor(v.dtype as 'float32', v.data as Float32Array, v.dims);
  const r = await s.run(f);
  const out: Record<string, { dims: number[]; data: Float64Array }> = {};
  for (const [k, v] of Object.entries(r)) out[k] = { dims: [...v.dims], data: toNumbers(v.data as Float32Array) };
  await s.release();
  return out;
}

export async function runExec(ctx: GpuContext, model: Model | Uint8Array, feeds: Record<string, Tensor>, o: ExecSessionOptions = {}): Promise<Record<string, { dims: number[]; data: Float64Array }>> {
  const s = await createExecSession(ctx, model, { gpuOutputs: false, ...o });
  try {
    const f: Record<string, { dims: number[]; data: Float32Array }> = {};
    for (const name of s.inputNames) f[name] = { dims: feeds[name].dims, data: feeds[name].data as Float32Array };
    const r = await s.run(f);
    const out: Record<string, { dims: number[]; data: Float64Array }> = {};
    for (const [k, v] of Object.entries(r)) out[k] = { dims: v.dims, data: toNumbers(v.data as Float32Array) };
    return out;
  } finally {
    await s.release();
  }
}

/** Compares every output of the executor with onnxruntime-node. */
export async function compareWithOrt(ctx: GpuContext, model: Model, feeds: Record<string, Tensor>, atol: number, rtol: number, name: string, o: ExecSessionOptions = {}): Promise<ValidateResult[]> {
  const ref = await runOrt(model, feeds);
  const got = await runExec(ctx, model, feeds, o);
  return Object.keys(ref).map((k) => {
    if (!got[k]) return validate([], ref[k].data, atol, rtol, `${name}/${k}: missing`);
    if (got[k].dims.join() !== ref[k].dims.join()) return validate([], ref[k].data, atol, rtol, `${name}/${k}: dims [${got[k].dims}] vs [${ref[k].dims}]`);
    return validate(got[k].data, ref[k].data, atol, rtol, `${name}/${k}`);
  });
}
