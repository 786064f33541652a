/**
 * Batches for fine-tuning, deterministic in (seed, step) — so a checkpoint (weights, moments, step, seed) is the
 * whole state and a resumed run replays the same batches:
 *   - images walk through per-epoch permutations of the split (Fisher–Yates from (seed, epoch));
 *   - every image has `views` views, image-major ([b0v0, b0v1, …, b1v0, …]): view 0 = the image with the base
 *     augmentation (light, or none), views 1…m = the image under the view augmentation (AoS's group; stronger);
 *   - pixels stay in [0, 1] (the towers normalise inside the graph).
 */
import type { ImageDataset } from '../data/bundle';
import { applyAugment, defaultAugmentConfig, NO_AUGMENT, sampleAugmentParams, type AugmentConfig } from '../data/augment';
import { lightAugment, mixSeed } from '../train/data';
import { Rng } from '../util/random';

export interface FineTuneBatch {
  /** Images in the batch (B). */
  images: number;
  /** Views per image (1 + m). */
  views: number;
  /** f32 [B · views, C, H, W] in [0, 1], image-major. */
  pixels: Float32Array;
  /** Class of each view [B · views]. */
  labels: Uint32Array;
  /** Class of each image [B]. */
  imageLabels: Uint32Array;
  /** Dataset indices [B]. */
  indices: Int32Array;
}

/** Where batches come from: the loop asks for the batch of a 1-based step. */
export interface BatchSource {
  readonly classes: readonly string[];
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  batch(step: number, images: number, views: number): FineTuneBatch;
}

export interface FineTuneDataOptions {
  seed: number;
  /** Base view augmentation: 'light' (the pretraining's), 'none', or a config. */
  augment?: 'light' | 'none' | AugmentConfig;
  /** Augmentation of views 1…m (default `defaultAugmentConfig(hflip)`). */
  viewAugment?: AugmentConfig;
  /** Whether a horizontal flip keeps the class (the manifest's `hflip`). */
  hflip: boolean;
  /** Use only the first `limit` images of the split. */
  limit?: number;
}

export class FineTuneData implements BatchSource {
  readonly size: number;
  readonly classes: readonly string[];
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  private readonly base: AugmentConfig;
  private readonly view: AugmentConfig;
  private permCache: { epoch: number; perm: Int32Array } | undefined;

  constructor(readonly data: ImageDataset, readonly options: FineTuneDataOptions) {
    this.size = Math.min(options.limit ?? data.count, data.count);
    if (this.size < 1) throw new RangeError('FineTuneData: no images');
    this.classes = data.classes;
    this.channels = data.channels;
    this.height = data.height;
    this.width = data.width;
    const a = options.augment ?? 'light';
    this.base = a === 'none' ? NO_AUGMENT : a === 'light' ? { ...lightAugment, hflip: options.hflip } : a;
    this.view = options.viewAugment ?? defaultAugmentConfig(options.hflip);
  }

  private permutation(epoch: number): Int32Array {
    if (this.permCache?.epoch === epoch) return this.permCache.perm;
    const perm = new Int32Array(this.size);
    for (let i = 0; i < this.size; i++) perm[i] = i;
    const rng = new Rng(mixSeed(this.options.seed, 0xf17e, epoch));
    for (let i = this.size - 1; i > 0; i--) {
      const j = rng.int(0, i + 1);
      const t = perm[i]; perm[i] = perm[j]; perm[j] = t;
    }
    this.permCache = { epoch, perm };
    return perm;
  }

  batch(step: number, images: number, views: number): FineTuneBatch {
    const per = this.channels * this.height * this.width, H = this.height, W = this.width;
    const pixels = new Float32Array(images * views * per);
    const labels = new Uint32Array(images * views), imageLabels = new Uint32Array(images), indices = new Int32Array(images);
    const rng = new Rng(mixSeed(this.options.seed, 0xa06, step));
    const img = new Float32Array(per);
    for (let b = 0; b < images; b++) {
      const g = (step - 1) * images + b;
      const idx = this.permutation(Math.floor(g / this.size))[g % this.size];
      indices[b] = idx;
      imageLabels[b] = this.data.labels[idx];
      const src = this.data.images.subarray(idx * per, (idx + 1) * per);
      for (let i = 0; i < per; i++) img[i] = src[i] / 255;
      for (let v = 0; v < views; v++) {
        // Always the same number of draws per view, whatever the configs.
        const params = sampleAugmentParams(rng, 1, H, W, v === 0 ? this.base : this.view);
        const at = (b * views + v) * per;
        applyAugment(params, img, H, W, pixels.subarray(at, at + per));
        labels[b * views + v] = imageLabels[b];
      }
    }
    return { images, views, pixels, labels, imageLabels, indices };
  }
}

/** The first `n` images of a split as [0, 1] pixels and labels (validation and evaluation batches). */
export function splitBatch(data: ImageDataset, start: number, n: number): { pixels: Float32Array; labels: Uint32Array } {
  const per = data.channels * data.height * data.width;
  const count = Math.min(n, data.count - start);
  const pixels = new Float32Array(count * per), labels = new Uint32Array(count);
  for (let i = 0; i < count * per; i++) pixels[i] = data.images[start * per + i] / 255;
  for (let i = 0; i < count; i++) labels[i] = data.labels[start + i];
  return { pixels, labels };
}
