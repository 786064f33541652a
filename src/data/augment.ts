/**
 * Image-side augmentations (the image groups AoS aligns), CPU reference.
 *
 * Split in two so a GPU kernel can share the sampling: `sampleAugmentParams` draws, per image, an affine map and an
 * intensity jitter on the CPU (fixed number of draws per image, so streams stay aligned whatever is disabled);
 * `applyAugment` applies one image's parameters with nothing random in it, which a WGSL kernel mirrors:
 *
 *   params (8 × f32 per image, packed): [m00, m01, m10, m11, tx, ty, gain, bias]
 *   For output pixel (x, y) of an H×W image, in centred coordinates p = (x + ½ − W/2, y + ½ − H/2):
 *     q  = M·p + t                       (M = [[m00, m01], [m10, m11]], t = (tx, ty), centred source coordinates)
 *     sx = q.x + W/2 − ½,  sy = q.y + H/2 − ½   (source pixel coordinates; pixel centres at integers)
 *     v  = bilinear(image, sx, sy), each of the four taps 0 outside the image (black background)
 *     out = clamp(gain·v + bias, 0, 1)
 *   The same params apply to every channel. Identity: M = I, t = 0, gain = 1, bias = 0 reproduces the input exactly.
 *
 * Sampling, for an H×W image (the output always has the input's size):
 *   random resized crop  area fraction s ~ U[scale], aspect r = exp(U[ln ratio]); crop cw = W√(s·r), ch = H√(s/r),
 *                        each clamped to the image; crop centre offset uniform so the crop stays inside the image
 *   rotation             θ ~ U[−rotate, rotate] degrees;   flip: mirrored with probability ½ when `hflip`
 *   translation          (dx, dy) ~ U[−translate, translate] pixels
 *   M = diag(cw/W, ch/H) · R(θ) · diag(±1, 1),   t = crop centre + (dx, dy)
 *   jitter               contrast c ~ U[1 − contrast, 1 + contrast] about `contrastPivot`, brightness b ~ U[±brightness]:
 *                        gain = c, bias = pivot·(1 − c) + b
 */
import type { Rng } from '../util/random';

export interface AugmentConfig {
  /** Random-resized-crop area fraction range, e.g. [0.75, 1]; [1, 1] disables cropping. */
  scale: [number, number];
  /** Crop aspect-ratio range (sampled log-uniformly), e.g. [0.85, 1.18]. */
  ratio: [number, number];
  /** Maximum shift in pixels along each axis. */
  translate: number;
  /** Maximum rotation in degrees. */
  rotate: number;
  /** Mirror left–right with probability ½ (only where it preserves the class: clothes yes, digits no). */
  hflip: boolean;
  /** Maximum additive brightness change (images in [0, 1]). */
  brightness: number;
  /** Maximum relative contrast change. */
  contrast: number;
  /** Gray level that contrast changes keep fixed (default 0.5). */
  contrastPivot?: number;
}

/** Floats per image in the packed parameter array. */
export const AUGMENT_PARAM_FLOATS = 8;
/** Random draws consumed per image by `sampleAugmentParams` (always, whatever the config). */
export const AUGMENT_DRAWS = 10;

export interface AugmentParams {
  m00: number; m01: number; m10: number; m11: number;
  tx: number; ty: number;
  gain: number; bias: number;
}

/** Defaults for 28×28 images; `hflip` comes from the dataset (manifest `hflip`). */
export function defaultAugmentConfig(hflip: boolean): AugmentConfig {
  return { scale: [0.75, 1], ratio: [0.85, 1 / 0.85], translate: 2, rotate: 10, hflip, brightness: 0.1, contrast: 0.2 };
}

/** A config that samples the identity for every image. */
export const NO_AUGMENT: AugmentConfig = { scale: [1, 1], ratio: [1, 1], translate: 0, rotate: 0, hflip: false, brightness: 0, contrast: 0 };

export function identityParams(): AugmentParams {
  return { m00: 1, m01: 0, m10: 0, m11: 1, tx: 0, ty: 0, gain: 1, bias: 0 };
}

export function packParams(list: AugmentParams[]): Float32Array {
  const out = new Float32Array(list.length * AUGMENT_PARAM_FLOATS);
  list.forEach((p, i) => out.set([p.m00, p.m01, p.m10, p.m11, p.tx, p.ty, p.gain, p.bias], i * AUGMENT_PARAM_FLOATS));
  return out;
}

export function unpackParams(packed: ArrayLike<number>, index = 0): AugmentParams {
  const o = index * AUGMENT_PARAM_FLOATS;
  return { m00: packed[o], m01: packed[o + 1], m10: packed[o + 2], m11: packed[o + 3], tx: packed[o + 4], ty: packed[o + 5], gain: packed[o + 6], bias: packed[o + 7] };
}

