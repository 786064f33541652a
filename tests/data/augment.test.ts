import { describe, expect, it } from 'vitest';
import {
  AUGMENT_PARAM_FLOATS, NO_AUGMENT, applyAugment, augmentBatch, defaultAugmentConfig, identityParams, packParams,
  sampleAugmentParams, unpackParams,
} from '../../src/data/augment';
import { Rng, freshSeed } from '../../src/util/random';

const seed = freshSeed();
console.log(`augment tests: AOS_SEED=${seed}`);

/** Bitwise equality of float arrays (vitest's deep equality is slow on large typed arrays). */
function same(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
}

function batch(n: number, h: number, w: number, s = seed): Float32Array {
  return new Rng(s).uniform(n * h * w, 0, 1);
}

describe('augmentations', () => {
  const N = 16, H = 28, W = 28;
  const imgs = batch(N, H, W);

  it('are deterministic for a seed and differ across seeds', () => {
    const cfg = defaultAugmentConfig(true);
    const a = augmentBatch(imgs, [N, H, W], cfg, new Rng(seed));
    const b = augmentBatch(imgs, [N, H, W], cfg, new Rng(seed));
    const c = augmentBatch(imgs, [N, H, W], cfg, new Rng(seed + 1));
    expect(same(a.images, b.images)).toBe(true);
    expect(same(a.params, b.params)).toBe(true);
    expect(same(a.images, c.images)).toBe(false);
    expect(same(a.params, c.params)).toBe(false);
    expect(same(a.images, imgs)).toBe(false);
    // The 4-D layout [N, 1, H, W] gives the same result.
    expect(same(augmentBatch(imgs, [N, 1, H, W], cfg, new Rng(seed)).images, a.images)).toBe(true);
  });

  it('stay in [0, 1], even with strong jitter', () => {
    const cfg = { ...defaultAugmentConfig(true), brightness: 0.6, contrast: 0.9, rotate: 45 };
    const { images } = augmentBatch(imgs, [N, H, W], cfg, new Rng(seed));
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < images.length; i++) { lo = Math.min(lo, images[i]); hi = Math.max(hi, images[i]); }
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThanOrEqual(1);
    expect(hi - lo).toBeGreaterThan(0.5);
  });

  it('identity params give the identity, and NO_AUGMENT samples the identity', () => {
    const img = imgs.subarray(0, H * W);
    expect(same(applyAugment(packParams([identityParams()]), img, H, W), img)).toBe(true);
    const { images, params } = augmentBatch(imgs, [N, 1, H, W], NO_AUGMENT, new Rng(seed));
    expect(same(images, imgs)).toBe(true);
    for (let i = 0; i < N; i++) expect(unpackParams(params, i)).toEqual(identityParams());
    // Multi-channel: the same params apply to every channel.
    const rgb = batch(1, 3 * 5, 7);
    expect(same(applyAugment(packParams([identityParams()]), rgb, 5, 7), rgb)).toBe(true);
  });

  it('applies known transforms exactly: flip, integer shift, gain/bias', () => {
    const h = 4, w = 5;
    const img = Float32Array.from({ length: h * w }, (_, i) => i / (h * w));
    const at = (a: Float32Array, y: number, x: number) => a[y * w + x];
    const flip = applyAugment(packParams([{ ...identityParams(), m00: -1 }]), img, h, w);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) expect(at(flip, y, x)).toBe(at(img, y, w - 1 - x));
    // t = (1, 0): output (x, y) samples source (x + 1, y); the last column falls outside → 0.
    const shift = applyAugment(packParams([{ ...identityParams(), tx: 1 }]), img, h, w);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w - 1; x++) expect(at(shift, y, x)).toBe(at(img, y, x + 1));
      expect(at(shift, y, w - 1)).toBe(0);
    }
    // Half-pixel shift: the bilinear average of neighbours.
    const half = applyAugment(packParams([{ ...identityParams(), ty: 0.5 }]), img, h, w);
    expect(at(half, 1, 2)).toBeCloseTo((at(img, 1, 2) + at(img, 2, 2)) / 2, 6);
    const jit = applyAugment(packParams([{ ...identityParams(), gain: 0.5, bias: 0.25 }]), img, h, w);
    jit.forEach((v, i) => expect(v).toBeCloseTo(0.5 * img[i] + 0.25, 6));
  });

  it('flips only when the dataset allows it; parameters stay in their ranges', () => {
    const cfg = defaultAugmentConfig(false);
    const p = sampleAugmentParams(new Rng(seed), 200, H, W, cfg);
    const p2 = sampleAugmentParams(new Rng(seed), 200, H, W, { ...cfg, hflip: true });
    let flips = 0;
    for (let i = 0; i < 200; i++) {
      const a = unpackParams(p, i), b = unpackParams(p2, i);
      const det = a.m00 * a.m11 - a.m01 * a.m10;
      expect(det).toBeGreaterThan(0); // no mirror for digits
      expect(det).toBeGreaterThanOrEqual(0.74 * 0.999); // crop area fraction ≥ 0.75 (area scales by det)
      expect(det).toBeLessThanOrEqual(1.0001);
      expect(a.gain).toBeGreaterThanOrEqual(0.8 - 1e-6);
      expect(a.gain).toBeLessThanOrEqual(1.2 + 1e-6);
      if (b.m00 * b.m11 - b.m01 * b.m10 < 0) flips++;
    }
    expect(flips).toBeGreaterThan(60);
    expect(flips).toBeLessThan(140);
    expect(p.length).toBe(200 * AUGMENT_PARAM_FLOATS);
  });
});
