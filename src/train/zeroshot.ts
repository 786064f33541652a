/**
 * Zero-shot classification with a CLIP model folder: prompt-ensembled class embeddings (every template × every
 * synonym of a class, each text embedding L2-normalised, averaged, renormalised), cosine scores against
 * normalised image embeddings, top-1 / top-5, per-class accuracy and the confusion matrix (rows = true class,
 * columns = predicted). Host-independent: the towers run through `OnnxSession`.
 */
import type { GpuContext } from '../gpu/context';
import type { ImageDataset } from '../data/bundle';
import { promptGroups } from '../data/prompts';
import { CLIP_TEXT_ONNX, CLIP_VISION_ONNX, clipConfigFromJson, type ClipFolderFiles } from '../onnx/clip/folder';
import type { ClipConfig } from '../onnx/clip/config';
import { createSession, outputToF32, type OnnxSession } from '../onnx/run/session';
import { ClipTokenizer } from '../text/tokenizer';
import { datasetPixels } from './data';

export interface ZeroShotMetrics {
  count: number;
  top1: number;
  top5: number;
  perClass: Array<{ class: string; count: number; accuracy: number }>;
  /** confusion[true][predicted]. */
  confusion: number[][];
  classes: string[];
}

function l2normalize(x: Float32Array | Float64Array, n: number, d: number): Float64Array {
  const y = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += x[i * d + k] ** 2;
    const r = Math.max(Math.sqrt(s), 1e-12);
    for (let k = 0; k < d; k++) y[i * d + k] = x[i * d + k] / r;
  }
  return y;
}

/** Class embeddings [K, P] from per-class text embeddings (each [n_k, P]): mean of normalised rows, renormalised. */
export function ensembleClassEmbeddings(perClass: ArrayLike<number>[], dim: number): Float64Array {
  const K = perClass.length, out = new Float64Array(K * dim);
  perClass.forEach((e, k) => {
    const n = e.length / dim;
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`class ${k}: ${e.length} values is not a whole number of ${dim}-vectors`);
    const y = l2normalize(Float64Array.from(e), n, dim);
    for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) out[k * dim + d] += y[i * dim + d] / n;
  });
  return l2normalize(out, K, dim);
}

/** Metrics of cosine zero-shot classification of image embeddings [N, P] against class embeddings [K, P]. */
export function zeroShotMetrics(imageEmbeds: ArrayLike<number>, classEmbeds: ArrayLike<number>, labels: ArrayLike<number>, classes: readonly string[], dim: number): ZeroShotMetrics {
  const K = classes.length, N = labels.length;
  if (imageEmbeds.length !== N * dim) throw new RangeError(`zeroShotMetrics: ${imageEmbeds.length} image values for ${N} labels × ${dim}`);
  if (classEmbeds.length !== K * dim) throw new RangeError(`zeroShotMetrics: ${classEmbeds.length} class values for ${K} classes × ${dim}`);
  const u = l2normalize(Float64Array.from(imageEmbeds), N, dim), c = l2normalize(Float64Array.from(classEmbeds), K, dim);
  const confusion = Array.from({ length: K }, () => new Array<number>(K).fill(0));
  const counts = new Array<number>(K).fill(0);
  let top1 = 0, top5 = 0;
  const scores = new Float64Array(K);
  for (let i = 0; i < N; i++) {
    for (let k = 0; k < K; k++) {
      let s = 0;
      for (let d = 0; d < dim; d++) s += u[i * dim + d] * c[k * dim + d];
      scores[k] = s;
    }
    let best = 0;
    for (let k = 1; k < K; k++) if (scores[k] > scores[best]) best = k;
    const y = labels[i];
    if (y < 0 || y >= K) throw new RangeError(`zeroShotMetrics: label ${y} outside [0, ${K})`);
    // Rank of the true class: number of classes scoring strictly higher (ties favour the true class).
    let higher = 0;
    for (let k = 0; k < K; k++) if (k !== y && scores[k] > scores[y]) higher++;
    if (best === y || higher === 0) top1++;
    if (higher < 5) top5++;
    confusion[y][higher === 0 ? y : best]++;
    counts[y]++;
  }
  return {
    count: N, top1: N ? top1 / N : 0, top5: N ? top5 / N : 0,
    perClass: classes.map((name, k) => ({ class: name, count: counts[k], accuracy: counts[k] ? confusion[k][k] / counts[k] : 0 })),
    confusion, classes: [...classes],
  };
}

