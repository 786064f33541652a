/**
 * Float64 CPU references for subspace linear algebra: orthonormal bases (CGS2 with a rank threshold), one-sided
 * Jacobi singular values, principal angles (cosines for angles ≥ π/4, Knyazev–Argentati sines below), and the two
 * training losses with analytic gradients (projection distance, second-moment matching).
 *
 * Layout (as everywhere in the project): a group of n feature vectors of dimension d is stored as ROWS, X: n×d
 * row-major, batched as [groups, n, d]; a pair is (X: n×d, Y: m×d). In this layout the Gram matrix is X·Xᵀ (n×n),
 * the cross-Gram X·Yᵀ (n×m) and the projector onto span(rows of X) is P_X = Xᵀ·(X·Xᵀ)⁻¹·X (d×d, never formed).
 *
 * These are the oracles the WGSL kernels are checked against, so they favour clarity and accuracy over speed.
 */

/** Default numerical-rank threshold: a vector whose Gram–Schmidt residual is ≤ tol · (largest vector norm of its
 * group) adds no direction. Spanning sets with condition number ≤ 1e4 keep full rank (their residuals are
 * ≥ σ_min ≥ 1e-4 σ_max); fp32 round-off residuals (~1e-7) of dependent vectors are dropped. */
export const DEFAULT_RANK_TOL = 1e-5;
/** Default ridge ρ of the Gram matrices in the losses (features are expected roughly unit-norm, e.g. CLIP). */
export const DEFAULT_RIDGE = 1e-4;

// ---------------------------------------------------------------------------------------------------------------
// Small dense helpers (row-major, float64)

function dot(a: ArrayLike<number>, ao: number, b: ArrayLike<number>, bo: number, len: number): number {
  let s = 0;
  for (let i = 0; i < len; i++) s += a[ao + i] * b[bo + i];
  return s;
}

/** C = A·B (A: r×k, B: k×c). */
export function mm(a: ArrayLike<number>, b: ArrayLike<number>, r: number, k: number, c: number): Float64Array {
  const out = new Float64Array(r * c);
  for (let i = 0; i < r; i++) {
    for (let l = 0; l < k; l++) {
      const av = a[i * k + l];
      if (av === 0) continue;
      for (let j = 0; j < c; j++) out[i * c + j] += av * b[l * c + j];
    }
  }
  return out;
}

/** C = A·Bᵀ (A: r×k, B: c×k). */
export function mmT(a: ArrayLike<number>, b: ArrayLike<number>, r: number, k: number, c: number): Float64Array {
  const out = new Float64Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[i * c + j] = dot(a, i * k, b, j * k, k);
  return out;
}

/** Aᵀ (A: r×c). */
export function transpose(a: ArrayLike<number>, r: number, c: number): Float64Array {
  const out = new Float64Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = a[i * c + j];
  return out;
}

/** Inverse of a symmetric positive-definite n×n matrix through its Cholesky factor. Throws if not SPD. */
export function spdInverse(a: ArrayLike<number>, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let s = a[j * n + j];
    for (let k = 0; k < j; k++) s -= l[j * n + k] * l[j * n + k];
    if (!(s > 0)) throw new RangeError(`spdInverse: matrix is not positive definite (pivot ${s} at ${j})`);
    const ljj = Math.sqrt(s);
    l[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let t = a[i * n + j];
      for (let k = 0; k < j; k++) t -= l[i * n + k] * l[j * n + k];
      l[i * n + j] = t / ljj;
    }
  }
  // L⁻¹ by forward substitution, column by column; then A⁻¹ = L⁻ᵀ L⁻¹.
  const li = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    li[j * n + j] = 1 / l[j * n + j];
    for (let i = j + 1; i < n; i++) {
      let s = 0;
      for (let k = j; k < i; k++) s += l[i * n + k] * li[k * n + j];
      li[i * n + j] = -s / l[i * n + i];
    }
  }
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = i; k < n; k++) s += li[k * n + i] * li[k * n + j];
      inv[i * n + j] = s;
      inv[j * n + i] = s;
    }
  }
  return inv;
}

// ---------------------------------------------------------------------------------------------------------------
// Orthonormal basis: classical Gram–Schmidt with one full re-orthogonalisation (CGS2)

