/**
 * CLIP image preprocessing from a transformers-style `preprocessor_config.json`, on the CPU.
 *
 * uint8 image (grey, grey+alpha, RGB or RGBA, interleaved) → channel conversion → shortest-edge resize → centre
 * crop → float pixels in [0, 1], NCHW. That [0, 1] tensor is the attack space: perturbations and projections act on
 * it. Normalisation `(x − mean) / std` is deliberately NOT applied here, so that it can sit inside the
 * differentiated graph; `normalizationConstants(config)` gives mean/std expressed for [0, 1] pixels (rescale
 * factor folded in) and `normalize` is the plain CPU reference.
 *
 * Resampling follows PIL's `Image.resize`, which Hugging Face's CLIPImageProcessor uses: a separable filter,
 * horizontal pass then vertical pass, each output sample a normalised weighted sum of input pixels, with the
 * filter stretched by the scale factor when downscaling (antialiasing). Bicubic uses Keys' cubic with a = −0.5 and
 * support 2, bilinear the triangle with support 1, nearest picks the pixel under the output pixel's centre.
 * Differences from PIL, all within ±1 grey level per pass:
 *  - weights are float64 here; PIL rounds them to 22-bit fixed point, so a value landing within ~1e-6 of a .5
 *    boundary may round the other way;
 *  - with `round: false` the uint8 rounding after each pass (which PIL does, storing an 8-bit intermediate image)
 *    is skipped, giving the unquantised result instead. Both modes clamp to [0, 255] (bicubic overshoots).
 *  - RGB → one channel uses PIL's "L" weights (299, 587, 114)/1000, in float64 then rounded.
 * Alpha is dropped without compositing, as PIL's `convert("RGB")` does.
 */

/** Thrown for an unusable preprocessor_config.json; the message names the field and the problem. */
export class PreprocessorConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PreprocessorConfigError';
  }
}

export type Resample = 'nearest' | 'bilinear' | 'bicubic';

export type ResizeSize = { shortestEdge: number } | { height: number; width: number };

export interface ClipPreprocessorConfig {
  doResize: boolean;
  size: ResizeSize;
  resample: Resample;
  doCenterCrop: boolean;
  cropSize: { height: number; width: number };
  doRescale: boolean;
  rescaleFactor: number;
  doNormalize: boolean;
  imageMean: number[];
  imageStd: number[];
  doConvertRgb: boolean;
}

/** OpenAI CLIP's normalisation, the CLIPImageProcessor default. */
export const OPENAI_CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073];
export const OPENAI_CLIP_STD = [0.26862954, 0.26130258, 0.27577711];

type Json = Record<string, unknown>;
const isObject = (x: unknown): x is Json => typeof x === 'object' && x !== null && !Array.isArray(x);
const isPosInt = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x > 0;
/** Largest resize / crop edge accepted: a crafted one would allocate edge² × 3 floats per image. */
export const MAX_PREPROCESS_EDGE = 2048;
const isEdge = (x: unknown): x is number => isPosInt(x) && x <= MAX_PREPROCESS_EDGE;

/** PIL resampling filter enum → ours. */
const PIL_RESAMPLE: Record<number, Resample | string> = {
  0: 'nearest', 1: 'LANCZOS', 2: 'bilinear', 3: 'bicubic', 4: 'BOX', 5: 'HAMMING',
};

/**
 * Parse and validate a preprocessor_config.json (text or parsed). Missing fields take CLIPImageProcessor's
 * defaults (resize shortest edge 224 bicubic, centre crop 224, rescale 1/255, OpenAI mean/std, convert to RGB);
 * present fields of the wrong type or value are errors.
 */
