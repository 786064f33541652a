import { describe, expect, it } from 'vitest';
import {
  OPENAI_CLIP_MEAN, OPENAI_CLIP_STD, PreprocessorConfigError, centerCropOffset, normalizationConstants, normalize,
  parsePreprocessorConfig, preprocessImage, preprocessImages, resizePlane, resizedSize, shortestEdgeSize,
  type ImageU8,
} from '../../src/image/preprocess';
import { validate } from '../../src/util/validate';

/** openai/clip-vit-base-patch32's preprocessor_config.json. */
const CLIP_CONFIG = {
  crop_size: { height: 224, width: 224 },
  do_center_crop: true,
  do_convert_rgb: true,
  do_normalize: true,
  do_rescale: true,
  do_resize: true,
  image_mean: [0.48145466, 0.4578275, 0.40821073],
  image_processor_type: 'CLIPImageProcessor',
  image_std: [0.26862954, 0.26130258, 0.27577711],
  resample: 3,
  rescale_factor: 0.00392156862745098,
  size: { shortest_edge: 224 },
};

function constantImage(width: number, height: number, px: number[]): ImageU8 {
  const c = px.length as 1 | 2 | 3 | 4;
  const data = new Uint8Array(width * height * c);
  for (let i = 0; i < width * height; i++) for (let k = 0; k < c; k++) data[i * c + k] = px[k];
  return { data, width, height, channels: c };
}

describe('parsePreprocessorConfig', () => {
  it('reads a real CLIP config (text or object) and old-style numeric sizes', () => {
    const cfg = parsePreprocessorConfig(JSON.stringify(CLIP_CONFIG));
    expect(cfg).toEqual({
      doResize: true, size: { shortestEdge: 224 }, resample: 'bicubic', doCenterCrop: true,
      cropSize: { height: 224, width: 224 }, doRescale: true, rescaleFactor: 1 / 255, doNormalize: true,
      imageMean: OPENAI_CLIP_MEAN, imageStd: OPENAI_CLIP_STD, doConvertRgb: true,
    });
    const old = parsePreprocessorConfig({ size: 336, crop_size: 336, resample: 2, feature_extractor_type: 'CLIPFeatureExtractor' });
    expect(old.size).toEqual({ shortestEdge: 336 });
    expect(old.cropSize).toEqual({ height: 336, width: 336 });
    expect(old.resample).toBe('bilinear');
    expect(parsePreprocessorConfig({ size: { height: 64, width: 48 } }).size).toEqual({ height: 64, width: 48 });
    expect(parsePreprocessorConfig({}).imageMean).toEqual(OPENAI_CLIP_MEAN); // CLIPImageProcessor defaults
  });

  const bad: Array<[string, unknown, RegExp]> = [
    ['invalid JSON', '{"size": ', /not valid JSON/],
    ['array', '[]', /must be a JSON object/],
    ['size zero', { size: 0 }, /"size"/],
    ['size string', { size: '224' }, /"size"/],
    ['size fractional shortest edge', { size: { shortest_edge: 22.5 } }, /shortest_edge/],
    ['size longest edge', { size: { shortest_edge: 224, longest_edge: 500 } }, /longest_edge/],
    ['size half of height/width', { size: { height: 224 } }, /height, width/],
    ['crop size', { crop_size: { height: 224 } }, /"crop_size"/],
    ['lanczos', { resample: 1 }, /"resample" 1 \(LANCZOS\) is not supported/],
    ['resample string', { resample: 'bicubic' }, /PIL filter number/],
    ['mean not numbers', { image_mean: ['a', 'b', 'c'] }, /"image_mean"/],
    ['mean/std lengths', { image_mean: [0.5, 0.5, 0.5], image_std: [0.5, 0.5] }, /3 entries but "image_std" has 2/],
    ['std zero', { image_std: [0.2, 0, 0.2] }, /> 0/],
    ['flag not boolean', { do_resize: 'yes' }, /"do_resize" must be true or false/],
    ['rescale factor', { rescale_factor: -1 }, /rescale_factor/],
  ];
  for (const [name, cfg, msg] of bad) {
    it(`rejects ${name}`, () => {
      expect(() => parsePreprocessorConfig(cfg)).toThrow(PreprocessorConfigError);
      expect(() => parsePreprocessorConfig(cfg)).toThrow(msg);
    });
  }
});

