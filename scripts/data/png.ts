/**
 * Minimal PNG encoder/decoder for Node (node:zlib): 8-bit gray, gray+alpha, RGB, RGBA; non-interlaced.
 * Used for contact sheets and the image-folder tests; not a general-purpose PNG library.
 */
import { deflateSync, inflateSync } from 'node:zlib';

const COLOR_TYPE: Record<number, number> = { 1: 0, 2: 4, 3: 2, 4: 6 };
const CHANNELS: Record<number, 1 | 2 | 3 | 4> = { 0: 1, 4: 2, 2: 3, 6: 4 };

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  dv.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** Encodes interleaved 8-bit samples (`channels` per pixel) as a PNG. */
export function encodePng(width: number, height: number, channels: 1 | 2 | 3 | 4, data: ArrayLike<number>): Uint8Array {
  const row = width * channels;
  if (data.length !== row * height) throw new Error(`encodePng: ${data.length} samples for ${width}×${height}×${channels}`);
  const raw = new Uint8Array((row + 1) * height);
  for (let y = 0; y < height; y++) {
    for (let i = 0; i < row; i++) raw[y * (row + 1) + 1 + i] = data[y * row + i];
  }
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, width);
  dv.setUint32(4, height);
  ihdr[8] = 8;
  ihdr[9] = COLOR_TYPE[channels];
  const sig = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);
  const parts = [sig, chunk('IHDR', ihdr), chunk('IDAT', new Uint8Array(deflateSync(raw, { level: 9 }))), chunk('IEND', new Uint8Array(0))];
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/** Decodes an 8-bit, non-interlaced gray / gray+alpha / RGB / RGBA PNG. */
export function decodePng(bytes: Uint8Array): { width: number; height: number; channels: 1 | 2 | 3 | 4; data: Uint8Array } {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 8 || dv.getUint32(0) !== 0x89504e47) throw new Error('not a PNG');
  let o = 8, width = 0, height = 0, channels: 1 | 2 | 3 | 4 = 1;
  const idat: Uint8Array[] = [];
  while (o + 8 <= bytes.length) {
    const len = dv.getUint32(o);
    const type = String.fromCharCode(...bytes.subarray(o + 4, o + 8));
    const body = bytes.subarray(o + 8, o + 8 + len);
    if (type === 'IHDR') {
      width = dv.getUint32(o + 8);
      height = dv.getUint32(o + 12);
      const depth = body[8], ct = body[9], interlace = body[12];
      if (depth !== 8 || !(ct in CHANNELS) || interlace !== 0) throw new Error(`unsupported PNG (depth ${depth}, colour type ${ct}, interlace ${interlace})`);
      channels = CHANNELS[ct];
    } else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') break;
    o += 12 + len;
  }
  const z = new Uint8Array(idat.reduce((a, p) => a + p.length, 0));
  let zo = 0;
  for (const p of idat) { z.set(p, zo); zo += p.length; }
  const raw = new Uint8Array(inflateSync(z));
  const row = width * channels;
  if (raw.length < (row + 1) * height) throw new Error('PNG: truncated image data');
  const out = new Uint8Array(row * height);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (row + 1)];
    for (let i = 0; i < row; i++) {
      const x = raw[y * (row + 1) + 1 + i];
      const a = i >= channels ? out[y * row + i - channels] : 0;
      const b = y > 0 ? out[(y - 1) * row + i] : 0;
      const c = i >= channels && y > 0 ? out[(y - 1) * row + i - channels] : 0;
      let p: number;
      switch (f) {
        case 0: p = 0; break;
        case 1: p = a; break;
        case 2: p = b; break;
        case 3: p = (a + b) >> 1; break;
        case 4: {
          const pa = Math.abs(b - c), pb = Math.abs(a - c), pc = Math.abs(a + b - 2 * c);
          p = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          break;
        }
        default: throw new Error(`PNG: bad filter ${f}`);
      }
      out[y * row + i] = (x + p) & 0xff;
    }
  }
  return { width, height, channels, data: out };
}
