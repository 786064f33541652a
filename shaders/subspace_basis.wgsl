// Orthonormal basis of the span of each group's rows: classical Gram–Schmidt with one full re-orthogonalisation
// (CGS2) and a numerical-rank threshold. X is [groups, n, d] (rows = vectors), n <= 32. One workgroup per group.
// Outputs: U [groups, n, d] with orthonormal rows 0..rank-1 and zero rows after; L [groups, n, n] with
// x_j = sum_i L[j][i] u_i (lower-trapezoidal: the Gram–Schmidt coefficients); rank [groups].
// A vector whose residual after both passes is <= tol * max_j |x_j| adds no direction.
// The working vector lives in U's row j (global memory); dot products use a 32 x 2 layout: invocation (i, lane)
// sums u_i . v over the columns lane, lane + 2, ...; the 2 partial sums are added by invocation i. 64 invocations:
// software adapters pay per invocation at every barrier, and 256 groups already fill a GPU.

struct Params {
  groups: u32, n: u32, d: u32, tol: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> U: array<f32>;
@group(0) @binding(3) var<storage, read_write> L: array<f32>;
@group(0) @binding(4) var<storage, read_write> rank: array<u32>;

const WG: u32 = 64u;
const LANES: u32 = 2u;
const PASSES: u32 = 2u;

var<workgroup> red: array<f32, 64>;
var<workgroup> coef: array<f32, 32>;
var<workgroup> red8: array<f32, 8>;
var<workgroup> scal: array<f32, 2>;

// Sum of red[0..64) into scal[slot], visible to all after the call (two levels: 8 x 8).
fn reduce64(t: u32, slot: u32) {
  workgroupBarrier();
  if (t < 8u) {
    var s = 0.0;
    for (var k = 0u; k < 8u; k++) { s += red[t * 8u + k]; }
    red8[t] = s;
  }
  workgroupBarrier();
  if (t == 0u) {
    var s = 0.0;
    for (var k = 0u; k < 8u; k++) { s += red8[k]; }
    scal[slot] = s;
  }
  workgroupBarrier();
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) t: u32) {
  let g = wid.x + wid.y * nwg.x;
  if (g >= p.groups) { return; }
  let n = p.n;
  let d = p.d;
  let xb = g * n * d;
  let lb = g * n * n;
  let row = t / LANES;
  let lane = t % LANES;

  for (var e = t; e < n * n; e += WG) { L[lb + e] = 0.0; }

  // Largest squared row norm -> threshold.
  var part = 0.0;
  if (row < n) {
    for (var c = lane; c < d; c += LANES) { let v = X[xb + row * d + c]; part = fma(v, v, part); }
  }
  red[t] = part;
  workgroupBarrier();
  if (t == 0u) {
    var mx = 0.0;
    for (var i = 0u; i < n; i++) {
      var s = 0.0;
      for (var k = 0u; k < LANES; k++) { s += red[i * LANES + k]; }
      mx = max(mx, s);
    }
    scal[0] = sqrt(mx);
  }
  workgroupBarrier();
  let thresh = max(p.tol * scal[0], 1e-30);

  var r = 0u;
  for (var j = 0u; j < n; j++) {
    let vj = xb + j * d;
    for (var c = t; c < d; c += WG) { U[vj + c] = X[vj + c]; }
    storageBarrier();
    for (var sweep = 0u; sweep < PASSES; sweep++) {
      // coef_i = <u_i, v> for i < r, all from the same v (classical Gram–Schmidt).
      var dp = 0.0;
      if (row < r) {
        let ui = xb + row * d;
        for (var c = lane; c < d; c += LANES) { dp = fma(U[ui + c], U[vj + c], dp); }
      }
      red[t] = dp;
      workgroupBarrier();
      if (t < r) {
        var s = 0.0;
        for (var k = 0u; k < LANES; k++) { s += red[t * LANES + k]; }
        coef[t] = s;
        L[lb + j * n + t] += s;
      }
      workgroupBarrier();
      // v -= sum_i coef_i u_i (each invocation owns columns t, t + 64, ...)
      for (var c = t; c < d; c += WG) {
        var v = U[vj + c];
        for (var i = 0u; i < r; i++) { v = fma(-coef[i], U[xb + i * d + c], v); }
        U[vj + c] = v;
      }
      storageBarrier();
    }
    var ss = 0.0;
    for (var c = t; c < d; c += WG) { let v = U[vj + c]; ss = fma(v, v, ss); }
    red[t] = ss;
    reduce64(t, 1u);
    let nrm = sqrt(scal[1]);
    if (nrm > thresh) {
      let inv = 1.0 / nrm;
      let ur = xb + r * d;
      for (var c = t; c < d; c += WG) {
        let v = U[vj + c];
        U[vj + c] = 0.0;
        U[ur + c] = v * inv;
      }
      if (t == 0u) { L[lb + j * n + r] = nrm; }
      r++;
    } else {
      for (var c = t; c < d; c += WG) { U[vj + c] = 0.0; }
    }
    storageBarrier();
  }
  if (t == 0u) { rank[g] = r; }
}