export interface BasisGroup {
  /** Orthonormal rows 0…rank-1 (r×d), rows rank…n-1 zero: u is n×d. */
  u: Float64Array;
  rank: number;
  /** Coefficients, n×n, lower-trapezoidal: x_j = Σ_i l[j][i]·u_i (up to the dropped residuals). */
  l: Float64Array;
}

/**
 * Orthonormal basis of the span of the n rows of x (n×d, starting at `offset`) by CGS2: every vector is
 * orthogonalised twice against the basis so far (classical Gram–Schmidt, all coefficients from the same vector),
 * which keeps ‖UUᵀ − I‖ at round-off level for condition numbers up to ~1/(c·ε) — the Gram matrix route would square
 * the condition number. A residual ≤ tol · max_j ‖x_j‖ adds no direction (numerical rank threshold).
 */
export function basisGroup(x: ArrayLike<number>, n: number, d: number, tol = DEFAULT_RANK_TOL, offset = 0): BasisGroup {
  const u = new Float64Array(n * d);
  const l = new Float64Array(n * n);
  let maxNorm = 0;
  for (let j = 0; j < n; j++) maxNorm = Math.max(maxNorm, Math.sqrt(dot(x, offset + j * d, x, offset + j * d, d)));
  const thresh = Math.max(tol * maxNorm, 1e-300);
  const v = new Float64Array(d);
  const c = new Float64Array(n);
  let r = 0;
  for (let j = 0; j < n; j++) {
    for (let k = 0; k < d; k++) v[k] = x[offset + j * d + k];
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < r; i++) c[i] = dot(u, i * d, v, 0, d);
      for (let i = 0; i < r; i++) {
        l[j * n + i] += c[i];
        const ci = c[i];
        for (let k = 0; k < d; k++) v[k] -= ci * u[i * d + k];
      }
    }
    const nrm = Math.sqrt(dot(v, 0, v, 0, d));
    if (nrm > thresh) {
      for (let k = 0; k < d; k++) u[r * d + k] = v[k] / nrm;
      l[j * n + r] = nrm;
      r++;
    }
  }
  return { u, rank: r, l };
}

/** Batched basisGroup over x: [groups, n, d]. */
export function basisRef(x: ArrayLike<number>, groups: number, n: number, d: number, tol = DEFAULT_RANK_TOL) {
  const u = new Float64Array(groups * n * d);
  const l = new Float64Array(groups * n * n);
  const rank = new Uint32Array(groups);
  for (let g = 0; g < groups; g++) {
    const b = basisGroup(x, n, d, tol, g * n * d);
    u.set(b.u, g * n * d);
    l.set(b.l, g * n * n);
    rank[g] = b.rank;
  }
  return { u, l, rank };
}

// ---------------------------------------------------------------------------------------------------------------
// One-sided Jacobi (Hestenes) singular values

/**
 * Singular values of a (rows×cols, row-major) by one-sided Jacobi on its rows: plane rotations of row pairs until all
 * rows are mutually orthogonal; the row norms are then the singular values (one per row; zeros when rows > cols).
 * High relative accuracy, also for tiny singular values (what the sine formula needs). Returned unsorted.
 */
export function jacobiRowNorms(a: ArrayLike<number>, rows: number, cols: number, maxSweeps = 60): Float64Array {
  const w = Float64Array.from(a as ArrayLike<number>).subarray(0, rows * cols);
  const tol = 1e-15;
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let rotated = false;
    for (let p = 0; p < rows - 1; p++) {
      for (let q = p + 1; q < rows; q++) {
        const alpha = dot(w, p * cols, w, p * cols, cols);
        const beta = dot(w, q * cols, w, q * cols, cols);
        const gamma = dot(w, p * cols, w, q * cols, cols);
        if (!(Math.abs(gamma) > tol * Math.sqrt(alpha) * Math.sqrt(beta))) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.abs(zeta) > 1e150 ? 0.5 / zeta : Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const cs = 1 / Math.sqrt(1 + t * t);
        const sn = cs * t;
        for (let k = 0; k < cols; k++) {
          const ap = w[p * cols + k], aq = w[q * cols + k];
          w[p * cols + k] = cs * ap - sn * aq;
          w[q * cols + k] = sn * ap + cs * aq;
        }
      }
    }
    if (!rotated) break;
  }
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) out[i] = Math.sqrt(dot(w, i * cols, w, i * cols, cols));
  return out;
}