/** Draws parameters for `n` images of H×W: packed Float32Array of n × AUGMENT_PARAM_FLOATS. */
export function sampleAugmentParams(rng: Rng, n: number, height: number, width: number, cfg: AugmentConfig): Float32Array {
  const out = new Float32Array(n * AUGMENT_PARAM_FLOATS);
  const u = (lo: number, hi: number, r: number) => lo + (hi - lo) * r;
  const pivot = cfg.contrastPivot ?? 0.5;
  for (let i = 0; i < n; i++) {
    // Fixed order and count of draws (AUGMENT_DRAWS).
    const r = Array.from({ length: AUGMENT_DRAWS }, () => rng.next());
    const s = u(cfg.scale[0], cfg.scale[1], r[0]);
    const aspect = Math.exp(u(Math.log(cfg.ratio[0]), Math.log(cfg.ratio[1]), r[1]));
    const cw = Math.min(width, width * Math.sqrt(s * aspect)), ch = Math.min(height, height * Math.sqrt(s / aspect));
    const cx = u(-(width - cw) / 2, (width - cw) / 2, r[2]), cy = u(-(height - ch) / 2, (height - ch) / 2, r[3]);
    const theta = (u(-cfg.rotate, cfg.rotate, r[4]) * Math.PI) / 180;
    const flip = cfg.hflip && r[5] < 0.5 ? -1 : 1;
    const dx = u(-cfg.translate, cfg.translate, r[6]), dy = u(-cfg.translate, cfg.translate, r[7]);
    const c = u(1 - cfg.contrast, 1 + cfg.contrast, r[8]);
    const b = u(-cfg.brightness, cfg.brightness, r[9]);
    const sxs = cw / width, sys = ch / height, cos = Math.cos(theta), sin = Math.sin(theta);
    // diag(sxs, sys) · [[cos, −sin], [sin, cos]] · diag(flip, 1)
    out.set([sxs * cos * flip, 0 - sxs * sin, sys * sin * flip, sys * cos, cx + dx, cy + dy, c, pivot * (1 - c) + b], i * AUGMENT_PARAM_FLOATS);
  }
  return out;
}

/**
 * Applies one image's parameters. `image` is [C, H, W] (or [H, W] with channels = 1) in [0, 1]; `params` holds at
 * least 8 floats from `offset` (default 0). Writes into `out` (allocated when absent) and returns it.
 */
export function applyAugment(
  params: ArrayLike<number>, image: Float32Array, height: number, width: number,
  out = new Float32Array(image.length), offset = 0,
): Float32Array {
  const m00 = params[offset], m01 = params[offset + 1], m10 = params[offset + 2], m11 = params[offset + 3];
  const tx = params[offset + 4], ty = params[offset + 5], gain = params[offset + 6], bias = params[offset + 7];
  const plane = height * width, channels = image.length / plane;
  for (let y = 0; y < height; y++) {
    const py = y + 0.5 - height / 2;
    for (let x = 0; x < width; x++) {
      const px = x + 0.5 - width / 2;
      const sx = m00 * px + m01 * py + tx + width / 2 - 0.5;
      const sy = m10 * px + m11 * py + ty + height / 2 - 0.5;
      const x0 = Math.floor(sx), y0 = Math.floor(sy), fx = sx - x0, fy = sy - y0;
      const in0x = x0 >= 0 && x0 < width, in1x = x0 + 1 >= 0 && x0 + 1 < width;
      const in0y = y0 >= 0 && y0 < height, in1y = y0 + 1 >= 0 && y0 + 1 < height;
      for (let c = 0; c < channels; c++) {
        const base = c * plane;
        const v00 = in0x && in0y ? image[base + y0 * width + x0] : 0;
        const v01 = in1x && in0y ? image[base + y0 * width + x0 + 1] : 0;
        const v10 = in0x && in1y ? image[base + (y0 + 1) * width + x0] : 0;
        const v11 = in1x && in1y ? image[base + (y0 + 1) * width + x0 + 1] : 0;
        const v = (1 - fy) * ((1 - fx) * v00 + fx * v01) + fy * ((1 - fx) * v10 + fx * v11);
        out[base + y * width + x] = Math.min(1, Math.max(0, gain * v + bias));
      }
    }
  }
  return out;
}

/**
 * Samples parameters and applies them to a batch shaped [N, H, W] or [N, C, H, W] (float, [0, 1]).
 * Deterministic for a given `rng` state. Returns the augmented batch and the packed parameters used.
 */
export function augmentBatch(images: Float32Array, shape: number[], cfg: AugmentConfig, rng: Rng): { images: Float32Array; params: Float32Array } {
  if (shape.length !== 3 && shape.length !== 4) throw new Error(`augmentBatch: shape [${shape.join(', ')}] is not [N,H,W] or [N,C,H,W]`);
  const [n, c, h, w] = shape.length === 3 ? [shape[0], 1, shape[1], shape[2]] : shape;
  const per = c * h * w;
  if (images.length !== n * per) throw new Error(`augmentBatch: ${images.length} values for shape [${shape.join(', ')}]`);
  const params = sampleAugmentParams(rng, n, h, w, cfg);
  const out = new Float32Array(images.length);
  for (let i = 0; i < n; i++) {
    applyAugment(params, images.subarray(i * per, (i + 1) * per), h, w, out.subarray(i * per, (i + 1) * per), i * AUGMENT_PARAM_FLOATS);
  }
  return { images: out, params };
}
