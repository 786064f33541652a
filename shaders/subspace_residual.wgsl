// Directional residual distance of each pair, d(X → Y) = (1/n)·tr(P_X (I − P_Y)), and ∂d/∂X (Y is a fixed target),
// computed from residual vectors so that fp32 never subtracts two traces:
//   e_i = (I − Q_Y Q_Yᵀ)[x_i; 0]                 (length d+m; Q_Y from subspace_residual_basis.wgsl)
//         → X (I − P_Y) Xᵀ = E Eᵀ, top d entries of e_i = (I − P_Y) x_i
//   [Xᵀ; √ρ·I_n] = Q_X R                          (CGS2, Rᵀ R = X Xᵀ + ρI, R upper triangular n x n)
//   d = (1/n)·‖R⁻ᵀ E‖²_F                          (forward substitution; a sum of squares)
//   w_i = top d of (I − Q_X Q_Xᵀ)[(I − P_Y) x_i; 0] = (I − P_X)(I − P_Y) x_i
//   ∂d/∂X = (2/n)·R⁻¹R⁻ᵀ W                        (= (2/n)·S·X·(I − P_Y)·(I − P_X), S = (X Xᵀ + ρI)⁻¹)
// One workgroup per pair; thread t owns the entries e ≡ t (mod 64) of every vector, so only dot products cross threads.
// Prepended: workgroup_sum.wgsl. Per-pair scratch in `work`: E (n x (d+m)), F (n x (d+m)), Q_X (n x (d+n)), W (n x (d+n)).

