/**
 * Host-independent gzip decompression. The default uses `DecompressionStream` (browsers; also a global in Node ≥ 18).
 * Node-only code (node:zlib) lives in `./node.ts`, which browser code must never import; callers there pass
 * `gunzipNode` wherever a `Gunzip` is accepted.
 */
import { DataError } from './errors';

/** Decompresses one gzip stream. Rejects with a `DataError` on a corrupt or truncated stream. */
export type Gunzip = (bytes: Uint8Array) => Promise<Uint8Array>;

/** True when the bytes start with the gzip magic number (1f 8b). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** gunzip with the Web Streams `DecompressionStream('gzip')`. */
export const gunzipWeb: Gunzip = async (bytes) => {
  if (typeof DecompressionStream === 'undefined') {
    throw new DataError('gzip: DecompressionStream is not available on this host; pass a gunzip function (in Node: gunzipNode from src/data/node.ts)');
  }
  if (!isGzip(bytes)) throw new DataError(`gzip: not a gzip stream (first bytes ${hexPrefix(bytes)})`);
  try {
    const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (e) {
    throw new DataError(`gzip: corrupt or truncated stream of ${bytes.length} bytes (${(e as Error).message})`);
  }
};

export function hexPrefix(bytes: Uint8Array, n = 8): string {
  return Array.from(bytes.subarray(0, n), (b) => b.toString(16).padStart(2, '0')).join(' ') || '(empty)';
}
