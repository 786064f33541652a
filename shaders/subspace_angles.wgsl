// Principal angles, step 4 of 4. One workgroup per pair; small matrices in workgroup memory:
//   cosines = singular values of Cuv = U Vᵀ (subspace_cross.wgsl), descending;
//   sines   = singular values of L_B, where B = L_B Q is the Gram–Schmidt factorisation of the residual
//             B = (I - P_big) S (subspace_basis.wgsl on B, Q orthonormal, so B and L_B share singular values), ascending.
// Singular values by parallel one-sided Jacobi on rows (round-robin ordering, one invocation per row pair): rows
// become orthogonal and their norms are the singular values, with high relative accuracy for the small ones.
// Angle i (ascending) = asin(sin_i) where sin_i < sqrt(1/2) (angles below pi/4), acos(cos_i) otherwise: both lists
// are sorted in ascending-angle order and combined index by index. count = min(rank X, rank Y); angles beyond it
// are NaN.

struct Params {
  pairs: u32, n: u32, m: u32, nb: u32,
  kOut: u32, rows: u32, sweeps: u32, tol: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> Cuv: array<f32>;
@group(0) @binding(2) var<storage, read> LB: array<f32>;
@group(0) @binding(3) var<storage, read> rankX: array<u32>;
@group(0) @binding(4) var<storage, read> rankY: array<u32>;
@group(0) @binding(5) var<storage, read_write> angles: array<u32>;
@group(0) @binding(6) var<storage, read_write> count: array<u32>;

const WG: u32 = 64u;
const S: u32 = 32u; // row stride in J
const NAN_BITS: u32 = 0x7fc00000u;
const SQRT_HALF: f32 = 0.70710678118654752;
const HALF_PI: f32 = 1.5707963267948966;

// J[0..1024): Cuv (rows < n, columns < m); J[1024..2048): L_B (rows < nb, columns < nb); zero-padded to 32 x 32.
var<workgroup> J: array<f32, 2048>;
var<workgroup> flags: array<u32, 64>;
var<workgroup> anyRotated: u32;
var<workgroup> sv: array<f32, 64>;
var<workgroup> sorted: array<f32, 64>;

// arcsin on [0, sqrt(1/2)] to ~1 ulp, independent of the platform's asin/acos (WGSL allows them thousands of ulp;
// Mesa's lavapipe is off by ~1e-4 rad). Half-angle reduction y = sin(θ/2) = x / sqrt(2 (1 + sqrt(1 - x²))) <= 0.383,
// then the Maclaurin series asin y = Σ (2k)! / (4^k (k!)² (2k+1)) y^(2k+1), ten terms (y² <= 0.147: remainder < 1e-9).
fn asinSmall(x: f32) -> f32 {
  let y = x / sqrt(2.0 * (1.0 + sqrt(max(1.0 - x * x, 0.0))));
  let z = y * y;
  var s = 0.011637369;
  s = fma(s, z, 0.013092041);
  s = fma(s, z, 0.014699575);
  s = fma(s, z, 0.017352764);
  s = fma(s, z, 0.022372159);
  s = fma(s, z, 0.030381944);
  s = fma(s, z, 0.044642857);
  s = fma(s, z, 0.075);
  s = fma(s, z, 0.16666667);
  return 2.0 * fma(y * z, s, y);
}

// One Jacobi rotation making rows pi and qi of the matrix at `base` orthogonal. Returns 1 if it rotated.
fn rotate(base: u32, pi: u32, qi: u32, cols: u32) -> u32 {
  var alpha = 0.0;
  var beta = 0.0;
  var gamma = 0.0;
  for (var c = 0u; c < cols; c++) {
    let a = J[base + pi * S + c];
    let b = J[base + qi * S + c];
    alpha = fma(a, a, alpha);
    beta = fma(b, b, beta);
    gamma = fma(a, b, gamma);
  }
  if (!(abs(gamma) > p.tol * sqrt(alpha) * sqrt(beta))) { return 0u; }
  let zeta = (beta - alpha) / (2.0 * gamma);
  var tn: f32;
  if (abs(zeta) > 1e15) {
    tn = 0.5 / zeta;
  } else {
    tn = select(-1.0, 1.0, zeta >= 0.0) / (abs(zeta) + sqrt(1.0 + zeta * zeta));
  }
  let cs = 1.0 / sqrt(1.0 + tn * tn);
  let sn = cs * tn;
  for (var c = 0u; c < cols; c++) {
    let a = J[base + pi * S + c];
    let b = J[base + qi * S + c];
    J[base + pi * S + c] = cs * a - sn * b;
    J[base + qi * S + c] = sn * a + cs * b;
  }
  return 1u;
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) t: u32) {
  let g = wid.x + wid.y * nwg.x;
  if (g >= p.pairs) { return; }
  let n = p.n;
  let m = p.m;
  let nb = p.nb;
  let k = min(rankX[g], rankY[g]);

  for (var e = t; e < 1024u; e += WG) {
    let i = e / S;
    let j = e % S;
    J[e] = select(0.0, Cuv[g * n * m + i * m + j], i < n && j < m);
    J[1024u + e] = select(0.0, LB[g * nb * nb + i * nb + j], i < nb && j < nb);
  }
  workgroupBarrier();

  // Invocations 0..31 rotate Cuv's rows, 32..63 L_B's; R = p.rows (even, >= nb) rows in a round-robin tournament:
  // in step s, pair 0 is (s, R-1) and pair h > 0 is ((s + h) mod (R-1), (s - h) mod (R-1)).
  let R = p.rows;
  let h = t % 32u;
  let base = select(0u, 1024u, t >= 32u);
  let cols = select(m, nb, t >= 32u);
  for (var sweep = 0u; sweep < p.sweeps; sweep++) {
    var rotated = 0u;
    for (var s = 0u; s + 1u < R; s++) {
      if (h < R / 2u) {
        var pi = s;
        var qi = R - 1u;
        if (h > 0u) {
          pi = (s + h) % (R - 1u);
          qi = (s + (R - 1u) - h) % (R - 1u);
        }
        rotated |= rotate(base, pi, qi, cols);
      }
      workgroupBarrier();
    }
    flags[t] = rotated;
    workgroupBarrier();
    if (t == 0u) {
      var any = 0u;
      for (var i = 0u; i < WG; i++) { any |= flags[i]; }
      anyRotated = any;
    }
    if (workgroupUniformLoad(&anyRotated) == 0u) { break; }
  }

  // Row norms: cosines (rows < n of Cuv; rows beyond rank X are zero) and sines (rows < k of L_B).
  {
    var s = 0.0;
    for (var c = 0u; c < cols; c++) { let v = J[base + h * S + c]; s = fma(v, v, s); }
    sv[t] = sqrt(s);
  }
  workgroupBarrier();
  // Rank sort: cosines descending over rows < n, sines ascending over rows < k.
  if (t < 32u) {
    if (t < n) {
      var pos = 0u;
      for (var j = 0u; j < n; j++) {
        if (sv[j] > sv[t] || (sv[j] == sv[t] && j < t)) { pos++; }
      }
      sorted[pos] = sv[t];
    }
  } else if (h < k) {
    var pos = 0u;
    for (var j = 0u; j < k; j++) {
      if (sv[32u + j] < sv[t] || (sv[32u + j] == sv[t] && j < h)) { pos++; }
    }
    sorted[32u + pos] = sv[t];
  }
  workgroupBarrier();
  if (t < p.kOut) {
    var bits = NAN_BITS;
    if (t < k) {
      let sn = sorted[32u + t];
      let cs = sorted[t];
      // theta = asin(sin) below pi/4, acos(cos) = pi/2 - asin(cos) above (there cos <= sqrt(1/2)).
      let theta = select(HALF_PI - asinSmall(min(cs, SQRT_HALF)), asinSmall(sn), sn < SQRT_HALF);
      bits = bitcast<u32>(theta);
    }
    angles[g * p.kOut + t] = bits;
  }
  if (t == 0u) { count[g] = k; }
}