export function parsePreprocessorConfig(json: string | unknown): ClipPreprocessorConfig {
  let c: unknown = json;
  if (typeof json === 'string') {
    try {
      c = JSON.parse(json);
    } catch (e) {
      throw new PreprocessorConfigError(`preprocessor_config.json is not valid JSON: ${(e as Error).message}`);
    }
  }
  if (!isObject(c)) throw new PreprocessorConfigError('preprocessor_config.json must be a JSON object');
  const cfg = c;

  const bool = (key: string, dflt: boolean): boolean => {
    const v = cfg[key];
    if (v === undefined || v === null) return dflt;
    if (typeof v !== 'boolean') throw new PreprocessorConfigError(`"${key}" must be true or false, got ${JSON.stringify(v)}`);
    return v;
  };

  let size: ResizeSize = { shortestEdge: 224 };
  const s = cfg.size;
  if (s !== undefined && s !== null) {
    if (isEdge(s)) {
      size = { shortestEdge: s };
    } else if (isObject(s) && s.shortest_edge !== undefined) {
      if (!isEdge(s.shortest_edge)) throw new PreprocessorConfigError(`"size.shortest_edge" must be an integer in 1…${MAX_PREPROCESS_EDGE}, got ${JSON.stringify(s.shortest_edge)}`);
      if (s.longest_edge !== undefined && s.longest_edge !== null) throw new PreprocessorConfigError('"size.longest_edge" is not supported (CLIP resizes the shortest edge only)');
      size = { shortestEdge: s.shortest_edge };
    } else if (isObject(s) && (s.height !== undefined || s.width !== undefined)) {
      if (!isEdge(s.height) || !isEdge(s.width)) throw new PreprocessorConfigError(`"size" {height, width} needs two integers in 1…${MAX_PREPROCESS_EDGE}, got ${JSON.stringify(s)}`);
      size = { height: s.height, width: s.width };
    } else {
      throw new PreprocessorConfigError(`"size" must be an integer in 1…${MAX_PREPROCESS_EDGE}, {"shortest_edge": n} or {"height": h, "width": w}; got ${JSON.stringify(s)}`);
    }
  }

  let cropSize = { height: 224, width: 224 };
  const cs = cfg.crop_size;
  if (cs !== undefined && cs !== null) {
    if (isEdge(cs)) cropSize = { height: cs, width: cs };
    else if (isObject(cs) && isEdge(cs.height) && isEdge(cs.width)) cropSize = { height: cs.height, width: cs.width };
    else throw new PreprocessorConfigError(`"crop_size" must be an integer in 1…${MAX_PREPROCESS_EDGE} or {"height": h, "width": w} with such integers; got ${JSON.stringify(cs)}`);
  }

  let resample: Resample = 'bicubic';
  const r = cfg.resample;
  if (r !== undefined && r !== null) {
    const name = typeof r === 'number' ? PIL_RESAMPLE[r] : undefined;
    if (name === 'nearest' || name === 'bilinear' || name === 'bicubic') resample = name;
    else if (name !== undefined) throw new PreprocessorConfigError(`"resample" ${r} (${name}) is not supported; use 3 (bicubic), 2 (bilinear) or 0 (nearest)`);
    else throw new PreprocessorConfigError(`"resample" must be a PIL filter number (3 = bicubic, 2 = bilinear, 0 = nearest), got ${JSON.stringify(r)}`);
  }

  const vec = (key: string, dflt: number[]): number[] => {
    const v = cfg[key];
    if (v === undefined || v === null) return dflt.slice();
    const arr = typeof v === 'number' ? [v] : v;
    if (!Array.isArray(arr) || arr.length === 0 || !arr.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      throw new PreprocessorConfigError(`"${key}" must be a number or a non-empty array of finite numbers, got ${JSON.stringify(v)}`);
    }
    return arr as number[];
  };
  const imageMean = vec('image_mean', OPENAI_CLIP_MEAN);
  const imageStd = vec('image_std', OPENAI_CLIP_STD);
  if (imageMean.length !== imageStd.length) {
    throw new PreprocessorConfigError(`"image_mean" has ${imageMean.length} entries but "image_std" has ${imageStd.length}`);
  }
  if (imageStd.some((x) => !(x > 0))) throw new PreprocessorConfigError(`"image_std" entries must be > 0, got ${JSON.stringify(imageStd)}`);

  let rescaleFactor = 1 / 255;
  if (cfg.rescale_factor !== undefined && cfg.rescale_factor !== null) {
    const f = cfg.rescale_factor;
    if (typeof f !== 'number' || !Number.isFinite(f) || f <= 0) throw new PreprocessorConfigError(`"rescale_factor" must be a positive number, got ${JSON.stringify(f)}`);
    rescaleFactor = f;
  }

  return {
    doResize: bool('do_resize', true),
    size,
    resample,
    doCenterCrop: bool('do_center_crop', true),
    cropSize,
    doRescale: bool('do_rescale', true),
    rescaleFactor,
    doNormalize: bool('do_normalize', true),
    imageMean,
    imageStd,
    doConvertRgb: bool('do_convert_rgb', true),
  };
}