describe('geometry', () => {
  it('shortest-edge sizes for landscape, portrait and square (long edge truncated like transformers)', () => {
    expect(shortestEdgeSize(640, 480, 224)).toEqual({ width: 298, height: 224 }); // 298.67 → 298
    expect(shortestEdgeSize(480, 640, 224)).toEqual({ width: 224, height: 298 });
    expect(shortestEdgeSize(300, 300, 224)).toEqual({ width: 224, height: 224 });
    expect(shortestEdgeSize(448, 224, 224)).toEqual({ width: 448, height: 224 });
    expect(shortestEdgeSize(100, 30, 224)).toEqual({ width: 746, height: 224 }); // upscaling: 746.67 → 746
    const cfg = parsePreprocessorConfig(CLIP_CONFIG);
    expect(resizedSize(1000, 750, cfg)).toEqual({ width: 298, height: 224 });
    expect(resizedSize(1000, 750, { ...cfg, doResize: false })).toEqual({ width: 1000, height: 750 });
    expect(resizedSize(1000, 750, { ...cfg, size: { height: 32, width: 40 } })).toEqual({ width: 40, height: 32 });
  });

  it('centre-crop offsets floor the margin (negative = zero padding)', () => {
    expect(centerCropOffset(298, 224, 224, 224)).toEqual({ left: 37, top: 0 });
    expect(centerCropOffset(224, 299, 224, 224)).toEqual({ left: 0, top: 37 });
    expect(centerCropOffset(10, 7, 4, 3)).toEqual({ left: 3, top: 2 });
    expect(centerCropOffset(5, 5, 8, 8)).toEqual({ left: -2, top: -2 });
  });

  it('crops the centre of the image (pixel values encode coordinates)', () => {
    const W = 10, H = 7;
    const data = new Uint8Array(W * H);
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) data[y * W + x] = y * 16 + x;
    const cfg = { ...parsePreprocessorConfig({ do_resize: false, crop_size: { height: 3, width: 4 }, image_mean: [0.5], image_std: [0.5] }) };
    const out = preprocessImage({ data, width: W, height: H }, cfg);
    expect(out.dims).toEqual([1, 1, 3, 4]);
    const got = Array.from(out.data, (v) => Math.round(v * 255));
    const want: number[] = [];
    for (let y = 2; y < 5; y++) for (let x = 3; x < 7; x++) want.push(y * 16 + x);
    expect(got).toEqual(want);
    // A crop larger than the image pads with zeros around it (offset floor(−3 / 2) = −2 across, −1 down, as HF).
    const padded = preprocessImage(constantImage(2, 2, [255]), { ...cfg, cropSize: { height: 4, width: 5 } });
    expect(Array.from(padded.data)).toEqual([
      0, 0, 0, 0, 0,
      0, 0, 1, 1, 0,
      0, 0, 1, 1, 0,
      0, 0, 0, 0, 0,
    ]);
  });
});

