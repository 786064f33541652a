/**
 * A small safetensors codec for weight maps (HF's `model.safetensors`), so CLIP weights can be saved and loaded by
 * name: real HF CLIP checkpoints use the same names as weights.ts.
 *
 * Layout: an 8-byte little-endian header length N, N bytes of JSON header
 * `{ name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__"?: { k: v } }` (padded with spaces), then
 * the tensors' little-endian bytes, offsets relative to the end of the header. Decoding returns typed-array views
 * into `bytes` where aligned (copies otherwise); treat them as immutable.
 */
import { dtypeSize, numel, typedArrayCtor, type DType, type Tensor } from '../ir';

const TO_ST: Partial<Record<DType, string>> = {
  bool: 'BOOL', uint8: 'U8', int8: 'I8', int16: 'I16', uint16: 'U16', float16: 'F16', bfloat16: 'BF16',
  int32: 'I32', uint32: 'U32', float32: 'F32', float64: 'F64', int64: 'I64', uint64: 'U64',
};
const FROM_ST = new Map<string, DType>(Object.entries(TO_ST).map(([k, v]) => [v, k as DType]));

/** Encodes tensors (and optional string metadata) as a safetensors file. */
export function encodeSafetensors(tensors: Map<string, Tensor>, metadata?: Record<string, string>): Uint8Array {
  // Larger elements first keeps every tensor aligned to its element size.
  const entries = [...tensors].sort((a, b) => dtypeSize(b[1].dtype) - dtypeSize(a[1].dtype) || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of entries) {
    const st = TO_ST[t.dtype];
    if (!st || Array.isArray(t.data)) throw new TypeError(`safetensors: tensor '${name}' has unsupported dtype ${t.dtype}`);
    if (t.data.length !== numel(t.dims)) throw new RangeError(`safetensors: tensor '${name}' has ${t.data.length} values for dims [${t.dims}]`);
    const size = t.data.byteLength;
    header[name] = { dtype: st, shape: t.dims, data_offsets: [offset, offset + size] };
    offset += size;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const [, t] of entries) {
    const d = t.data as Exclude<Tensor['data'], string[]>;
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), at);
    at += d.byteLength;
  }
  return out;
}

export interface Safetensors {
  tensors: Map<string, Tensor>;
  metadata: Record<string, string>;
}

/** Decodes a safetensors file; throws with the tensor's name on malformed entries. */
export function decodeSafetensors(bytes: Uint8Array): Safetensors {
  if (bytes.length < 8) throw new RangeError('safetensors: file shorter than its 8-byte header length');
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (8 + n > bytes.length) throw new RangeError(`safetensors: header length ${n} exceeds the file (${bytes.length} bytes)`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, unknown>;
  } catch (e) {
    throw new SyntaxError(`safetensors: header is not JSON: ${(e as Error).message}`, { cause: e });
  }
  const base = 8 + n;
  const dataLen = bytes.length - base;
  const tensors = new Map<string, Tensor>();
  let metadata: Record<string, string> = {};
  for (const [name, v] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = (v ?? {}) as Record<string, string>;
      continue;
    }
    const e = v as { dtype?: string; shape?: number[]; data_offsets?: [number, number] };
    const dtype = e.dtype ? FROM_ST.get(e.dtype) : undefined;
    if (!dtype) throw new TypeError(`safetensors: tensor '${name}' has unsupported dtype ${JSON.stringify(e.dtype)}`);
    if (!Array.isArray(e.shape) || !Array.isArray(e.data_offsets)) throw new TypeError(`safetensors: tensor '${name}' lacks shape or data_offsets`);
    const [begin, end] = e.data_offsets;
    const count = numel(e.shape);
    if (!(begin >= 0 && end <= dataLen && end - begin === count * dtypeSize(dtype))) {
      throw new RangeError(`safetensors: tensor '${name}' [${e.shape}] ${dtype} has data_offsets [${begin}, ${end}] (data section ${dataLen} bytes)`);
    }
    const raw = bytes.subarray(base + begin, base + end);
    const C = typedArrayCtor(dtype);
    const size = dtypeSize(dtype);
    const data = raw.byteOffset % size === 0 ? new C(raw.buffer, raw.byteOffset, count) : new C(raw.slice().buffer, 0, count);
    tensors.set(name, { dtype, dims: [...e.shape], data });
  }
  return { tensors, metadata };
}
