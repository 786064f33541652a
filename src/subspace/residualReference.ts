/**
 * Float64 reference of the directional residual distance (`residualDistance` in ./residual, the GPU kernel):
 *
 *   d(X → Y) = (1/n) · tr(P_X · (I − P_Y)),   P_Z = Zᵀ(Z·Zᵀ + ρI)⁻¹Z  (ridge-regularised projector, rows = vectors)
 *
 * "How much of span(X) lies outside span(Y)", rank-normalised by the n rows of X: 0 when span(X) ⊆ span(Y) (up to the
 * ridge), at most 1. Y is a fixed target: only ∂d/∂X exists (the clean side of "adversarial → clean" and the text side
 * of "image → text" get no gradient from the term). With S = (X·Xᵀ + ρI)⁻¹ and M = I − P_Y:
 *
 *   d = (1/n)·tr(S·X·M·Xᵀ),   ∂d/∂X = (2/n)·S·X·M·(I − P_X).
 *
 * Bound: X = UΣVᵀ gives S·X = U·diag(σ/(σ² + ρ))·Vᵀ, ‖M‖, ‖I − P_X‖ ≤ 1, so ‖∂d/∂X‖₂ ≤ (2/n)·max σ/(σ² + ρ)
 * ≤ 1/(n·√ρ), whatever the conditioning of the group (its near-duplicate views).
 *
 * This reference takes the plain route (Grams and solves in float64); the kernel computes the same quantities from
 * residual vectors so that fp32 does not cancel (see ./residual).
 */
import { mm, spdInverse } from './reference';

export interface ResidualPairResult {
  value: number;
  /** ∂d/∂X, n×d. */
  gx: Float64Array;
}

/** Applies I − P_Z (ridge ρ) to each of the k rows of v: rows − Zᵀ(Z·Zᵀ + ρI)⁻¹Z·rows. */
export function ridgeResidualRows(z: ArrayLike<number>, zo: number, rows: number, v: ArrayLike<number>, k: number, d: number, ridge: number): Float64Array {
  const g = new Float64Array(rows * rows);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < rows; j++) {
      let s = 0;
      for (let t = 0; t < d; t++) s += z[zo + i * d + t] * z[zo + j * d + t];
      g[i * rows + j] = s + (i === j ? ridge : 0);
    }
  }
  const inv = spdInverse(g, rows);
  const out = Float64Array.from({ length: k * d }, (_, i) => v[i]);
  for (let r = 0; r < k; r++) {
    const zv = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      let s = 0;
      for (let t = 0; t < d; t++) s += z[zo + i * d + t] * v[r * d + t];
      zv[i] = s;
    }
    const c = mm(inv, zv, rows, rows, 1);
    for (let i = 0; i < rows; i++) for (let t = 0; t < d; t++) out[r * d + t] -= c[i] * z[zo + i * d + t];
  }
  return out;
}

/** d(X → Y) and ∂d/∂X of one pair (X n×d at xo, Y m×d at yo). */
export function residualDistancePair(
  x: ArrayLike<number>, n: number, y: ArrayLike<number>, m: number, d: number, ridge: number, xo = 0, yo = 0,
): ResidualPairResult {
  if (!(ridge > 0)) throw new RangeError(`residual distance: ridge must be > 0, got ${ridge}`);
  const xs = Float64Array.from({ length: n * d }, (_, i) => x[xo + i]);
  const mx = ridgeResidualRows(y, yo, m, xs, n, d, ridge); // rows M·x_i
  const g = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let t = 0; t < d; t++) s += xs[i * d + t] * xs[j * d + t];
    g[i * n + j] = s + (i === j ? ridge : 0);
  }
  const sInv = spdInverse(g, n);
  // value = (1/n) tr(S · X M Xᵀ)
  let value = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    let k = 0;
    for (let t = 0; t < d; t++) k += mx[j * d + t] * xs[i * d + t];
    value += sInv[j * n + i] * k;
  }
  value /= n;
  const rr = ridgeResidualRows(xs, 0, n, mx, n, d, ridge); // rows (I − P_X)·M·x_i
  const gx = mm(sInv, rr, n, n, d);
  for (let i = 0; i < gx.length; i++) gx[i] *= 2 / n;
  return { value, gx };
}

