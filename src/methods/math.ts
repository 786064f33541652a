/**
 * Small float64 CPU pieces of the fine-tuning losses, each with its backward: row L2 normalisation, cosine logits, softmax
 * cross-entropy, KL divergence, group means. Sizes are tiny next to the towers (batch × classes × embedding), so
 * they run on the CPU; the subspace terms and the zero-shot CE run on the GPU kernels.
 */

export { cosLogits, cosLogitsBackward, normalizeRows, normalizeRowsBackward, type CosLogits } from '../util/cosine';

/** Row-wise softmax and log-softmax of [n, C]. */
export function softmaxRows(z: ArrayLike<number>, n: number, C: number): { p: Float64Array; logp: Float64Array } {
  const p = new Float64Array(n * C), logp = new Float64Array(n * C);
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let c = 0; c < C; c++) max = Math.max(max, z[i * C + c]);
    let s = 0;
    for (let c = 0; c < C; c++) s += Math.exp(z[i * C + c] - max);
    const lse = max + Math.log(s);
    for (let c = 0; c < C; c++) {
      logp[i * C + c] = z[i * C + c] - lse;
      p[i * C + c] = Math.exp(logp[i * C + c]);
    }
  }
  return { p, logp };
}

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

/**
 * Mean over rows of KL(softmax(target_i) ‖ softmax(z_i)) — torch's KLDivLoss(log_softmax(z), softmax(target)) with
 * batch-mean reduction — and its gradients w.r.t. z and the target logits.
 */
export function klDivergence(target: ArrayLike<number>, z: ArrayLike<number>, n: number, C: number): { loss: number; dz: Float64Array; dTarget: Float64Array } {
  const t = softmaxRows(target, n, C), q = softmaxRows(z, n, C);
  const dz = new Float64Array(n * C), dTarget = new Float64Array(n * C);
  let loss = 0;
  for (let i = 0; i < n; i++) {
    let kl = 0;
    for (let c = 0; c < C; c++) kl += t.p[i * C + c] * (t.logp[i * C + c] - q.logp[i * C + c]);
    loss += kl / n;
    for (let c = 0; c < C; c++) {
      const j = i * C + c;
      dz[j] = (q.p[j] - t.p[j]) / n;
      // ∂KL/∂target_c = p_c (r_c − Σ_j p_j r_j), r = log p − log q, Σ p r = KL.
      dTarget[j] = (t.p[j] * (t.logp[j] - q.logp[j] - kl)) / n;
    }
  }
  return { loss, dz, dTarget };
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