describe('resize', () => {
  it('keeps a constant image constant (bicubic/bilinear/nearest, up and down, rounded or not)', () => {
    for (const resample of ['bicubic', 'bilinear', 'nearest'] as const) {
      for (const [w, h, ow, oh] of [[37, 23, 11, 7], [37, 23, 64, 50], [5, 9, 5, 20]]) {
        for (const round of [true, false]) {
          const out = resizePlane(new Float64Array(w * h).fill(137), w, h, ow, oh, resample, round);
          expect(out.length).toBe(ow * oh);
          expect(Math.max(...out.map((v) => Math.abs(v - 137)))).toBeLessThan(1e-9);
        }
      }
    }
    const cfg = parsePreprocessorConfig(CLIP_CONFIG);
    const out = preprocessImage(constantImage(320, 240, [10, 200, 77, 128]), cfg);
    expect(out.dims).toEqual([1, 3, 224, 224]);
    const plane = 224 * 224;
    [10, 200, 77].forEach((v, c) => {
      expect(new Set(out.data.subarray(c * plane, (c + 1) * plane))).toEqual(new Set([Math.fround(v / 255)]));
    });
  });

  it('antialiases when downscaling: bilinear 2× reduction weights are [1, 3, 3, 1] / 8', () => {
    const src = new Float64Array([0, 80, 16, 8, 40, 0, 240, 32]);
    const out = resizePlane(src, 8, 1, 4, 1, 'bilinear', false);
    const w = [1, 3, 3, 1].map((x) => x / 8);
    const at = (i: number): number => src[Math.min(7, Math.max(0, i))];
    // Edge taps outside the image are dropped and the rest renormalised.
    const want = [
      (w[1] * at(0) + w[2] * at(1) + w[3] * at(2)) / (w[1] + w[2] + w[3]),
      w[0] * at(1) + w[1] * at(2) + w[2] * at(3) + w[3] * at(4),
      w[0] * at(3) + w[1] * at(4) + w[2] * at(5) + w[3] * at(6),
      (w[0] * at(5) + w[1] * at(6) + w[2] * at(7)) / (w[0] + w[1] + w[2]),
    ];
    const r = validate(out, want, 1e-9, 0, 'bilinear 2x');
    expect(r.ok, r.message).toBe(true);
  });

  it('reproduces a linear ramp in the interior and stays within [0, 255] with bicubic overshoot', () => {
    const W = 64;
    const ramp = new Float64Array(W).map((_, i) => i * 4);
    const out = resizePlane(ramp, W, 1, 16, 1, 'bicubic', false);
    for (let i = 3; i < 13; i++) expect(out[i]).toBeCloseTo(((i + 0.5) * 4 - 0.5) * 4, 9);
    const step = new Float64Array(16).map((_, i) => (i < 8 ? 0 : 255));
    const up = resizePlane(step, 16, 1, 61, 1, 'bicubic', false);
    expect(Math.min(...up)).toBe(0);
    expect(Math.max(...up)).toBe(255);
    const rounded = resizePlane(step, 16, 1, 61, 1, 'bicubic', true);
    expect(rounded.every((v) => Number.isInteger(v))).toBe(true);
  });

  it('maps a landscape photo to a 224 × 224 crop of its middle', () => {
    // Left third red, middle third green, right third blue: the 224-wide crop of the 298-wide resize is mostly green.
    const W = 600, H = 450;
    const data = new Uint8Array(W * H * 4);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const o = (y * W + x) * 4;
        data[o + Math.min(2, Math.floor((3 * x) / W))] = 255;
        data[o + 3] = 255;
      }
    }
    const out = preprocessImage({ data, width: W, height: H }, parsePreprocessorConfig(CLIP_CONFIG));
    const P = 224 * 224;
    const at = (c: number, y: number, x: number): number => out.data[c * P + y * 224 + x];
    expect(at(1, 112, 112)).toBe(1);
    expect(at(0, 112, 0)).toBe(1); // the crop starts 37 px into the resize, inside the red third (0–99)
    expect(at(2, 112, 223)).toBe(1); // and ends inside the blue third (199–298)
    expect(out.data.every((v) => v >= 0 && v <= 1)).toBe(true);
  });
});

