/**
 * Symmetric CLIP contrastive loss (InfoNCE) with multi-positive soft targets, and its gradient w.r.t. the RAW
 * (un-normalised) image and text embeddings. CPU, float64 accumulation (B ≤ a few hundred, P ≤ 256: microseconds
 * next to the towers; see README.md for why this is not a WGSL kernel yet).
 *
 *   u_i = x_i / ‖x_i‖, w_j = y_j / ‖y_j‖, L_ij = s · u_i·w_j              (s = exp(logit scale), fixed)
 *   positives: pos_ij = [class_i == class_j] (every pair (i, i) is positive; same-class captions count too)
 *   targets:   T_ij = pos_ij / Σ_k pos_ik  (rows: image → text),  T'_ji = pos_ij / Σ_k pos_kj (columns: text → image)
 *   loss = ½ · (1/B) Σ_i −Σ_j T_ij log softmax_j(L_i·)  +  ½ · (1/B) Σ_j −Σ_i T'_ji log softmax_i(L_·j)
 *   ∂loss/∂L_ij = (1/2B) · [(softmax_row(L)_ij − T_ij) + (softmax_col(L)_ij − T'_ji)]
 *   ∂u_i = s Σ_j G_ij w_j, ∂w_j = s Σ_i G_ij u_i;  ∂x = (∂u − u (u·∂u)) / ‖x‖ (same for y)
 */
import { cosLogits, cosLogitsBackward } from '../util/cosine';

export interface ContrastiveInputs {
  /** [B, P] raw image embeddings. */
  image: ArrayLike<number>;
  /** [B, P] raw text embeddings (caption j belongs to image j). */
  text: ArrayLike<number>;
  /** [B] class ids (global over datasets): equal ids are positives. */
  classes: ArrayLike<number>;
  batch: number;
  dim: number;
  /** Multiplier of the cosine similarities (exp of the log logit scale). */
  scale: number;
}

export interface ContrastiveResult {
  loss: number;
  /** Image → text and text → image halves (loss = (i2t + t2i) / 2). */
  lossI2T: number;
  lossT2I: number;
  /** ∂loss/∂image and ∂loss/∂text, [B, P] float64. */
  gradImage: Float64Array;
  gradText: Float64Array;
  /** Fraction of images whose highest-scoring caption is a positive (same class). */
  accI2T: number;
}

export function contrastiveLoss(inp: ContrastiveInputs): ContrastiveResult {
  const { batch: B, dim: P, scale: s, classes } = inp;
  if (inp.image.length !== B * P || inp.text.length !== B * P) throw new RangeError(`contrastiveLoss: embeddings must be [${B}, ${P}]`);
  if (classes.length !== B) throw new RangeError(`contrastiveLoss: ${classes.length} classes for batch ${B}`);
  // Captions play the classes of cosLogits: L[i, j] = s · cos(image_i, caption_j).
  const cos = cosLogits(inp.image, inp.text, B, B, P, s);
  const L = cos.logits;
  // Positives per class (rows and columns have the same count since the pos matrix is symmetric).
  const count = new Map<number, number>();
  for (let i = 0; i < B; i++) count.set(classes[i], (count.get(classes[i]) ?? 0) + 1);
  const G = new Float64Array(B * B);
  let lossI2T = 0, lossT2I = 0, hits = 0;
  const half = 0.5 / B;
  // Rows: image i over captions j.
  for (let i = 0; i < B; i++) {
    let m = -Infinity, arg = 0;
    for (let j = 0; j < B; j++) if (L[i * B + j] > m) { m = L[i * B + j]; arg = j; }
    if (classes[arg] === classes[i]) hits++;
    let z = 0;
    for (let j = 0; j < B; j++) z += Math.exp(L[i * B + j] - m);
    const lse = m + Math.log(z), npos = count.get(classes[i])!;
    for (let j = 0; j < B; j++) {
      const t = classes[j] === classes[i] ? 1 / npos : 0;
      const p = Math.exp(L[i * B + j] - lse);
      if (t) lossI2T -= t * (L[i * B + j] - lse);
      G[i * B + j] += half * (p - t);
    }
  }
  // Columns: caption j over images i.
  for (let j = 0; j < B; j++) {
    let m = -Infinity;
    for (let i = 0; i < B; i++) m = Math.max(m, L[i * B + j]);
    let z = 0;
    for (let i = 0; i < B; i++) z += Math.exp(L[i * B + j] - m);
    const lse = m + Math.log(z), npos = count.get(classes[j])!;
    for (let i = 0; i < B; i++) {
      const t = classes[i] === classes[j] ? 1 / npos : 0;
      const p = Math.exp(L[i * B + j] - lse);
      if (t) lossT2I -= t * (L[i * B + j] - lse);
      G[i * B + j] += half * (p - t);
    }
  }
  lossI2T /= B;
  lossT2I /= B;
  const { gImages, gTexts } = cosLogitsBackward(cos, G);
  return {
    loss: 0.5 * (lossI2T + lossT2I), lossI2T, lossT2I,
    gradImage: gImages,
    gradText: gTexts,
    accI2T: hits / B,
  };
}
