// Subspace losses of each pair from its joint Gram W = [[X Xᵀ, X Yᵀ], [Y Xᵀ, Y Yᵀ]] (subspace_gram.wgsl):
//   per-pair loss = wProj * d(X, Y) + wMom * L(X, Y), and the gradient in coefficient form: Coef (n+m) x (n+m) with
//   [dloss/dX; dloss/dY] = Coef [X; Y] (applied by subspace_apply.wgsl). No SVD anywhere: smooth, finite gradients.
// Rows are vectors (X is n x d); G_X = X Xᵀ + rho I, K_X = G_X^-1, C = X Yᵀ, R_X = K_X X Xᵀ (= I - rho K_X):
//   d = 1/2 |P_X - P_Y|_F^2 of the ridge-regularised projectors P_X = Xᵀ K_X X
//     = 1/2 |R_X|_F^2 + 1/2 |R_Y|_F^2 - tr(K_X C K_Y Cᵀ);
//   with M = K_X C K_Y, S = M Cᵀ K_X, T = K_Y Cᵀ M:
//   dd/dX = 2 [(rho K_X² R_X + S) X - M Y],  dd/dY = 2 [(rho K_Y² R_Y + T) Y - Mᵀ X].
//   L = |XᵀX/n - YᵀY/m|_F^2 = |X Xᵀ|²/n² + |Y Yᵀ|²/m² - 2 |X Yᵀ|²/(nm), optionally of the centred groups (W -> H W H);
//   dL/dX = 4/n² (X Xᵀ) X - 4/(nm) (X Yᵀ) Y, and the same with H W H when centred (H is idempotent, so these
//   coefficients applied to the raw rows already include the chain rule through the centring).
// One workgroup per pair, n, m <= 32; K_X, K_Y by LDLᵀ factorisation and unit-triangular inversion in workgroup
// memory; Coef doubles as scratch for M, S and T.

