/**
 * Small float64 CPU pieces of the fine-tuning losses, each with its backward: row L2 normalisation, cosine logits,
 * softmax cross-entropy, group means (the KL divergence's is src/kernels/kl.ts's reference). Sizes are tiny next to
 * the towers (batch × classes × embedding), so they run on the CPU; the GPU paths use the kernels.
 */

export { cosLogits, cosLogitsBackward, normalizeRows, normalizeRowsBackward, type CosLogits } from '../util/cosine';
export { softmaxRows } from '../util/softmax';
import { softmaxRows } from '../util/softmax';

/** Mean over rows of CE(z_i, y_i) and ∂/∂z (of the mean); `perSample` CE values too. */
export function crossEntropy(z: ArrayLike<number>, labels: ArrayLike<number>, n: number, C: number): { loss: number; perSample: Float64Array; dz: Float64Array; correct: number } {
  const { p, logp } = softmaxRows(z, n, C);
  const dz = new Float64Array(n * C), perSample = new Float64Array(n);
  let loss = 0, correct = 0;
  for (let i = 0; i < n; i++) {
    const y = labels[i];
    perSample[i] = -logp[i * C + y];
    loss += perSample[i] / n;
    let arg = 0;
    for (let c = 0; c < C; c++) {
      dz[i * C + c] = (p[i * C + c] - (c === y ? 1 : 0)) / n;
      if (z[i * C + c] > z[i * C + arg]) arg = c;
    }
    if (arg === y) correct++;
  }
  return { loss, perSample, dz, correct };
}

/** Means of groups [groups, n, d] → [groups, d]. */
export function groupMeans(x: ArrayLike<number>, groups: number, n: number, d: number): Float64Array {
  const out = new Float64Array(groups * d);
  for (let g = 0; g < groups; g++) for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) out[g * d + k] += x[(g * n + i) * d + k] / n;
  return out;
}

/** ∂/∂x [groups, n, d] from ∂/∂means [groups, d]. */
export function groupMeansBackward(g: ArrayLike<number>, groups: number, n: number, d: number): Float64Array {
  const out = new Float64Array(groups * n * d);
  for (let q = 0; q < groups; q++) for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) out[(q * n + i) * d + k] = g[q * d + k] / n;
  return out;
}

/** In place a += s·b. */
export function axpy(a: Float64Array | Float32Array, b: ArrayLike<number>, s = 1): void {
  if (a.length !== b.length) throw new RangeError(`axpy: lengths ${a.length} and ${b.length}`);
  for (let i = 0; i < a.length; i++) a[i] += s * b[i];
}

/** √Σx². */
export function l2(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return Math.sqrt(s);
}

/** ‖(a, b, …)‖₂ of the concatenation of gradients, float64; undefined parts are skipped. */
export function gradNorm(...parts: Array<ArrayLike<number> | undefined>): number {
  let ss = 0;
  for (const g of parts) if (g) for (let i = 0; i < g.length; i++) ss += g[i] * g[i];
  return Math.sqrt(ss);
}