/** A CLIP folder's two towers as sessions (symbolic batch), plus its tokenizer and config. */
export class ClipEmbedder {
  private constructor(
    readonly config: ClipConfig,
    readonly tokenizer: ClipTokenizer,
    private readonly ctx: GpuContext,
    private readonly vision: OnnxSession,
    private readonly text: OnnxSession,
    readonly mean: number,
    readonly std: number,
  ) {}

  static async create(ctx: GpuContext, files: Pick<ClipFolderFiles, 'config.json' | 'tokenizer.json' | 'preprocessor_config.json' | 'onnx/vision_model.onnx' | 'onnx/text_model.onnx'>): Promise<ClipEmbedder> {
    const config = clipConfigFromJson(files['config.json']);
    const pre = JSON.parse(files['preprocessor_config.json']) as { image_mean?: number[]; image_std?: number[] };
    const tokenizer = ClipTokenizer.fromJSON(files['tokenizer.json']);
    const vision = await createSession(ctx, files[CLIP_VISION_ONNX], { label: 'zeroShot.vision', gpuOutputs: false });
    const text = await createSession(ctx, files[CLIP_TEXT_ONNX], { label: 'zeroShot.text', gpuOutputs: false });
    return new ClipEmbedder(config, tokenizer, ctx, vision, text, pre.image_mean?.[0] ?? 0.5, pre.image_std?.[0] ?? 0.5);
  }

  get dim(): number {
    return this.config.projectionDim;
  }

  /** image_embeds of normalised pixels [n, C, H, W], in chunks of `chunk`. */
  async embedImages(pixels: Float32Array, n: number, chunk = 256): Promise<Float32Array> {
    const c = this.config, per = c.channels * c.imageSize * c.imageSize, out = new Float32Array(n * c.projectionDim);
    for (let s = 0; s < n; s += chunk) {
      const m = Math.min(chunk, n - s);
      const r = await this.vision.run({ pixel_values: { dims: [m, c.channels, c.imageSize, c.imageSize], data: pixels.slice(s * per, (s + m) * per) } }, ['image_embeds']);
      out.set(await outputToF32(this.ctx, r.image_embeds), s * c.projectionDim);
      for (const o of Object.values(r)) o.dispose();
    }
    return out;
  }

  async embedTexts(texts: readonly string[]): Promise<Float32Array> {
    const t = this.tokenizer.tokenize(texts);
    const r = await this.text.run({ input_ids: { dims: t.dims, data: t.inputIds, dtype: 'int64' } }, ['text_embeds']);
    const out = await outputToF32(this.ctx, r.text_embeds);
    for (const o of Object.values(r)) o.dispose();
    return out;
  }

  /** Prompt-ensembled class embeddings [K, P] for class names (templates × synonyms of src/data/prompts.ts). */
  async classEmbeddings(classes: readonly string[]): Promise<Float64Array> {
    const groups = promptGroups(classes);
    const per: Float32Array[] = [];
    for (const g of groups) per.push(await this.embedTexts(g));
    return ensembleClassEmbeddings(per, this.dim);
  }

  /** Zero-shot metrics on the first `limit` images of a dataset split (all by default). */
  async evaluate(data: ImageDataset, limit = data.count): Promise<ZeroShotMetrics> {
    const n = Math.min(limit, data.count);
    const emb = await this.embedImages(datasetPixels(data, 0, n, this.mean, this.std), n);
    const cls = await this.classEmbeddings(data.classes);
    return zeroShotMetrics(emb, cls, data.labels.subarray(0, n), data.classes, this.dim);
  }

  async release(): Promise<void> {
    await this.vision.release();
    await this.text.release();
  }
}
