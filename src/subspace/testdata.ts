/**
 * Test inputs with known answers for the subspace code (shared by the vitest suites and the self-checks, so no Node
 * APIs): random orthonormal frames, matrices of a chosen condition number, and pairs of spanning sets whose spans
 * meet at prescribed principal angles but are given as non-orthonormal, ill-conditioned sets of vectors.
 */
import type { Rng } from '../util/random';
import { basisGroup, mm } from './reference';

function gaussian(rng: Rng, count: number): Float64Array {
  return Float64Array.from(rng.normal(count));
}

/** k orthonormal rows in R^d (k ≤ d), k×d. */
export function randomOrthonormalRows(rng: Rng, k: number, d: number): Float64Array {
  if (k > d) throw new RangeError(`randomOrthonormalRows: k=${k} > d=${d}`);
  for (;;) {
    const b = basisGroup(gaussian(rng, k * d), k, d, 1e-8);
    if (b.rank === k) return b.u.subarray(0, k * d);
  }
}

/** A random n×n matrix with singular values log-spaced from 1 down to 1/cond: Q₁·diag(s)·Q₂. */
export function conditionedMatrix(rng: Rng, n: number, cond: number): Float64Array {
  const q1 = randomOrthonormalRows(rng, n, n);
  const q2 = randomOrthonormalRows(rng, n, n);
  const ds = new Float64Array(n * n);
  for (let i = 0; i < n; i++) ds[i * n + i] = n === 1 ? 1 : Math.pow(cond, -i / (n - 1));
  return mm(mm(q1, ds, n, n, n), q2, n, n, n);
}

export interface AnglePairOptions {
  /** Condition number of the mixing applied to each spanning set (default 1: the sets are orthonormal). */
  condX?: number;
  condY?: number;
  /** Extra vectors orthogonal to everything else, on the X or Y side (unequal ranks). */
  extraX?: number;
  extraY?: number;
  /** Overall scale of the vectors (default 1). */
  scale?: number;
}

export interface AnglePair {
  x: Float64Array;
  y: Float64Array;
  n: number;
  m: number;
  /** The exact principal angles of span(x) and span(y), ascending: min(n, m) of them. */
  angles: number[];
}

/**
 * X = R_X·[q_1 … q_k, extra X], Y = R_Y·[cos θ_i q_i + sin θ_i q_{k+i}, extra Y] for an orthonormal frame q in R^d,
 * so the principal angles are θ (sorted) followed by π/2 for each extra pair; R_X, R_Y are random mixings with the
 * given condition numbers, so the vectors themselves are far from orthonormal. Needs d ≥ 2k + extraX + extraY.
 */
export function pairWithAngles(rng: Rng, thetas: number[], d: number, opts: AnglePairOptions = {}): AnglePair {
  const k = thetas.length, ex = opts.extraX ?? 0, ey = opts.extraY ?? 0;
  const n = k + ex, m = k + ey;
  const q = randomOrthonormalRows(rng, 2 * k + ex + ey, d);
  const x0 = new Float64Array(n * d), y0 = new Float64Array(m * d);
  for (let i = 0; i < k; i++) {
    const c = Math.cos(thetas[i]), s = Math.sin(thetas[i]);
    for (let t = 0; t < d; t++) {
      x0[i * d + t] = q[i * d + t];
      y0[i * d + t] = c * q[i * d + t] + s * q[(k + i) * d + t];
    }
  }
  for (let j = 0; j < ex; j++) x0.set(q.subarray((2 * k + j) * d, (2 * k + j + 1) * d), (k + j) * d);
  for (let j = 0; j < ey; j++) y0.set(q.subarray((2 * k + ex + j) * d, (2 * k + ex + j + 1) * d), (k + j) * d);
  const scale = opts.scale ?? 1;
  const rx = conditionedMatrix(rng, n, opts.condX ?? 1).map((v) => v * scale);
  const ry = conditionedMatrix(rng, m, opts.condY ?? 1).map((v) => v * scale);
  const angles = [...thetas].sort((a, b) => a - b);
  for (let j = 0; j < Math.min(ex, ey); j++) angles.push(Math.PI / 2);
  return { x: mm(rx, x0, n, n, d), y: mm(ry, y0, m, m, d), n, m, angles };
}

/** Concatenates per-pair arrays into one batched array. */
export function concat(parts: ArrayLike<number>[]): Float64Array {
  const out = new Float64Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p as ArrayLike<number>, o);
    o += p.length;
  }
  return out;
}

/** Rounds to float32 (what a GPU kernel sees) and back: references run on exactly the kernel's inputs. */
export function toF32(a: ArrayLike<number>): Float32Array {
  return Float32Array.from(a as ArrayLike<number>);
}