/** Singular values of a (rows×cols), descending, min(rows, cols) of them. */
export function singularValues(a: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const s = rows <= cols ? jacobiRowNorms(a, rows, cols) : jacobiRowNorms(transpose(a, rows, cols), cols, rows);
  return s.sort((x, y) => y - x);
}

// ---------------------------------------------------------------------------------------------------------------
// Principal angles

export interface AnglesPair {
  /** Principal angles in radians, ascending; min(rank X, rank Y) of them. */
  angles: Float64Array;
  /** Cosines (singular values of U·Vᵀ), descending, and sines (singular values of (I − P_big)·V_small), ascending. */
  cos: Float64Array;
  sin: Float64Array;
  rankX: number;
  rankY: number;
}

const SQRT_HALF = Math.SQRT1_2;

/** cos θ_i (descending) and sin θ_i (ascending) combined index by index: the sine where θ_i < π/4, else the cosine. */
export function combineAngles(cos: ArrayLike<number>, sin: ArrayLike<number>, k: number): Float64Array {
  const out = new Float64Array(k);
  for (let i = 0; i < k; i++) out[i] = sin[i] < SQRT_HALF ? Math.asin(sin[i]) : Math.acos(Math.min(cos[i], 1));
  return out;
}

/**
 * Principal angles between span(rows of X: n×d) and span(rows of Y: m×d), Knyazev–Argentati style:
 * orthonormal bases U, V (CGS2, rank threshold `tol`); cosines = singular values of U·Vᵀ (accurate for large angles);
 * sines = singular values of the residual B = V_s − (V_s·U_bᵀ)·U_b of the lower-rank basis against the higher-rank
 * one, projected twice (accurate for small angles). Both lists are sorted in ascending angle order and combined index
 * by index — the sine-based angle where it is below π/4, the cosine-based one otherwise — so the result is consistent
 * even when the angles straddle π/4. There are min(rank X, rank Y) angles.
 */
export function principalAnglesPair(
  x: ArrayLike<number>, n: number, y: ArrayLike<number>, m: number, d: number,
  tol = DEFAULT_RANK_TOL, xOffset = 0, yOffset = 0,
): AnglesPair {
  const bx = basisGroup(x, n, d, tol, xOffset);
  const by = basisGroup(y, m, d, tol, yOffset);
  const rx = bx.rank, ry = by.rank;
  const k = Math.min(rx, ry);
  if (k === 0) return { angles: new Float64Array(0), cos: new Float64Array(0), sin: new Float64Array(0), rankX: rx, rankY: ry };
  const uvt = mmT(bx.u.subarray(0, rx * d), by.u.subarray(0, ry * d), rx, d, ry);
  const cos = singularValues(uvt, rx, ry).subarray(0, k);
  // The smaller basis is projected onto the orthogonal complement of the bigger one (ties: Y's onto X's).
  const [small, rs, big, rb] = ry <= rx ? [by.u, ry, bx.u, rx] : [bx.u, rx, by.u, ry];
  const b = Float64Array.from(small.subarray(0, rs * d));
  for (let pass = 0; pass < 2; pass++) {
    const coef = mmT(b, big.subarray(0, rb * d), rs, d, rb);
    for (let i = 0; i < rs; i++) {
      for (let j = 0; j < rb; j++) {
        const c = coef[i * rb + j];
        for (let t = 0; t < d; t++) b[i * d + t] -= c * big[j * d + t];
      }
    }
  }
  const sin = jacobiRowNorms(b, rs, d).sort((p, q) => p - q);
  return { angles: combineAngles(cos, sin, k), cos: Float64Array.from(cos), sin, rankX: rx, rankY: ry };
}

export interface PairShape {
  pairs: number;
  /** Vectors per X group. */
  n: number;
  /** Vectors per Y group (default n). */
  m?: number;
  d: number;
}