export interface ResidualShape {
  pairs: number;
  /** Rows of each moving group X. */
  n: number;
  /** Rows of each target group Y. */
  m: number;
  d: number;
  /** Number of target groups (default pairs); pair p uses target `targetOf[p]` (default p). */
  targets?: number;
}

/** Mean over pairs of d(X_p → Y_target(p)), and ∂/∂X (of the mean). */
export function residualDistanceRef(
  x: ArrayLike<number>, y: ArrayLike<number>, shape: ResidualShape, ridge: number, targetOf?: ArrayLike<number>,
): { value: number; perPair: Float64Array; gx: Float64Array } {
  const { pairs, n, m, d } = shape;
  const perPair = new Float64Array(pairs), gx = new Float64Array(pairs * n * d);
  for (let p = 0; p < pairs; p++) {
    const t = targetOf ? targetOf[p] : p;
    const r = residualDistancePair(x, n, y, m, d, ridge, p * n * d, t * m * d);
    perPair[p] = r.value;
    for (let i = 0; i < n * d; i++) gx[p * n * d + i] = r.gx[i] / pairs;
  }
  return { value: perPair.reduce((a, b) => a + b, 0) / pairs, perPair, gx };
}

/**
 * The ridge from the groups' own spectrum: the median, over groups, of the non-leading eigenvalues of each group's Gram
 * Z·Zᵀ (rows unit-norm, so the leading eigenvalue carries the group's common direction and the others its spread).
 * Directions with variance above ρ count as subspace, those below it count by their variance: ρ sits at the typical
 * spread of the views, and the gradient bound 1/(n·√ρ) follows from it.
 */
export function ridgeFromSpectrum(z: ArrayLike<number>, groups: number, rows: number, d: number): number {
  const vals: number[] = [];
  for (let gI = 0; gI < groups; gI++) {
    const g = new Float64Array(rows * rows);
    for (let i = 0; i < rows; i++) for (let j = 0; j < rows; j++) {
      let s = 0;
      for (let t = 0; t < d; t++) s += z[(gI * rows + i) * d + t] * z[(gI * rows + j) * d + t];
      g[i * rows + j] = s;
    }
    const ev = symmetricEigenvalues(g, rows).sort((a, b) => b - a);
    for (let i = 1; i < rows; i++) vals.push(Math.max(ev[i], 0));
  }
  if (vals.length === 0) throw new RangeError('ridgeFromSpectrum: groups of one row have no spread; give the ridge explicitly');
  vals.sort((a, b) => a - b);
  const mid = vals.length >> 1;
  return vals.length % 2 ? vals[mid] : 0.5 * (vals[mid - 1] + vals[mid]);
}

/** Eigenvalues of a small symmetric matrix (cyclic Jacobi). */
export function symmetricEigenvalues(a0: ArrayLike<number>, k: number): number[] {
  const a = Float64Array.from(a0 as ArrayLike<number>);
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let i = 0; i < k; i++) for (let j = i + 1; j < k; j++) off += a[i * k + j] ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < k; p++) for (let q = p + 1; q < k; q++) {
      const apq = a[p * k + q];
      if (Math.abs(apq) < 1e-300) continue;
      const theta = (a[q * k + q] - a[p * k + p]) / (2 * apq);
      const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
      const c = 1 / Math.sqrt(t * t + 1), s = t * c;
      for (let r = 0; r < k; r++) {
        const arp = a[r * k + p], arq = a[r * k + q];
        a[r * k + p] = c * arp - s * arq;
        a[r * k + q] = s * arp + c * arq;
      }
      for (let r = 0; r < k; r++) {
        const apr = a[p * k + r], aqr = a[q * k + r];
        a[p * k + r] = c * apr - s * aqr;
        a[q * k + r] = s * apr + c * aqr;
      }
    }
  }
  return Array.from({ length: k }, (_, i) => a[i * k + i]);
}
