/**
 * Shapes of the CLIP vision-tower cases and their FLOP counts.
 *
 * FLOPs count only the matrix products (patch-embedding convolution, QKV / output / MLP projections, the two
 * attention products, the final projection of the class token), 2 per multiply-add, per image:
 *   forward F = lin + attn, with lin = 2·P·(C·p²)·D + L·(8·S·D² + 4·S·D·M) + 2·D·E and attn = L·4·S²·D;
 *   backward to the input (activations only, what an attack needs) Bx = lin + 2·attn;
 *   backward to the weights Bw = lin (the weight gradients of the same products).
 * LayerNorm, softmax, activations and the optimiser are left out (a few % of the total at ViT-B/32 sizes).
 */
import { clipDims, tinyClipConfig, vitB32Config, withClipConfig, type ClipConfig } from '../src/onnx/clip/config';

export interface ClipBenchShape {
  name: string;
  /** The tower benchmarked (its text tower is shrunk: only the vision tower runs, see `benchConfig`). */
  config: ClipConfig;
  /** What it stands for. */
  what: string;
}

export const CLIP_SHAPES: Record<string, ClipBenchShape> = {
  'vit-b32': { name: 'vit-b32', config: vitB32Config, what: 'OpenAI CLIP ViT-B/32 vision tower (224×224×3, patch 32, width 768, 12 layers, 88 M parameters), random init' },
  mid: {
    name: 'mid',
    config: withClipConfig(tinyClipConfig, { imageSize: 32, channels: 3, patchSize: 8, vision: { width: 64, layers: 4, heads: 4, mlpRatio: 4 }, projectionDim: 64 }),
    what: 'mid-size ViT (32×32×3, patch 8, width 64, 4 layers, 4 heads), random init: for software adapters',
  },
  tiny: { name: 'tiny', config: tinyClipConfig, what: 'tinyClipConfig (28×28×1, patch 7, width 32, 2 layers), random init: for software adapters' },
};

/**
 * The shape's config with a minimal text tower: the vision weights are seeded per tensor name, so they are the
 * same as with the full config, and the TeCoA step (whose class embeddings come from a frozen text tower run once)
 * does not build a 63 M-parameter text tower it never trains.
 */
export function benchConfig(shape: ClipBenchShape): ClipConfig {
  return withClipConfig(shape.config, { text: { vocabSize: 16, contextLength: 4, width: 16, layers: 1, heads: 1, mlpRatio: 2 } });
}

export interface VisionFlops {
  /** Forward, per image. */
  forward: number;
  /** Backward to the input (activation gradients only), per image. */
  backwardInput: number;
  /** Weight gradients on top of `backwardInput`, per image. */
  backwardWeights: number;
}

export function visionFlops(c: ClipConfig): VisionFlops {
  const d = clipDims(c);
  const D = c.vision.width, L = c.vision.layers, S = d.visionSeq, M = d.visionMlp, p = c.patchSize;
  const conv = 2 * d.numPatches * c.channels * p * p * D;
  const lin = conv + L * (8 * S * D * D + 4 * S * D * M) + 2 * D * c.projectionDim;
  const attn = L * 4 * S * S * D;
  return { forward: lin + attn, backwardInput: lin + 2 * attn, backwardWeights: lin };
}

/** runAttack's PGD with `steps` steps: a clean forward, `steps` forward + input-backward, a final forward. */
export function pgdFlopsPerImage(c: ClipConfig, steps: number): number {
  const f = visionFlops(c);
  return (steps + 2) * f.forward + steps * f.backwardInput;
}

/** A TeCoA step with a PGD-`steps` training attack: `steps` × (forward + input-backward), then forward + full backward. */
export function tecoaFlopsPerImage(c: ClipConfig, steps: number): number {
  const f = visionFlops(c);
  return (steps + 1) * (f.forward + f.backwardInput) + f.backwardWeights;
}

/** Bytes of the largest single tensor of a forward + backward at `batch` (what one storage binding must hold). */
export function largestTensorBytes(c: ClipConfig, batch: number): number {
  const d = clipDims(c);
  return 4 * batch * Math.max(d.visionSeq * d.visionMlp, c.channels * c.imageSize * c.imageSize, c.vision.heads * d.visionSeq * d.visionSeq);
}

/** Normalisation constants of OpenAI CLIP for [0, 1] pixels (first `channels`). */
export function clipConstants(channels: number): { mean: number[]; std: number[] } {
  return {
    mean: [0.48145466, 0.4578275, 0.40821073].slice(0, channels),
    std: [0.26862954, 0.26130258, 0.27577711].slice(0, channels),
  };
}
