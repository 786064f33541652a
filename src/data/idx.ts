/**
 * Reader for the IDX format of MNIST / Fashion-MNIST (big-endian):
 *   bytes 0–1: 0x00 0x00 · byte 2: element type · byte 3: number of dimensions d ·
 *   then d × u32 sizes · then the elements, row-major.
 * Works on a `Uint8Array` on any host; `readIdx` also accepts a gzip-compressed file (`*.gz`), decompressed by the
 * given `Gunzip` (default: `DecompressionStream`; Node callers may pass `gunzipNode` from `./node.ts`).
 */
import { DataError } from './errors';
import { gunzipWeb, isGzip, type Gunzip } from './gzip';

export type IdxDtype = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxArray {
  dtype: IdxDtype;
  /** Sizes, outermost first (e.g. [60000, 28, 28]). */
  dims: number[];
  /** Row-major elements, converted to host order. */
  data: IdxData;
}

const TYPES: Record<number, { dtype: IdxDtype; bytes: number }> = {
  0x08: { dtype: 'uint8', bytes: 1 },
  0x09: { dtype: 'int8', bytes: 1 },
  0x0b: { dtype: 'int16', bytes: 2 },
  0x0c: { dtype: 'int32', bytes: 4 },
  0x0d: { dtype: 'float32', bytes: 4 },
  0x0e: { dtype: 'float64', bytes: 8 },
};

/** Type codes by dtype (for writers, e.g. tests building synthetic files). */
export const IDX_TYPE_CODE: Record<IdxDtype, number> = {
  uint8: 0x08, int8: 0x09, int16: 0x0b, int32: 0x0c, float32: 0x0d, float64: 0x0e,
};

/** Parses an uncompressed IDX file. Throws a `DataError` naming the problem on a bad magic, type or a truncation. */
export function parseIdx(bytes: Uint8Array, name = 'IDX file'): IdxArray {
  if (bytes.length < 4) throw new DataError(`${name}: truncated: ${bytes.length} bytes, shorter than the 4-byte IDX magic`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const hint = isGzip(bytes) ? ' (it is gzip-compressed: use readIdx, which decompresses)' : '';
    throw new DataError(`${name}: not an IDX file: magic must start with 00 00, got ${hex(bytes[0])} ${hex(bytes[1])}${hint}`);
  }
  const type = TYPES[bytes[2]];
  if (!type) throw new DataError(`${name}: unknown IDX element type 0x${hex(bytes[2])}`);
  const ndim = bytes[3];
  const headerBytes = 4 + 4 * ndim;
  if (bytes.length < headerBytes) {
    throw new DataError(`${name}: truncated: header declares ${ndim} dimensions (${headerBytes} header bytes) but the file has ${bytes.length} bytes`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < ndim; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const count = dims.reduce((a, b) => a * b, 1);
  const need = count * type.bytes;
  const have = bytes.length - headerBytes;
  if (have < need) {
    throw new DataError(
      `${name}: truncated: dims [${dims.join(', ')}] of ${type.dtype} need ${need} data bytes after the ${headerBytes}-byte header, only ${have} present`,
    );
  }
  if (have > need) throw new DataError(`${name}: ${have - need} unexpected trailing bytes after dims [${dims.join(', ')}] of ${type.dtype}`);
  const body = bytes.subarray(headerBytes, headerBytes + need);
  let data: IdxData;
  switch (type.dtype) {
    case 'uint8': data = body.slice(); break;
    case 'int8': data = new Int8Array(body.slice().buffer); break;
    default: {
      const out = type.dtype === 'int16' ? new Int16Array(count) : type.dtype === 'int32' ? new Int32Array(count)
        : type.dtype === 'float32' ? new Float32Array(count) : new Float64Array(count);
      const dv = new DataView(body.buffer, body.byteOffset, body.byteLength);
      for (let i = 0; i < count; i++) {
        const o = i * type.bytes;
        out[i] = type.dtype === 'int16' ? dv.getInt16(o, false) : type.dtype === 'int32' ? dv.getInt32(o, false)
          : type.dtype === 'float32' ? dv.getFloat32(o, false) : dv.getFloat64(o, false);
      }
      data = out;
    }
  }
  return { dtype: type.dtype, dims, data };
}

/** Parses an IDX file that may be gzip-compressed (detected by its magic number). */
export async function readIdx(bytes: Uint8Array, gunzip: Gunzip = gunzipWeb, name = 'IDX file'): Promise<IdxArray> {
  return parseIdx(isGzip(bytes) ? await gunzip(bytes) : bytes, name);
}

/** Encodes an array as IDX (big-endian). The inverse of `parseIdx`; used to build test files. */
export function encodeIdx(dtype: IdxDtype, dims: number[], data: ArrayLike<number>): Uint8Array {
  const size = { uint8: 1, int8: 1, int16: 2, int32: 4, float32: 4, float64: 8 }[dtype];
  const count = dims.reduce((a, b) => a * b, 1);
  if (data.length !== count) throw new DataError(`encodeIdx: ${data.length} elements for dims [${dims.join(', ')}]`);
  const header = 4 + 4 * dims.length;
  const out = new Uint8Array(header + count * size);
  const dv = new DataView(out.buffer);
  out[2] = IDX_TYPE_CODE[dtype];
  out[3] = dims.length;
  dims.forEach((d, i) => dv.setUint32(4 + 4 * i, d, false));
  for (let i = 0; i < count; i++) {
    const o = header + i * size, v = data[i];
    switch (dtype) {
      case 'uint8': dv.setUint8(o, v); break;
      case 'int8': dv.setInt8(o, v); break;
      case 'int16': dv.setInt16(o, v, false); break;
      case 'int32': dv.setInt32(o, v, false); break;
      case 'float32': dv.setFloat32(o, v, false); break;
      case 'float64': dv.setFloat64(o, v, false); break;
    }
  }
  return out;
}

function hex(b: number): string {
  return b.toString(16).padStart(2, '0');
}
