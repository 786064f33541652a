/**
 * Image dimensions read from the PNG / JPEG header, so a decompression bomb (a few KB declaring 100k × 100k) is
 * refused before any decoder allocates its pixels.
 */
import { DataError } from './errors';

/** Largest pixel count decoded (2^25 ≈ 33.5 Mpx, 128 MiB as RGBA); CLIP looks at 224² anyway. */
export const MAX_IMAGE_PIXELS = 2 ** 25;

/** Width and height from a PNG IHDR or a JPEG SOFn marker; undefined when neither is found. */
export function imageHeaderSize(bytes: Uint8Array): { width: number; height: number } | undefined {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length >= 24 && dv.getUint32(0) === 0x89504e47 && dv.getUint32(12) === 0x49484452) {
    return { width: dv.getUint32(16), height: dv.getUint32(20) };
  }
  if (bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8) {
    let p = 2;
    while (p + 9 <= bytes.length) {
      if (bytes[p] !== 0xff) { p++; continue; }
      const marker = bytes[p + 1];
      if (marker === 0xff) { p++; continue; }
      if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) { p += 2; continue; }
      const len = dv.getUint16(p + 2);
      // SOF0…SOF15 except DHT (c4), JPG (c8) and DAC (cc) carry the frame size.
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return { width: dv.getUint16(p + 7), height: dv.getUint16(p + 5) };
      }
      p += 2 + len;
    }
  }
  return undefined;
}

/** Throws a DataError naming `file` unless its header declares at most MAX_IMAGE_PIXELS. */
export function checkImagePixels(bytes: Uint8Array, file = 'image'): { width: number; height: number } {
  const size = imageHeaderSize(bytes);
  if (!size) throw new DataError(`${file}: not a PNG or JPEG (no image header found)`);
  if (size.width * size.height > MAX_IMAGE_PIXELS) {
    throw new DataError(`${file}: ${size.width}×${size.height} pixels is over the limit of ${MAX_IMAGE_PIXELS} (checked before decoding)`);
  }
  return size;
}