struct Params {
  pairs: u32, n: u32, m: u32, center: u32,
  ridge: f32, wProj: f32, wMom: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> W: array<f32>;
@group(0) @binding(2) var<storage, read_write> Coef: array<f32>;
@group(0) @binding(3) var<storage, read_write> loss: array<f32>;

const WG: u32 = 64u;
const S: u32 = 32u;       // row stride of the small matrices
const KX: u32 = 0u;       // A[KX..]: K_X (n x n)
const KY: u32 = 1024u;    // A[KY..]: K_Y (m x m)
const TT: u32 = 2048u;    // A[TT..]: scratch
var<workgroup> A: array<f32, 3072>;
var<workgroup> dg: array<f32, 32>;
var<workgroup> red: array<f32, 64>;
var<workgroup> means: array<f32, 128>;

// In place: A[base] (k x k, SPD) -> its inverse, via G = L D Lᵀ (L unit lower), L^-1 by columns, G^-1 = L^-ᵀ D^-1 L^-1.
// Uses A[TT..] as scratch. Call from uniform control flow; ends with a barrier.
fn spdInvert(base: u32, k: u32, t: u32) {
  for (var c = 0u; c < k; c++) {
    let piv = max(A[base + c * S + c], 1e-30);
    let rem = k - c - 1u;
    for (var e = t; e < rem * rem; e += WG) {
      let i = c + 1u + e / rem;
      let j = c + 1u + e % rem;
      if (j <= i) { A[base + i * S + j] -= A[base + i * S + c] * A[base + j * S + c] / piv; }
    }
    workgroupBarrier();
  }
  if (t < k) { dg[t] = max(A[base + t * S + t], 1e-30); }
  workgroupBarrier();
  if (t < k) {
    // column t of L^-1 (unit lower): M[i][t] = -sum_{c=t}^{i-1} l_ic M[c][t], l_ic = A[i][c] / D_c
    for (var i = 0u; i < k; i++) {
      var v = select(0.0, 1.0, i == t);
      if (i > t) {
        var s = 0.0;
        for (var c = t; c < i; c++) { s = fma(A[base + i * S + c] / dg[c], A[TT + c * S + t], s); }
        v = -s;
      }
      A[TT + i * S + t] = v;
    }
  }
  workgroupBarrier();
  for (var e = t; e < k * k; e += WG) {
    let i = e / k;
    let j = e % k;
    var s = 0.0;
    for (var c = max(i, j); c < k; c++) { s = fma(A[TT + c * S + i] / dg[c], A[TT + c * S + j], s); }
    A[base + i * S + j] = s;
  }
  workgroupBarrier();
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) t: u32) {
  let g = wid.x + wid.y * nwg.x;
  if (g >= p.pairs) { return; }
  let n = p.n;
  let m = p.m;
  let N = n + m;
  let wb = g * N * N;
  let cb = wb;
  let rho = p.ridge;
  var lpart = 0.0;

  if (p.wProj != 0.0) {
    for (var e = t; e < n * n; e += WG) {
      let i = e / n;
      let j = e % n;
      A[KX + i * S + j] = W[wb + i * N + j] + select(0.0, rho, i == j);
    }
    for (var e = t; e < m * m; e += WG) {
      let i = e / m;
      let j = e % m;
      A[KY + i * S + j] = W[wb + (n + i) * N + n + j] + select(0.0, rho, i == j);
    }
    workgroupBarrier();
    spdInvert(KX, n, t);
    spdInvert(KY, m, t);

    // U = K_X C -> scratch (n x m)
    for (var e = t; e < n * m; e += WG) {
      let i = e / m;
      let j = e % m;
      var s = 0.0;
      for (var k = 0u; k < n; k++) { s = fma(A[KX + i * S + k], W[wb + k * N + n + j], s); }
      A[TT + i * S + j] = s;
    }
    workgroupBarrier();
    // M = U K_Y -> Coef's X-Y block; f = sum M∘C
    var f = 0.0;
    for (var e = t; e < n * m; e += WG) {
      let i = e / m;
      let j = e % m;
      var s = 0.0;
      for (var k = 0u; k < m; k++) { s = fma(A[TT + i * S + k], A[KY + k * S + j], s); }
      Coef[cb + i * N + n + j] = s;
      f = fma(s, W[wb + i * N + n + j], f);
    }
    storageBarrier();
    // S = M Uᵀ -> Coef's X-X block
    for (var e = t; e < n * n; e += WG) {
      let i = e / n;
      let j = e % n;
      var s = 0.0;
      for (var k = 0u; k < m; k++) { s = fma(Coef[cb + i * N + n + k], A[TT + j * S + k], s); }
      Coef[cb + i * N + j] = s;
    }
    storageBarrier();
    // V = C K_Y -> scratch (n x m)
    for (var e = t; e < n * m; e += WG) {
      let i = e / m;
      let j = e % m;
      var s = 0.0;
      for (var k = 0u; k < m; k++) { s = fma(W[wb + i * N + n + k], A[KY + k * S + j], s); }
      A[TT + i * S + j] = s;
    }
    workgroupBarrier();
    // T = Mᵀ V -> Coef's Y-Y block
    for (var e = t; e < m * m; e += WG) {
      let i = e / m;
      let j = e % m;
      var s = 0.0;
      for (var k = 0u; k < n; k++) { s = fma(Coef[cb + k * N + n + i], A[TT + k * S + j], s); }
      Coef[cb + (n + i) * N + n + j] = s;
    }
    storageBarrier();

    // Ridge terms, X then Y: R = K G_raw -> scratch, 1/2 |R|² to the loss; row i of Coef += rho (K R K)[i] (= rho K² R).
    var half = 0.0;
    for (var side = 0u; side < 2u; side++) {
      let k = select(n, m, side == 1u);
      let kb = select(KX, KY, side == 1u);
      let o = select(0u, n, side == 1u);
      for (var e = t; e < k * k; e += WG) {
        let i = e / k;
        let j = e % k;
        var s = 0.0;
        for (var c = 0u; c < k; c++) { s = fma(A[kb + i * S + c], W[wb + (o + c) * N + o + j], s); }
        A[TT + i * S + j] = s;
        half = fma(0.5 * s, s, half);
      }
      workgroupBarrier();
      if (t < k) {
        var prow: array<f32, 32>;
        for (var j = 0u; j < k; j++) {
          var s = 0.0;
          for (var c = 0u; c < k; c++) { s = fma(A[kb + t * S + c], A[TT + c * S + j], s); }
          prow[j] = s;
        }
        for (var j = 0u; j < k; j++) {
          var s = 0.0;
          for (var c = 0u; c < k; c++) { s = fma(prow[c], A[kb + c * S + j], s); }
          let idx = cb + (o + t) * N + o + j;
          Coef[idx] = 2.0 * p.wProj * fma(rho, s, Coef[idx]);
        }
      }
      workgroupBarrier();
    }
    // Cross blocks: Y-X = -2 wProj Mᵀ, then X-Y = -2 wProj M.
    storageBarrier();
    for (var e = t; e < m * n; e += WG) {
      let i = e / n;
      let j = e % n;
      Coef[cb + (n + i) * N + j] = -2.0 * p.wProj * Coef[cb + j * N + n + i];
    }
    storageBarrier();
    for (var e = t; e < n * m; e += WG) {
      let i = e / m;
      let j = e % m;
      Coef[cb + i * N + n + j] *= -2.0 * p.wProj;
    }
    storageBarrier();
    lpart = p.wProj * (half - f);
  }

  if (p.wMom != 0.0 || p.wProj == 0.0) {
    let ctr = p.center != 0u;
    if (ctr) {
      if (t < N) {
        var sx = 0.0;
        var sy = 0.0;
        for (var k = 0u; k < n; k++) { sx += W[wb + t * N + k]; }
        for (var k = 0u; k < m; k++) { sy += W[wb + t * N + n + k]; }
        means[t] = sx / f32(n);
        means[64u + t] = sy / f32(m);
      }
      workgroupBarrier();
    }
    // Block means of W: mu_xx, mu_xy (= mu_yx), mu_yy.
    var mxx = 0.0;
    var mxy = 0.0;
    var myy = 0.0;
    if (ctr) {
      for (var k = 0u; k < n; k++) { mxx += means[k]; mxy += means[64u + k]; }
      for (var k = n; k < N; k++) { myy += means[64u + k]; }
      mxx /= f32(n);
      mxy /= f32(n);
      myy /= f32(m);
    }
    let fn_ = f32(n);
    let fm = f32(m);
    for (var e = t; e < N * N; e += WG) {
      let i = e / N;
      let j = e % N;
      let xi = i < n;
      let xj = j < n;
      var w = W[wb + e];
      if (ctr) {
        let mu = select(select(mxy, myy, !xi && !xj), mxx, xi && xj);
        w = w - select(means[64u + i], means[i], xj) - select(means[64u + j], means[j], xi) + mu;
      }
      let fac = select(select(-1.0 / (fn_ * fm), 1.0 / (fm * fm), !xi && !xj), 1.0 / (fn_ * fn_), xi && xj);
      let base = select(0.0, Coef[cb + e], p.wProj != 0.0);
      Coef[cb + e] = base + p.wMom * 4.0 * fac * w;
      lpart = fma(p.wMom * fac * w, w, lpart);
    }
  }

  red[t] = lpart;
  workgroupBarrier();
  if (t == 0u) {
    var s = 0.0;
    for (var k = 0u; k < WG; k++) { s += red[k]; }
    loss[g] = s;
  }
}
