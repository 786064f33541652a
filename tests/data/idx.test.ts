import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/data/errors';
import { gunzipWeb } from '../../src/data/gzip';
import { encodeIdx, parseIdx, readIdx } from '../../src/data/idx';
import { gunzipNode } from '../../src/data/node';

// A tiny hand-written IDX file: 2 images of 2×3 uint8.
const TINY = Uint8Array.from([
  0, 0, 0x08, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3,
  1, 2, 3, 4, 5, 6,
  250, 251, 252, 253, 254, 255,
]);

describe('IDX reader', () => {
  it('parses a synthetic uint8 file', () => {
    const a = parseIdx(TINY);
    expect(a.dtype).toBe('uint8');
    expect(a.dims).toEqual([2, 2, 3]);
    expect(Array.from(a.data)).toEqual([1, 2, 3, 4, 5, 6, 250, 251, 252, 253, 254, 255]);
  });

  it('reads big-endian wider types written by encodeIdx', () => {
    const ints = [-2, 70000, 3, -2147483648];
    expect(Array.from(parseIdx(encodeIdx('int32', [4], ints)).data)).toEqual(ints);
    const fl = [0.5, -1.25, 3e10];
    const f = parseIdx(encodeIdx('float32', [1, 3], fl));
    expect(f.dims).toEqual([1, 3]);
    expect(Array.from(f.data)).toEqual(fl.map(Math.fround));
    expect(Array.from(parseIdx(encodeIdx('int16', [2], [-300, 300])).data)).toEqual([-300, 300]);
  });

  it('decompresses gzip with DecompressionStream and with node:zlib', async () => {
    const gz = new Uint8Array(gzipSync(TINY));
    for (const gunzip of [gunzipWeb, gunzipNode]) {
      const a = await readIdx(gz, gunzip);
      expect(a.dims).toEqual([2, 2, 3]);
      expect(a.data[11]).toBe(255);
    }
  });

  it('rejects truncated files with a clear error', async () => {
    expect(() => parseIdx(TINY.subarray(0, TINY.length - 1))).toThrow(DataError);
    expect(() => parseIdx(TINY.subarray(0, TINY.length - 1))).toThrow(/truncated: dims \[2, 2, 3\] of uint8 need 12 data bytes.*only 11 present/);
    expect(() => parseIdx(TINY.subarray(0, 10))).toThrow(/truncated: header declares 3 dimensions/);
    expect(() => parseIdx(TINY.subarray(0, 2))).toThrow(/truncated/);
    const gz = new Uint8Array(gzipSync(TINY));
    await expect(readIdx(gz.subarray(0, gz.length - 6), gunzipWeb)).rejects.toThrow(/gzip: corrupt or truncated/);
    await expect(readIdx(gz.subarray(0, gz.length - 6), gunzipNode)).rejects.toThrow(/gzip: corrupt or truncated/);
  });

  it('rejects a bad magic, an unknown type and trailing bytes', () => {
    expect(() => parseIdx(Uint8Array.from([1, 0, 8, 1, 0, 0, 0, 0]))).toThrow(/not an IDX file/);
    expect(() => parseIdx(Uint8Array.from([0, 0, 7, 1, 0, 0, 0, 0]))).toThrow(/unknown IDX element type 0x07/);
    expect(() => parseIdx(Uint8Array.from([...TINY, 9]))).toThrow(/1 unexpected trailing bytes/);
    expect(() => parseIdx(new Uint8Array(gzipSync(TINY)))).toThrow(/gzip-compressed/);
  });
});