/** Size after resizing the shortest edge to `shortest`, as transformers computes it: the long edge is
 * `int(shortest * long / short)` (truncated). */
export function shortestEdgeSize(width: number, height: number, shortest: number): { width: number; height: number } {
  if (width <= height) return { width: shortest, height: Math.trunc((shortest * height) / width) };
  return { width: Math.trunc((shortest * width) / height), height: shortest };
}

/** Output size of the resize step for an image (the input size when `doResize` is off). */
export function resizedSize(width: number, height: number, config: ClipPreprocessorConfig): { width: number; height: number } {
  if (!config.doResize) return { width, height };
  const s = config.size;
  return 'shortestEdge' in s ? shortestEdgeSize(width, height, s.shortestEdge) : { width: s.width, height: s.height };
}

/** Top-left corner of a centred crop, `floor((size − crop) / 2)`; negative when the crop is larger (zero padding). */
export function centerCropOffset(width: number, height: number, cropWidth: number, cropHeight: number): { left: number; top: number } {
  return { left: Math.floor((width - cropWidth) / 2), top: Math.floor((height - cropHeight) / 2) };
}

/** Final spatial size of a preprocessed image. */
export function outputSize(width: number, height: number, config: ClipPreprocessorConfig): { width: number; height: number } {
  if (config.doCenterCrop) return { width: config.cropSize.width, height: config.cropSize.height };
  return resizedSize(width, height, config);
}

const cubic = (x: number): number => {
  const a = -0.5;
  const t = Math.abs(x);
  if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
  return 0;
};
const triangle = (x: number): number => Math.max(0, 1 - Math.abs(x));

interface Taps { start: Int32Array; count: Int32Array; weights: Float64Array; stride: number }

/** Per output sample: the first input index, how many inputs, and their normalised weights. */
function resampleTaps(inSize: number, outSize: number, resample: Resample): Taps {
  const scale = inSize / outSize;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  if (resample === 'nearest') {
    const weights = new Float64Array(outSize).fill(1);
    for (let i = 0; i < outSize; i++) {
      start[i] = Math.min(inSize - 1, Math.floor((i + 0.5) * scale));
      count[i] = 1;
    }
    return { start, count, weights, stride: 1 };
  }
  const kernel = resample === 'bicubic' ? cubic : triangle;
  const support = resample === 'bicubic' ? 2 : 1;
  const stretch = Math.max(scale, 1); // widen the filter when downscaling: antialiasing
  const radius = support * stretch;
  const stride = Math.ceil(radius) * 2 + 1;
  const weights = new Float64Array(outSize * stride);
  for (let i = 0; i < outSize; i++) {
    const center = (i + 0.5) * scale;
    const lo = Math.max(0, Math.floor(center - radius + 0.5));
    const hi = Math.min(inSize, Math.floor(center + radius + 0.5));
    let sum = 0;
    for (let j = lo; j < hi; j++) {
      const w = kernel((j + 0.5 - center) / stretch);
      weights[i * stride + j - lo] = w;
      sum += w;
    }
    if (sum !== 0) for (let j = lo; j < hi; j++) weights[i * stride + j - lo] /= sum;
    start[i] = lo;
    count[i] = hi - lo;
  }
  return { start, count, weights, stride };
}

const finish = (v: number, round: boolean): number => {
  const c = v < 0 ? 0 : v > 255 ? 255 : v;
  return round ? Math.round(c) : c;
};

/**
 * Resize one channel plane (row-major, values 0–255) to outWidth × outHeight: horizontal pass, then vertical,
 * clamping to [0, 255] and (with `round`) rounding to integers after each pass, like PIL.
 */