/**
 * Batched principal angles: x [pairs, n, d], y [pairs, m, d] → angles [pairs, min(n, m)] (ascending, NaN beyond the
 * pair's count) and count [pairs] = min(rank X, rank Y).
 */
export function principalAnglesRef(x: ArrayLike<number>, y: ArrayLike<number>, shape: PairShape, tol = DEFAULT_RANK_TOL) {
  const { pairs, n, d } = shape;
  const m = shape.m ?? n;
  const kOut = Math.min(n, m);
  const angles = new Float64Array(pairs * kOut).fill(NaN);
  const count = new Uint32Array(pairs);
  for (let g = 0; g < pairs; g++) {
    const r = principalAnglesPair(x, n, y, m, d, tol, g * n * d, g * m * d);
    angles.set(r.angles, g * kOut);
    count[g] = r.angles.length;
  }
  return { angles, count };
}

// ---------------------------------------------------------------------------------------------------------------
// Training losses (no SVD: smooth, finite gradients)

export interface PairLoss {
  loss: number;
  /** ∂loss/∂X (n×d) and ∂loss/∂Y (m×d). */
  gx: Float64Array;
  gy: Float64Array;
  /**
   * The gradient as coefficients on the stacked rows Z = [X; Y]: [gX; gY] = coef·Z, coef (n+m)×(n+m) — the form the
   * GPU kernel produces (only n×n and n×m solves and products, then one (n+m)×d product).
   */
  coef: Float64Array;
}

function stackedGrad(coef: Float64Array, x: ArrayLike<number>, xo: number, n: number, y: ArrayLike<number>, yo: number, m: number, d: number) {
  const nm = n + m;
  const gx = new Float64Array(n * d), gy = new Float64Array(m * d);
  for (let r = 0; r < nm; r++) {
    const out = r < n ? gx : gy;
    const ro = (r < n ? r : r - n) * d;
    for (let k = 0; k < nm; k++) {
      const c = coef[r * nm + k];
      if (c === 0) continue;
      const src = k < n ? x : y;
      const so = k < n ? xo + k * d : yo + (k - n) * d;
      for (let t = 0; t < d; t++) out[ro + t] += c * src[so + t];
    }
  }
  return { gx, gy };
}

function block(a: Float64Array, nm: number, r0: number, c0: number, r: number, c: number): Float64Array {
  const out = new Float64Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[i * c + j] = a[(r0 + i) * nm + c0 + j];
  return out;
}

function setBlock(a: Float64Array, nm: number, r0: number, c0: number, b: ArrayLike<number>, r: number, c: number, scale: number) {
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) a[(r0 + i) * nm + c0 + j] += scale * b[i * c + j];
}

/** Joint Gram W = Z·Zᵀ of the stacked rows Z = [X; Y], (n+m)×(n+m). */
export function jointGram(x: ArrayLike<number>, xo: number, n: number, y: ArrayLike<number>, yo: number, m: number, d: number): Float64Array {
  const nm = n + m;
  const w = new Float64Array(nm * nm);
  for (let i = 0; i < nm; i++) {
    for (let j = i; j < nm; j++) {
      const [a, ao] = i < n ? [x, xo + i * d] : [y, yo + (i - n) * d];
      const [b, bo] = j < n ? [x, xo + j * d] : [y, yo + (j - n) * d];
      const s = dot(a, ao, b, bo, d);
      w[i * nm + j] = s;
      w[j * nm + i] = s;
    }
  }
  return w;
}

