/** Shared helpers for the CLIP builder tests: onnxruntime-node sessions and CLIP-shaped inputs. */
import * as ort from 'onnxruntime-node';
import type { Model } from '../../src/onnx/ir';
import { encodeModel } from '../../src/onnx/proto';
import type { Rng } from '../../src/util/random';

export type OptLevel = 'disabled' | 'all';

export async function session(model: Model | Uint8Array, level: OptLevel = 'disabled'): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(model instanceof Uint8Array ? model : encodeModel(model), { graphOptimizationLevel: level });
}

export interface Out {
  data: Float32Array;
  dims: number[];
}

export async function runVision(s: ort.InferenceSession, pixels: Float32Array, dims: number[]): Promise<Record<string, Out>> {
  return collect(await s.run({ pixel_values: new ort.Tensor('float32', pixels, dims) }));
}

export async function runText(s: ort.InferenceSession, ids: BigInt64Array, dims: number[]): Promise<Record<string, Out>> {
  return collect(await s.run({ input_ids: new ort.Tensor('int64', ids, dims) }));
}

function collect(r: ort.InferenceSession.OnnxValueMapType): Record<string, Out> {
  const out: Record<string, Out> = {};
  for (const [k, v] of Object.entries(r)) out[k] = { data: v.data as Float32Array, dims: [...v.dims] };
  return out;
}

/**
 * Token rows shaped like CLIP's tokenizer output: BOS (V−2), `len` random ids below BOS, EOS (V−1, the highest id),
 * then padding of random ids below BOS (so the ArgMax still lands on EOS). Returns the ids and EOS positions.
 */
export function clipIds(rng: Rng, batch: number, T: number, V: number): { ids: BigInt64Array; eos: number[] } {
  const ids = new BigInt64Array(batch * T);
  const eos: number[] = [];
  for (let b = 0; b < batch; b++) {
    const len = rng.int(0, T - 1);
    ids[b * T] = BigInt(V - 2);
    for (let t = 1; t < T; t++) ids[b * T + t] = BigInt(rng.int(0, V - 2));
    ids[b * T + len + 1] = BigInt(V - 1);
    eos.push(len + 1);
  }
  return { ids, eos };
}

/** Largest |a − b| over a slice. */
export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>, from = 0, to = a.length): number {
  let m = 0;
  for (let i = from; i < to; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Whether two typed arrays hold the same bytes (fast exact comparison for large arrays). */
export function sameBytes(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}
