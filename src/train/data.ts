/**
 * Training data for contrastive pretraining: several labelled image datasets (the bundled 28×28 ones) merged into
 * one pool with global class ids, each image paired with a random caption (template × synonym of its class, from
 * src/data/prompts.ts), light augmentation. Everything random is derived from (seed, step), so the batch of a step
 * never depends on how the run got there: resuming from a checkpoint replays exactly the same batches.
 */
import type { ImageDataset } from '../data/bundle';
import { applyAugment, sampleAugmentParams, AUGMENT_PARAM_FLOATS, type AugmentConfig } from '../data/augment';
import { promptGroups } from '../data/prompts';
import { ClipTokenizer } from '../text/tokenizer';
import { Rng, hashU32 } from '../util/random';

export interface TrainDataset {
  /** Dataset id, e.g. 'fashion-mnist'. */
  id: string;
  data: ImageDataset;
  /** Whether a horizontal flip keeps the class. */
  hflip: boolean;
}

export interface PretrainDataOptions {
  seed: number;
  /** Augmentation (hflip is taken per dataset); undefined: `lightAugment`. `null`: none. */
  augment?: Omit<AugmentConfig, 'hflip'> | null;
  /** Pixel normalisation (the preprocessor's): (x − mean) / std, x in [0, 1]. */
  mean?: number;
  std?: number;
}

/** Light augmentation for 28×28 images. */
export const lightAugment: Omit<AugmentConfig, 'hflip'> = { scale: [0.8, 1], ratio: [0.9, 1 / 0.9], translate: 1.5, rotate: 8, brightness: 0.05, contrast: 0.1 };

/** Every prompt a class can be captioned with (templates × synonyms), per dataset class list. */
export function captionTexts(classes: readonly string[]): string[][] {
  return promptGroups(classes);
}

export interface Batch {
  pixels: Float32Array;
  ids: BigInt64Array;
  /** Global class ids. */
  classes: Int32Array;
  /** Pool indices of the images. */
  indices: Int32Array;
}

/** Mixes per-step seeds. */
export function mixSeed(...parts: number[]): number {
  let h = 0x2545f491;
  for (const p of parts) h = hashU32((h ^ (p >>> 0)) >>> 0);
  return h;
}

export class PretrainData {
  readonly size: number;
  readonly numClasses: number;
  readonly classNames: string[];
  /** First global class id of each dataset. */
  readonly classOffsets: number[];
  readonly contextLength: number;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  private readonly owner: Int32Array;
  private readonly local: Int32Array;
  /** Per global class: tokenised captions [n, T]. */
  private readonly captions: BigInt64Array[] = [];
  private readonly captionCounts: number[] = [];
  private permCache: { epoch: number; perm: Int32Array } | undefined;

  constructor(readonly datasets: TrainDataset[], tokenizerJson: string | unknown, readonly options: PretrainDataOptions) {
    if (!datasets.length) throw new RangeError('PretrainData: no datasets');
    const d0 = datasets[0].data;
    this.channels = d0.channels;
    this.height = d0.height;
    this.width = d0.width;
    for (const d of datasets) {
      if (d.data.channels !== this.channels || d.data.height !== this.height || d.data.width !== this.width) {
        throw new RangeError(`PretrainData: ${d.id} images are ${d.data.channels}×${d.data.height}×${d.data.width}, the first dataset's ${this.channels}×${this.height}×${this.width}`);
      }
    }
    this.size = datasets.reduce((a, d) => a + d.data.count, 0);
    this.owner = new Int32Array(this.size);
    this.local = new Int32Array(this.size);
    let k = 0;
    datasets.forEach((d, di) => {
      for (let i = 0; i < d.data.count; i++, k++) {
        this.owner[k] = di;
        this.local[k] = i;
      }
    });
    const tok = ClipTokenizer.fromJSON(tokenizerJson);
    this.contextLength = tok.contextLength;
    this.classOffsets = [];
    this.classNames = [];
    for (const d of datasets) {
      this.classOffsets.push(this.classNames.length);
      const groups = captionTexts(d.data.classes);
      for (let c = 0; c < d.data.classes.length; c++) {
        this.classNames.push(`${d.id}:${d.data.classes[c]}`);
        const t = tok.tokenize(groups[c]);
        if (t.truncated.some(Boolean)) throw new RangeError(`PretrainData: a caption of ${d.id}/${d.data.classes[c]} does not fit ${t.contextLength} tokens`);
        this.captions.push(t.inputIds);
        this.captionCounts.push(groups[c].length);
      }
    }
    this.numClasses = this.classNames.length;
  }

  /** Epoch permutation of the pool (Fisher–Yates from (seed, epoch)). */
  private permutation(epoch: number): Int32Array {
    if (this.permCache?.epoch === epoch) return this.permCache.perm;
    const perm = new Int32Array(this.size);
    for (let i = 0; i < this.size; i++) perm[i] = i;
    const rng = new Rng(mixSeed(this.options.seed, 0x5eed, epoch));
    for (let i = this.size - 1; i > 0; i--) {
      const j = rng.int(0, i + 1);
      const t = perm[i]; perm[i] = perm[j]; perm[j] = t;
    }
    this.permCache = { epoch, perm };
    return perm;
  }

  /** The batch of 1-based step `step` (batches walk through epoch permutations; a batch may straddle two). */
  batch(step: number, B: number): Batch {
    const C = this.channels, H = this.height, W = this.width, T = this.contextLength, per = C * H * W;
    const mean = this.options.mean ?? 0.5, std = this.options.std ?? 0.5;
    const pixels = new Float32Array(B * per), ids = new BigInt64Array(B * T);
    const classes = new Int32Array(B), indices = new Int32Array(B);
    const rng = new Rng(mixSeed(this.options.seed, 0xba7c, step));
    const img = new Float32Array(per), out = new Float32Array(per);
    const aug = this.options.augment === undefined ? lightAugment : this.options.augment;
    for (let b = 0; b < B; b++) {
      const g = (step - 1) * B + b;
      const idx = this.permutation(Math.floor(g / this.size))[g % this.size];
      indices[b] = idx;
      const di = this.owner[idx], li = this.local[idx], d = this.datasets[di];
      const cls = this.classOffsets[di] + d.data.labels[li];
      classes[b] = cls;
      const src = d.data.images.subarray(li * per, (li + 1) * per);
      for (let i = 0; i < per; i++) img[i] = src[i] / 255;
      // Fixed number of draws per image whatever the config: augmentation params, then the caption.
      const params = sampleAugmentParams(rng, 1, H, W, aug ? { ...aug, hflip: d.hflip } : { scale: [1, 1], ratio: [1, 1], translate: 0, rotate: 0, hflip: false, brightness: 0, contrast: 0 });
      const x = aug ? applyAugment(params.subarray(0, AUGMENT_PARAM_FLOATS), img, H, W, out) : img;
      for (let i = 0; i < per; i++) pixels[b * per + i] = (x[i] - mean) / std;
      const cap = rng.int(0, this.captionCounts[cls]);
      ids.set(this.captions[cls].subarray(cap * T, (cap + 1) * T), b * T);
    }
    return { pixels, ids, classes, indices };
  }
}

/** Normalised pixels of images [start, start + n) of a dataset (no augmentation). */
export function datasetPixels(d: ImageDataset, start: number, n: number, mean = 0.5, std = 0.5): Float32Array {
  const per = d.channels * d.height * d.width;
  const src = d.images.subarray(start * per, (start + n) * per);
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = (src[i] / 255 - mean) / std;
  return out;
}