/**
 * Symmetric projection distance between the ridge-regularised projectors of one pair,
 *
 *   d(X, Y) = ½‖P_X − P_Y‖²_F,  P_X = Xᵀ K_X X,  K_X = G_X⁻¹,  G_X = X·Xᵀ + ρI  (n×n; rows-as-vectors layout),
 *
 * evaluated with n×n / m×m / n×m matrices only (C = X·Yᵀ, R_X = K_X·X·Xᵀ = I − ρK_X, so tr P_X² = ‖R_X‖²_F):
 *
 *   d = ½‖R_X‖²_F + ½‖R_Y‖²_F − tr(K_X C K_Y Cᵀ).
 *
 * For ρ → 0 and full-rank groups P_X is the orthogonal projector, ‖R_X‖² = n, and d = ½(n + m) − tr(P_X P_Y)
 * = ½(n + m) − Σ cos²θ_i: zero only when the spans coincide (unlike k − ‖UᵀV‖², which vanishes whenever one span
 * contains the other). With ρ > 0 the formula is exact for the regularised (non-idempotent) projectors: directions
 * with singular value σ ≪ √ρ fade out smoothly, so the loss has no rank jumps and finite gradients everywhere; the
 * rank per group is fixed at its number of vectors. Note d(R·Y, Y) = O(ρ) rather than 0 for a non-orthogonal mixing
 * R, since the regularised projector depends on the spanning set.
 *
 * Gradient (M = K_X C K_Y, S = M Cᵀ K_X, T = K_Y Cᵀ M):
 *
 *   ∂d/∂X = 2[(ρ K_X² R_X + S)·X − M·Y],  ∂d/∂Y = 2[(ρ K_Y² R_Y + T)·Y − Mᵀ·X],
 *
 * from d tr(K C K_Y Cᵀ) = 2⟨M, dC⟩ − ⟨S, dG_X⟩, d tr R_X² = 2ρ⟨K_X² R_X, dG_X⟩ and ⟨A, dG_X⟩ = 2⟨A·X, dX⟩.
 */
export function projectionDistancePair(
  x: ArrayLike<number>, n: number, y: ArrayLike<number>, m: number, d: number, ridge = DEFAULT_RIDGE, xo = 0, yo = 0,
): PairLoss {
  if (!(ridge > 0)) throw new RangeError(`projection distance: ridge must be > 0, got ${ridge}`);
  const nm = n + m;
  const w = jointGram(x, xo, n, y, yo, m, d);
  const gxr = block(w, nm, 0, 0, n, n), gyr = block(w, nm, n, n, m, m), c = block(w, nm, 0, n, n, m);
  const gx = Float64Array.from(gxr), gy = Float64Array.from(gyr);
  for (let i = 0; i < n; i++) gx[i * n + i] += ridge;
  for (let i = 0; i < m; i++) gy[i * m + i] += ridge;
  const kx = spdInverse(gx, n), ky = spdInverse(gy, m);
  const rx = mm(kx, gxr, n, n, n), ry = mm(ky, gyr, m, m, m);
  const u = mm(kx, c, n, n, m); // K_X C
  const mMat = mm(u, ky, n, m, m); // M = K_X C K_Y
  const s = mmT(mMat, u, n, m, n); // S = M (K_X C)ᵀ = M Cᵀ K_X
  const t = mm(transpose(c, n, m), mMat, m, n, m); // Cᵀ M
  const tMat = mm(ky, t, m, m, m); // T = K_Y Cᵀ M
  let f = 0;
  for (let i = 0; i < n * m; i++) f += mMat[i] * c[i];
  let trx2 = 0, try2 = 0;
  for (let i = 0; i < n * n; i++) trx2 += rx[i] * rx[i];
  for (let i = 0; i < m * m; i++) try2 += ry[i] * ry[i];
  const loss = 0.5 * trx2 + 0.5 * try2 - f;
  const ax = mm(mm(kx, kx, n, n, n), rx, n, n, n);
  const ay = mm(mm(ky, ky, m, m, m), ry, m, m, m);
  const coef = new Float64Array(nm * nm);
  setBlock(coef, nm, 0, 0, ax, n, n, 2 * ridge);
  setBlock(coef, nm, 0, 0, s, n, n, 2);
  setBlock(coef, nm, 0, n, mMat, n, m, -2);
  setBlock(coef, nm, n, 0, transpose(mMat, n, m), m, n, -2);
  setBlock(coef, nm, n, n, ay, m, m, 2 * ridge);
  setBlock(coef, nm, n, n, tMat, m, m, 2);
  return { loss, coef, ...stackedGrad(coef, x, xo, n, y, yo, m, d) };
}