export function resizePlane(src: Float64Array, width: number, height: number, outWidth: number, outHeight: number,
  resample: Resample, round = true): Float64Array {
  let cur = src;
  let w = width;
  if (outWidth !== width) {
    const taps = resampleTaps(width, outWidth, resample);
    const next = new Float64Array(outWidth * height);
    for (let y = 0; y < height; y++) {
      const row = y * width;
      for (let x = 0; x < outWidth; x++) {
        const s = taps.start[x], n = taps.count[x], o = x * taps.stride;
        let acc = 0;
        for (let k = 0; k < n; k++) acc += taps.weights[o + k] * cur[row + s + k];
        next[y * outWidth + x] = finish(acc, round);
      }
    }
    cur = next;
    w = outWidth;
  }
  if (outHeight !== height) {
    const taps = resampleTaps(height, outHeight, resample);
    const next = new Float64Array(w * outHeight);
    for (let y = 0; y < outHeight; y++) {
      const s = taps.start[y], n = taps.count[y], o = y * taps.stride;
      for (let x = 0; x < w; x++) {
        let acc = 0;
        for (let k = 0; k < n; k++) acc += taps.weights[o + k] * cur[(s + k) * w + x];
        next[y * w + x] = finish(acc, round);
      }
    }
    cur = next;
  }
  return cur === src ? src.slice() : cur;
}

/** An interleaved 8-bit image. `channels` defaults to data.length / (width × height) (ImageData: 4). */
export interface ImageU8 {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
  channels?: 1 | 2 | 3 | 4;
}

export interface PreprocessOptions {
  /** Output channels: 3 for RGB models (grey is replicated), 1 for our own grey models (RGB → PIL "L").
   * Default: 1 when the config's image_mean has one entry, else 3. */
  channels?: 1 | 3;
  /** Round to uint8 after each resize pass like PIL (default true). */
  round?: boolean;
}

export interface PixelTensor {
  /** NCHW float32 in [0, 1]. */
  data: Float32Array;
  dims: [number, number, number, number];
}

function imageChannels(img: ImageU8): 1 | 2 | 3 | 4 {
  if (!isPosInt(img.width) || !isPosInt(img.height)) {
    throw new RangeError(`image width and height must be positive integers, got ${img.width}×${img.height}`);
  }
  const px = img.width * img.height;
  const c = img.channels ?? img.data.length / px;
  if (c !== 1 && c !== 2 && c !== 3 && c !== 4) {
    throw new RangeError(`image data has ${img.data.length} bytes for ${img.width}×${img.height} pixels: expected 1, 2, 3 or 4 channels`);
  }
  if (img.data.length !== px * c) {
    throw new RangeError(`image data has ${img.data.length} bytes, expected ${px * c} for ${img.width}×${img.height}×${c}`);
  }
  return c;
}

/** Source planes (0–255) in the output colour space, before resizing. Grey → 3 channels is done after resizing. */
function colourPlanes(img: ImageU8, outChannels: 1 | 3, round: boolean): Float64Array[] {
  const c = imageChannels(img);
  const px = img.width * img.height;
  const grey = c <= 2;
  const plane = (k: number): Float64Array => {
    const p = new Float64Array(px);
    for (let i = 0; i < px; i++) p[i] = img.data[i * c + k];
    return p;
  };
  if (grey) return [plane(0)];
  if (outChannels === 3) return [plane(0), plane(1), plane(2)];
  const L = new Float64Array(px);
  for (let i = 0; i < px; i++) {
    const v = (img.data[i * c] * 299 + img.data[i * c + 1] * 587 + img.data[i * c + 2] * 114) / 1000;
    L[i] = round ? Math.round(v) : v;
  }
  return [L];
}

function defaultChannels(config: ClipPreprocessorConfig): 1 | 3 {
  return config.imageMean.length === 1 ? 1 : 3;
}

/** Preprocess one image into `out` (C × H × W floats in [0, 1]) starting at `offset`. */
function preprocessInto(img: ImageU8, config: ClipPreprocessorConfig, channels: 1 | 3, round: boolean,
  out: Float32Array, offset: number, outW: number, outH: number): void {
  const planes = colourPlanes(img, channels, round);
  const { width: rw, height: rh } = resizedSize(img.width, img.height, config);
  const resized = planes.map((p) => resizePlane(p, img.width, img.height, rw, rh, config.resample, round));
  const { left, top } = config.doCenterCrop ? centerCropOffset(rw, rh, outW, outH) : { left: 0, top: 0 };
  for (let ch = 0; ch < channels; ch++) {
    const p = resized[Math.min(ch, resized.length - 1)];
    const base = offset + ch * outW * outH;
    for (let y = 0; y < outH; y++) {
      const sy = y + top;
      for (let x = 0; x < outW; x++) {
        const sx = x + left;
        const inside = sy >= 0 && sy < rh && sx >= 0 && sx < rw;
        out[base + y * outW + x] = inside ? p[sy * rw + sx] / 255 : 0;
      }
    }
  }
}