describe('channels', () => {
  const cfg = parsePreprocessorConfig({ ...CLIP_CONFIG, size: { shortest_edge: 8 }, crop_size: 8 });

  it('replicates grey (and grey + alpha) to 3 channels; drops alpha', () => {
    for (const px of [[90], [90, 3]]) {
      const out = preprocessImage(constantImage(12, 10, px), cfg);
      expect(out.dims).toEqual([1, 3, 8, 8]);
      for (const v of out.data) expect(v).toBe(Math.fround(90 / 255));
    }
  });

  it('keeps 1 channel for grey models; RGB becomes PIL-style luminance', () => {
    const grey = preprocessImage(constantImage(12, 10, [90]), cfg, { channels: 1 });
    expect(grey.dims).toEqual([1, 1, 8, 8]);
    const lum = preprocessImage(constantImage(12, 10, [200, 100, 50, 255]), cfg, { channels: 1 });
    const L = Math.round((200 * 299 + 100 * 587 + 50 * 114) / 1000);
    for (const v of lum.data) expect(v).toBe(Math.fround(L / 255));
    // Defaults to 1 channel when the config has a single mean.
    const oneChannelCfg = parsePreprocessorConfig({ size: 8, crop_size: 8, image_mean: [0.5], image_std: [0.25] });
    expect(preprocessImage(constantImage(9, 9, [1, 2, 3]), oneChannelCfg).dims).toEqual([1, 1, 8, 8]);
  });

  it('batches images of different sizes and rejects malformed image data', () => {
    const out = preprocessImages([constantImage(12, 10, [1, 2, 3]), constantImage(30, 40, [4])], cfg);
    expect(out.dims).toEqual([2, 3, 8, 8]);
    expect(out.data[3 * 64]).toBe(Math.fround(4 / 255));
    expect(() => preprocessImage({ data: new Uint8Array(10), width: 3, height: 3 }, cfg)).toThrow(/10 bytes/);
    expect(() => preprocessImages([constantImage(12, 10, [1]), constantImage(30, 40, [4])], { ...cfg, doCenterCrop: false }))
      .toThrow(/comes out/);
  });
});

describe('normalisation', () => {
  it('gives CLIP mean/std for [0, 1] pixels, folding in the rescale factor', () => {
    const cfg = parsePreprocessorConfig(CLIP_CONFIG);
    const k = normalizationConstants(cfg);
    for (let c = 0; c < 3; c++) {
      expect(k.mean[c]).toBeCloseTo(OPENAI_CLIP_MEAN[c], 12);
      expect(k.std[c]).toBeCloseTo(OPENAI_CLIP_STD[c], 12);
    }
    // Model trained on raw bytes normalised by mean 127.5, std 127.5 (no rescale): in [0, 1] terms 0.5 / 0.5.
    const raw = normalizationConstants(parsePreprocessorConfig({ do_rescale: false, image_mean: [127.5, 127.5, 127.5], image_std: [127.5, 127.5, 127.5] }));
    expect(raw.mean).toEqual([0.5, 0.5, 0.5]);
    expect(raw.std).toEqual([0.5, 0.5, 0.5]);
    expect(normalizationConstants({ ...cfg, doNormalize: false })).toEqual({ mean: [0, 0, 0], std: [1, 1, 1] });
    expect(normalizationConstants(parsePreprocessorConfig({ image_mean: 0.5, image_std: 0.25 }), 3)).toEqual({ mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] });
    expect(() => normalizationConstants(cfg, 1)).toThrow(/3 entries but the model takes 1/);
  });

  it('normalize matches (x·255·rescale − mean) / std computed the HF way', () => {
    const cfg = parsePreprocessorConfig(CLIP_CONFIG);
    const img = constantImage(16, 12, [0, 128, 255]);
    const px = preprocessImage(img, { ...cfg, size: { shortestEdge: 4 }, cropSize: { height: 4, width: 4 } });
    const out = normalize(px.data, px.dims, normalizationConstants(cfg));
    const want: number[] = [];
    [0, 128, 255].forEach((v, c) => {
      for (let i = 0; i < 16; i++) want.push((v * cfg.rescaleFactor - OPENAI_CLIP_MEAN[c]) / OPENAI_CLIP_STD[c]);
    });
    const r = validate(out, want, 1e-5, 1e-6, 'normalize');
    expect(r.ok, r.message).toBe(true);
    expect(() => normalize(px.data, [1, 3, 4], normalizationConstants(cfg))).toThrow(/NCHW/);
    expect(() => normalize(px.data, px.dims, { mean: [0], std: [1] })).toThrow(/1 channel/);
  });
});