/**
 * Second-moment matching of one pair: ‖XᵀX/n − YᵀY/m‖²_F (the d×d uncentred second moments; rows-as-vectors layout),
 * evaluated in the shared span of both groups through the Grams only — no d×d matrix:
 *
 *   L = ‖X·Xᵀ‖²_F/n² + ‖Y·Yᵀ‖²_F/m² − 2‖X·Yᵀ‖²_F/(nm),
 *   ∂L/∂X = (4/n²)(X·Xᵀ)·X − (4/(nm))(X·Yᵀ)·Y,  ∂L/∂Y = (4/m²)(Y·Yᵀ)·Y − (4/(nm))(Y·Xᵀ)·X.
 *
 * Uncentred by default: centring removes the mean direction, which carries the class. With `center`, X and Y are
 * replaced by X − 1x̄ᵀ and Y − 1ȳᵀ (covariances, 1/n normalisation); the same formulas hold with the double-centred
 * Grams H·G·H, and since H is idempotent the coefficients already include the chain rule through the centring.
 */
export function momentLossPair(
  x: ArrayLike<number>, n: number, y: ArrayLike<number>, m: number, d: number, center = false, xo = 0, yo = 0,
): PairLoss {
  const nm = n + m;
  const w = jointGram(x, xo, n, y, yo, m, d);
  if (center) {
    // H W H with H = blockdiag(I − 11ᵀ/n, I − 11ᵀ/m).
    const h = new Float64Array(nm * nm);
    for (let i = 0; i < nm; i++) {
      for (let j = 0; j < nm; j++) {
        const same = (i < n) === (j < n);
        h[i * nm + j] = (i === j ? 1 : 0) - (same ? 1 / (i < n ? n : m) : 0);
      }
    }
    const hw = mm(mm(h, w, nm, nm, nm), h, nm, nm, nm);
    w.set(hw);
  }
  let loss = 0;
  const coef = new Float64Array(nm * nm);
  for (let i = 0; i < nm; i++) {
    for (let j = 0; j < nm; j++) {
      const v = w[i * nm + j];
      const xi = i < n, xj = j < n;
      const f = xi && xj ? 1 / (n * n) : !xi && !xj ? 1 / (m * m) : -1 / (n * m);
      loss += f * v * v;
      coef[i * nm + j] = 4 * f * v;
    }
  }
  return { loss, coef, ...stackedGrad(coef, x, xo, n, y, yo, m, d) };
}

export interface LossOptions {
  /** Weight of the projection distance (default 1). */
  proj?: number;
  /** Weight of the second-moment matching (default 0: off). */
  moment?: number;
  /** Ridge ρ of the projection distance (default DEFAULT_RIDGE). */
  ridge?: number;
  /** Centre the groups in the moment term (default false: uncentred). */
  center?: boolean;
  /** Reduction over pairs of the returned value and gradients (default 'mean'). */
  reduction?: 'mean' | 'sum';
}

export interface LossResult {
  /** Per-pair values, [pairs]. */
  perPair: Float64Array;
  /** The reduced value (mean or sum over pairs). */
  value: number;
  /** Gradients of `value` w.r.t. x [pairs, n, d] and y [pairs, m, d]. */
  gx: Float64Array;
  gy: Float64Array;
}

/** Batched loss proj·d(X, Y) + moment·L(X, Y) over pairs, reduced by mean (default) or sum, with gradients. */
export function subspaceLossRef(x: ArrayLike<number>, y: ArrayLike<number>, shape: PairShape, opts: LossOptions = {}): LossResult {
  const { pairs, n, d } = shape;
  const m = shape.m ?? n;
  const wp = opts.proj ?? 1, wm = opts.moment ?? 0;
  const scale = (opts.reduction ?? 'mean') === 'mean' ? 1 / pairs : 1;
  const perPair = new Float64Array(pairs);
  const gx = new Float64Array(pairs * n * d), gy = new Float64Array(pairs * m * d);
  let value = 0;
  for (let g = 0; g < pairs; g++) {
    const xo = g * n * d, yo = g * m * d;
    let l = 0;
    const add = (r: PairLoss, w: number) => {
      l += w * r.loss;
      for (let i = 0; i < n * d; i++) gx[xo + i] += scale * w * r.gx[i];
      for (let i = 0; i < m * d; i++) gy[yo + i] += scale * w * r.gy[i];
    };
    if (wp !== 0) add(projectionDistancePair(x, n, y, m, d, opts.ridge ?? DEFAULT_RIDGE, xo, yo), wp);
    if (wm !== 0) add(momentLossPair(x, n, y, m, d, !!opts.center, xo, yo), wm);
    perPair[g] = l;
    value += scale * l;
  }
  return { perPair, value, gx, gy };
}