struct Params {
  pairs: u32, n: u32, m: u32, d: u32,
  ridge: f32, gradScale: f32, accumulate: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> QY: array<f32>;
@group(0) @binding(3) var<storage, read> targetOf: array<u32>;
@group(0) @binding(4) var<storage, read_write> work: array<f32>;
@group(0) @binding(5) var<storage, read_write> gx: array<f32>;
@group(0) @binding(6) var<storage, read_write> perPair: array<f32>;

const WG: u32 = 64u;
var<workgroup> part: array<f32, 2048>; // [k][thread] partial dot products, k < 32
var<workgroup> coef: array<f32, 32>;
var<workgroup> R: array<f32, 1024>;    // R[k * 32 + i]

// Entry e of row k of the projection basis: the target's Q_Y (read-only binding) or Q_X in `work`.
fn basisAt(fromQY: bool, i: u32) -> f32 {
  if (fromQY) { return QY[i]; }
  return work[i];
}

// coef[k] = Σ_e a[aBase + k·aStride + e] · work[v + e] for k < count, e < len (a is QY or work, by `fromQY`).
fn dots(fromQY: bool, aBase: u32, aStride: u32, count: u32, v: u32, len: u32, t: u32) {
  for (var k = 0u; k < count; k++) {
    var s = 0.0;
    for (var e = t; e < len; e += WG) {
      s = fma(basisAt(fromQY, aBase + k * aStride + e), work[v + e], s);
    }
    part[k * WG + t] = s;
  }
  workgroupBarrier();
  if (t < count) {
    var s = 0.0;
    for (var i = 0u; i < WG; i++) { s += part[t * WG + i]; }
    coef[t] = s;
  }
  workgroupBarrier();
}

// work[v..v+len) −= Σ_k coef[k] · a[aBase + k·aStride ..], twice with fresh coefficients (CGS2).
// With `rCol` < 32 the coefficients of both passes are added into column rCol of R (the basis construction).
fn project2(fromQY: bool, aBase: u32, aStride: u32, count: u32, v: u32, len: u32, rCol: u32, t: u32) {
  for (var sweep = 0u; sweep < 2u; sweep++) {
    dots(fromQY, aBase, aStride, count, v, len, t);
    if (rCol < 32u && t < count) { R[t * 32u + rCol] += coef[t]; }
    for (var e = t; e < len; e += WG) {
      var x = work[v + e];
      for (var k = 0u; k < count; k++) {
        x = fma(-coef[k], basisAt(fromQY, aBase + k * aStride + e), x);
      }
      work[v + e] = x;
    }
    workgroupBarrier();
  }
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) t: u32) {
  let pr = wid.x + wid.y * nwg.x;
  if (pr >= p.pairs) { return; }
  let n = p.n;
  let m = p.m;
  let d = p.d;
  let L = d + m;
  let LX = d + n;
  let sr = sqrt(p.ridge);
  let qy = targetOf[pr] * m * L;
  let eB = pr * (2u * n * L + 2u * n * LX);
  let fB = eB + n * L;
  let qB = fB + n * L;
  let wB = qB + n * LX;
  let xB = pr * n * d;
  for (var e = t; e < 1024u; e += WG) { R[e] = 0.0; }
  workgroupBarrier();

  // E: the target's residual of every row of X.
  for (var i = 0u; i < n; i++) {
    for (var e = t; e < L; e += WG) { work[eB + i * L + e] = select(0.0, X[xB + i * d + min(e, d - 1u)], e < d); }
    project2(true, qy, L, m, eB + i * L, L, 32u, t);
  }

  // Q_X, R: CGS2 of the ridge-augmented rows of X.
  for (var i = 0u; i < n; i++) {
    let v = qB + i * LX;
    for (var e = t; e < LX; e += WG) {
      work[v + e] = select(select(0.0, sr, e == d + i), X[xB + i * d + min(e, d - 1u)], e < d);
    }
    project2(false, qB, LX, i, v, LX, i, t);
    var s = 0.0;
    for (var e = t; e < LX; e += WG) { s = fma(work[v + e], work[v + e], s); }
    let nrm = sqrt(workgroupSum(s, t));
    if (t == 0u) { R[i * 32u + i] = nrm; }
    for (var e = t; e < LX; e += WG) { work[v + e] /= nrm; }
    workgroupBarrier();
  }

  // Value: F = R⁻ᵀ E (rows: f_i = (e_i − Σ_{k<i} R[k][i] f_k) / R[i][i]), d = ‖F‖²/n.
  var sq = 0.0;
  for (var i = 0u; i < n; i++) {
    let rii = R[i * 32u + i];
    for (var e = t; e < L; e += WG) {
      var f = work[eB + i * L + e];
      for (var k = 0u; k < i; k++) { f = fma(-R[k * 32u + i], work[fB + k * L + e], f); }
      f /= rii;
      work[fB + i * L + e] = f;
      sq = fma(f, f, sq);
    }
  }
  let total = workgroupSum(sq, t);
  if (t == 0u) { perPair[pr] = total / f32(n); }

  // Gradient: W rows = (I − P_X)(I − P_Y) x_i, then (2/n)·R⁻¹ R⁻ᵀ W.
  for (var i = 0u; i < n; i++) {
    let v = wB + i * LX;
    for (var e = t; e < LX; e += WG) { work[v + e] = select(0.0, work[eB + i * L + min(e, d - 1u)], e < d); }
    project2(false, qB, LX, n, v, LX, 32u, t);
  }
  for (var i = 0u; i < n; i++) {
    let rii = R[i * 32u + i];
    for (var e = t; e < d; e += WG) {
      var h = work[wB + i * LX + e];
      for (var k = 0u; k < i; k++) { h = fma(-R[k * 32u + i], work[wB + k * LX + e], h); }
      work[wB + i * LX + e] = h / rii;
    }
  }
  let scale = p.gradScale * 2.0 / f32(n);
  for (var ii = 0u; ii < n; ii++) {
    let i = n - 1u - ii;
    let rii = R[i * 32u + i];
    for (var e = t; e < d; e += WG) {
      var g = work[wB + i * LX + e];
      for (var k = i + 1u; k < n; k++) { g = fma(-R[i * 32u + k], work[wB + k * LX + e], g); }
      g /= rii;
      work[wB + i * LX + e] = g;
      let o = xB + i * d + e;
      gx[o] = select(0.0, gx[o], p.accumulate != 0u) + scale * g;
    }
  }
}
