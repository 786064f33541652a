/**
 * Checkpoint codec (host-independent): a JSON header (step, seed, data/optimiser settings, tensor layout) followed
 * by the flat f32 parameters and both AdamW moments. The data pipeline derives every random draw from
 * (seed, step), so (seed, step) is the whole RNG state.
 *
 *   bytes: "AOSCKPT1" | u32 header length | header JSON (UTF-8, padded to 4 bytes) | params | m | v   (f32 LE)
 */
import type { TrainerState } from './trainer';

const MAGIC = 'AOSCKPT1';

export interface CheckpointMeta {
  step: number;
  seed: number;
  count: number;
  /** Anything the run wants back (config, options, tokenizer, elapsed time…). */
  extra: Record<string, unknown>;
}

export interface Checkpoint {
  meta: CheckpointMeta;
  state: TrainerState;
}

export function encodeCheckpoint(state: TrainerState, seed: number, extra: Record<string, unknown> = {}): Uint8Array {
  const meta: CheckpointMeta = { step: state.step, seed, count: state.params.length, extra };
  const json = new TextEncoder().encode(JSON.stringify(meta));
  const hlen = Math.ceil(json.length / 4) * 4;
  const n = state.params.length;
  const out = new Uint8Array(12 + hlen + 12 * n);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(8, hlen, true);
  out.fill(0x20, 12, 12 + hlen);
  out.set(json, 12);
  const f = new Float32Array(out.buffer, 12 + hlen, 3 * n);
  f.set(state.params, 0);
  f.set(state.m, n);
  f.set(state.v, 2 * n);
  return out;
}

export function decodeCheckpoint(bytes: Uint8Array): Checkpoint {
  if (new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) throw new Error('not an AoS checkpoint (bad magic)');
  const hlen = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
  const meta = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + hlen))) as CheckpointMeta;
  const n = meta.count;
  if (bytes.length !== 12 + hlen + 12 * n) throw new Error(`checkpoint truncated: ${bytes.length} bytes, expected ${12 + hlen + 12 * n}`);
  const f = new Float32Array(bytes.slice(12 + hlen).buffer);
  return { meta, state: { step: meta.step, params: f.slice(0, n), m: f.slice(n, 2 * n), v: f.slice(2 * n, 3 * n) } };
}