// ---------------------------------------------------------------------------------------------------------------
// Gradient checking

export interface GradCheckResult {
  ok: boolean;
  /** Largest |fd − analytic| / (atol + rtol·|fd|) over the checked coordinates (≤ 1 passes). */
  worstRatio: number;
  worst: { index: number; analytic: number; fd: number } | null;
  checked: number;
  message: string;
}

/**
 * Compares an analytic gradient with central finite differences of a float64 f, coordinate by coordinate (all of
 * them, or `indices`). The default stencil is the fourth-order central difference
 * [8(f(x+h) − f(x−h)) − (f(x+2h) − f(x−2h))] / 12h, whose O(h⁴) truncation allows a larger step — less round-off
 * — where the loss curves on a short scale (the ridge scale √ρ near rank-deficient groups); `order: 2` gives the plain
 * (f(x+h) − f(x−h)) / 2h. Passes when |fd − g| ≤ atol + rtol·|fd| everywhere, where atol defaults to
 * rtol·max|fd| + 1e-8 (errors are judged against the gradient's scale, so near-zero components do not demand
 * impossible relative accuracy).
 */
export function checkGradient(
  f: (x: Float64Array) => number,
  x0: ArrayLike<number>,
  grad: ArrayLike<number>,
  opts: { h?: number; rtol?: number; atol?: number; order?: 2 | 4; indices?: number[]; name?: string } = {},
): GradCheckResult {
  const x = Float64Array.from(x0 as ArrayLike<number>);
  const order = opts.order ?? 4;
  const h = opts.h ?? (order === 4 ? 1e-4 : 1e-6);
  const rtol = opts.rtol ?? 1e-5;
  const idx = opts.indices ?? Array.from({ length: x.length }, (_, i) => i);
  const fd = new Float64Array(idx.length);
  const at = (i: number, xi: number, delta: number) => {
    x[i] = xi + delta;
    const v = f(x);
    x[i] = xi;
    return v;
  };
  for (const [k, i] of idx.entries()) {
    const xi = x[i];
    const step = h * Math.max(1, Math.abs(xi));
    const d1 = at(i, xi, step) - at(i, xi, -step);
    fd[k] = order === 2 ? d1 / (2 * step) : (8 * d1 - (at(i, xi, 2 * step) - at(i, xi, -2 * step))) / (12 * step);
  }
  let scale = 0;
  for (const v of fd) scale = Math.max(scale, Math.abs(v));
  // Float64 central differences carry ~ε·|terms|/h ≈ 1e-10 of noise for O(1) losses: an absolute floor of 1e-8 keeps
  // points where the exact gradient is 0 (e.g. X = Y) checkable without hiding real errors.
  const atol = opts.atol ?? rtol * scale + 1e-8;
  let worstRatio = 0;
  let worst: GradCheckResult['worst'] = null;
  for (const [k, i] of idx.entries()) {
    const err = Math.abs(fd[k] - grad[i]);
    const ratio = Number.isNaN(err) ? Infinity : err / (atol + rtol * Math.abs(fd[k]));
    if (ratio > worstRatio || worst === null) {
      worstRatio = ratio;
      worst = { index: i, analytic: grad[i], fd: fd[k] };
    }
  }
  const ok = worstRatio <= 1;
  const name = opts.name ?? 'gradient';
  const w = worst ? ` worst [${worst.index}] analytic ${worst.analytic.toExponential(6)} vs fd ${worst.fd.toExponential(6)}` : '';
  return { ok, worstRatio, worst, checked: idx.length, message: `${name}: ${ok ? 'ok' : 'MISMATCH'} (error/tolerance ${worstRatio.toExponential(2)}, rtol ${rtol}, atol ${atol.toExponential(2)};${w})` };
}
