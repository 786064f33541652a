/**
 * Named regressions (issue #17): preprocessor_config.json and config.json sizes are bounded, and an image whose
 * header declares too many pixels is refused before any decoder runs.
 */
import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/data/errors';
import { checkImagePixels, imageHeaderSize, MAX_IMAGE_PIXELS } from '../../src/data/imageHeader';
import { readImageFolder } from '../../src/data/folder';
import { PreprocessorConfigError, parsePreprocessorConfig } from '../../src/image/preprocess';
import { clipConfigFromJson } from '../../src/onnx/clip/folder';

/** A PNG signature + IHDR declaring width × height, and nothing else. */
function pngHeader(width: number, height: number): Uint8Array {
  const b = new Uint8Array(33);
  b.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  const dv = new DataView(b.buffer);
  dv.setUint32(16, width);
  dv.setUint32(20, height);
  b[24] = 8; b[25] = 6;
  return b;
}

/** A JPEG SOI + SOF0 declaring width × height. */
function jpegHeader(width: number, height: number): Uint8Array {
  return new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 4, 0, 0, 0xff, 0xc0, 0, 11, 8, height >> 8, height & 255, width >> 8, width & 255, 3, 1, 0x11, 0]);
}

describe('image pixel cap from the header', () => {
  it('reads PNG and JPEG sizes', () => {
    expect(imageHeaderSize(pngHeader(640, 480))).toEqual({ width: 640, height: 480 });
    expect(imageHeaderSize(jpegHeader(300, 200))).toEqual({ width: 300, height: 200 });
  });
  it('a 100000×100000 PNG and a 65535×65535 JPEG are DataErrors naming the file', () => {
    expect(() => checkImagePixels(pngHeader(100000, 100000), 'cats/bomb.png')).toThrow(/cats\/bomb\.png.*over the limit/);
    expect(() => checkImagePixels(jpegHeader(65535, 65535), 'x.jpg')).toThrow(DataError);
    expect(checkImagePixels(pngHeader(MAX_IMAGE_PIXELS / 4096, 4096))).toEqual({ width: MAX_IMAGE_PIXELS / 4096, height: 4096 });
  });
  it('the folder loader refuses the bomb before calling the decoder', async () => {
    let decoderCalls = 0;
    const files = [{ path: 'root/cats/bomb.png', read: async () => pngHeader(100000, 100000) }];
    const decode = async () => { decoderCalls++; return { width: 1, height: 1, channels: 1 as const, data: new Uint8Array(1) }; };
    await expect(readImageFolder(files, decode)).rejects.toThrow(/bomb\.png.*over the limit/);
    expect(decoderCalls).toBe(0);
  });
});

describe('preprocessor_config.json and config.json numbers are bounded', () => {
  it('crop_size and size of 1e6 are refused', () => {
    expect(() => parsePreprocessorConfig({ crop_size: 1_000_000 })).toThrow(PreprocessorConfigError);
    expect(() => parsePreprocessorConfig({ size: { shortest_edge: 1_000_000 } })).toThrow(/shortest_edge.*1…2048/);
    expect(parsePreprocessorConfig({ crop_size: 224 }).cropSize).toEqual({ height: 224, width: 224 });
  });
  it('config.json hidden_size 65536 and 1e308 are refused naming the field', () => {
    expect(() => clipConfigFromJson({ text_config: { hidden_size: 65536 } })).toThrow(/hidden_size must be an integer in 1…8192, got 65536/);
    expect(() => clipConfigFromJson({ vision_config: { hidden_size: 1e308 } })).toThrow(/hidden_size/);
    expect(() => clipConfigFromJson({ text_config: { num_hidden_layers: 1e9 } })).toThrow(/num_hidden_layers/);
  });
});
