/**
 * Float64 CPU pieces of cosine-similarity logits, each with its backward: row L2 normalisation and s·cos(a_i, b_k).
 * Shared by the contrastive pretraining loss (src/train/loss.ts) and the fine-tuning losses (src/methods/math.ts).
 */

/** Rows of x [n, d] scaled to unit L2 norm (norms clamped at 1e-12). */
export function normalizeRows(x: ArrayLike<number>, n: number, d: number): { y: Float64Array; norms: Float64Array } {
  const y = new Float64Array(n * d), norms = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += x[i * d + k] ** 2;
    const r = Math.max(Math.sqrt(s), 1e-12);
    norms[i] = r;
    for (let k = 0; k < d; k++) y[i * d + k] = x[i * d + k] / r;
  }
  return { y, norms };
}

/** ∂/∂x of a loss given ∂/∂y for y = x / ‖x‖ (row-wise): (gy − y·(y·gy)) / ‖x‖. */
export function normalizeRowsBackward(y: ArrayLike<number>, norms: ArrayLike<number>, gy: ArrayLike<number>, n: number, d: number): Float64Array {
  const gx = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    let dot = 0;
    for (let k = 0; k < d; k++) dot += y[i * d + k] * gy[i * d + k];
    for (let k = 0; k < d; k++) gx[i * d + k] = (gy[i * d + k] - y[i * d + k] * dot) / norms[i];
  }
  return gx;
}

export interface CosLogits {
  /** [n, classes] = s · cos(image_i, class_k). */
  logits: Float64Array;
  n: number;
  classes: number;
  d: number;
  scale: number;
  imageUnit: Float64Array;
  imageNorms: Float64Array;
  textUnit: Float64Array;
  textNorms: Float64Array;
}

export function cosLogits(images: ArrayLike<number>, texts: ArrayLike<number>, n: number, classes: number, d: number, scale: number): CosLogits {
  const im = normalizeRows(images, n, d), tx = normalizeRows(texts, classes, d);
  const logits = new Float64Array(n * classes);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < classes; c++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += im.y[i * d + k] * tx.y[c * d + k];
      logits[i * classes + c] = scale * s;
    }
  }
  return { logits, n, classes, d, scale, imageUnit: im.y, imageNorms: im.norms, textUnit: tx.y, textNorms: tx.norms };
}

/** ∂/∂images and ∂/∂texts (raw) from ∂/∂logits. */
export function cosLogitsBackward(l: CosLogits, dLogits: ArrayLike<number>): { gImages: Float64Array; gTexts: Float64Array } {
  const { n, classes: C, d, scale } = l;
  const gIu = new Float64Array(n * d), gTu = new Float64Array(C * d);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < C; c++) {
      const g = scale * dLogits[i * C + c];
      if (g === 0) continue;
      for (let k = 0; k < d; k++) {
        gIu[i * d + k] += g * l.textUnit[c * d + k];
        gTu[c * d + k] += g * l.imageUnit[i * d + k];
      }
    }
  }
  return { gImages: normalizeRowsBackward(l.imageUnit, l.imageNorms, gIu, n, d), gTexts: normalizeRowsBackward(l.textUnit, l.textNorms, gTu, C, d) };
}