/** One image → [1, C, H, W] pixels in [0, 1]. */
export function preprocessImage(img: ImageU8, config: ClipPreprocessorConfig, options: PreprocessOptions = {}): PixelTensor {
  return preprocessImages([img], config, options);
}

/** Images → [N, C, H, W] pixels in [0, 1]. All must come out the same size (always so with centre cropping). */
export function preprocessImages(imgs: readonly ImageU8[], config: ClipPreprocessorConfig, options: PreprocessOptions = {}): PixelTensor {
  const channels = options.channels ?? defaultChannels(config);
  if (channels !== 1 && channels !== 3) throw new RangeError(`channels must be 1 or 3, got ${channels}`);
  const round = options.round ?? true;
  if (imgs.length === 0) throw new RangeError('no images to preprocess');
  const sizes = imgs.map((im) => outputSize(im.width, im.height, config));
  const { width: W, height: H } = sizes[0];
  sizes.forEach((s, i) => {
    if (s.width !== W || s.height !== H) {
      throw new RangeError(`image ${i} comes out ${s.width}×${s.height} but image 0 comes out ${W}×${H}; enable centre cropping or batch images of one size`);
    }
  });
  const data = new Float32Array(imgs.length * channels * H * W);
  imgs.forEach((im, i) => preprocessInto(im, config, channels, round, data, i * channels * H * W, W, H));
  return { data, dims: [imgs.length, channels, H, W] };
}

export interface NormalizationConstants {
  /** Per channel, for pixels x in [0, 1]: model input = (x − mean[c]) / std[c]. */
  mean: number[];
  std: number[];
}

/**
 * Mean and std to apply to [0, 1] pixels so that the result equals what the model was trained on. The config's
 * image_mean / image_std act on `byte × rescale_factor` (or on the raw byte when do_rescale is false); with
 * s = 255 × rescale_factor that is (x·s − m) / σ = (x − m/s) / (σ/s). For the usual rescale_factor 1/255, s = 1.
 * With do_normalize off the mean is 0 and std 1/s. A single-entry mean/std is broadcast to every channel.
 */
export function normalizationConstants(config: ClipPreprocessorConfig, channels: 1 | 3 = defaultChannels(config)): NormalizationConstants {
  const s = config.doRescale ? 255 * config.rescaleFactor : 255;
  if (!config.doNormalize) return { mean: new Array<number>(channels).fill(0), std: new Array<number>(channels).fill(1 / s) };
  const { imageMean: m, imageStd: sd } = config;
  if (m.length !== 1 && m.length !== channels) {
    throw new PreprocessorConfigError(`"image_mean"/"image_std" have ${m.length} entries but the model takes ${channels} channel(s)`);
  }
  const pick = (v: number[], c: number): number => (v.length === 1 ? v[0] : v[c]);
  return {
    mean: Array.from({ length: channels }, (_, c) => pick(m, c) / s),
    std: Array.from({ length: channels }, (_, c) => pick(sd, c) / s),
  };
}

/** CPU reference of the normalisation: NCHW pixels → (x − mean[c]) / std[c], float64 arithmetic. */
export function normalize(pixels: Float32Array, dims: readonly number[], constants: NormalizationConstants): Float32Array {
  if (dims.length !== 4) throw new RangeError(`normalize expects NCHW dims, got [${dims.join(', ')}]`);
  const [N, C, H, W] = dims;
  if (pixels.length !== N * C * H * W) throw new RangeError(`pixels have ${pixels.length} values, dims say ${N * C * H * W}`);
  if (constants.mean.length !== C || constants.std.length !== C) {
    throw new RangeError(`normalisation constants are for ${constants.mean.length} channel(s), pixels have ${C}`);
  }
  const out = new Float32Array(pixels.length);
  const plane = H * W;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const m = constants.mean[c], s = constants.std[c];
      const base = (n * C + c) * plane;
      for (let i = 0; i < plane; i++) out[base + i] = (pixels[base + i] - m) / s;
    }
  }
  return out;
}
