// Orthonormal basis of each target group's ridge-augmented columns, for the residual distance (subspace_residual.wgsl):
//   Q_g = orth([Y_gᵀ; √ρ·I_m])  ((d+m) x m, stored as m rows of length d+m),
// so that for any x, ‖(I − Q Qᵀ)[x; 0]‖² = xᵀ(I − P_Y)x with the ridge projector P_Y = Yᵀ(Y Yᵀ + ρI)⁻¹Y, and the top d
// entries of that residual are (I − P_Y)x. The √ρ rows keep the columns independent: the condition number is
// √((σ_max² + ρ)/ρ) whatever the group's own conditioning, and classical Gram–Schmidt applied twice (CGS2) is then
// accurate to ~ε₃₂ times it.
// One workgroup per target group; thread t owns the vector entries e ≡ t (mod 64), so only the dot products cross
// threads (through workgroup memory). Prepended: workgroup_sum.wgsl.

struct Params {
  targets: u32, m: u32, d: u32, ridge: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> Y: array<f32>;
@group(0) @binding(2) var<storage, read_write> Q: array<f32>;

const WG: u32 = 64u;
var<workgroup> part: array<f32, 2048>; // [k][thread] partial dot products, k < 32
var<workgroup> coef: array<f32, 32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) t: u32) {
  let g = wid.x + wid.y * nwg.x;
  if (g >= p.targets) { return; }
  let m = p.m;
  let d = p.d;
  let L = d + m;
  let sr = sqrt(p.ridge);
  let qBase = g * m * L;
  for (var j = 0u; j < m; j++) {
    let vj = qBase + j * L;
    for (var e = t; e < L; e += WG) {
      if (e < d) { Q[vj + e] = Y[(g * m + j) * d + e]; } else { Q[vj + e] = select(0.0, sr, e - d == j); }
    }
    for (var sweep = 0u; sweep < 2u; sweep++) {
      for (var k = 0u; k < j; k++) {
        var s = 0.0;
        for (var e = t; e < L; e += WG) { s = fma(Q[qBase + k * L + e], Q[vj + e], s); }
        part[k * WG + t] = s;
      }
      workgroupBarrier();
      if (t < j) {
        var s = 0.0;
        for (var i = 0u; i < WG; i++) { s += part[t * WG + i]; }
        coef[t] = s;
      }
      workgroupBarrier();
      for (var e = t; e < L; e += WG) {
        var v = Q[vj + e];
        for (var k = 0u; k < j; k++) { v = fma(-coef[k], Q[qBase + k * L + e], v); }
        Q[vj + e] = v;
      }
    }
    var s = 0.0;
    for (var e = t; e < L; e += WG) { s = fma(Q[vj + e], Q[vj + e], s); }
    let inv = 1.0 / sqrt(workgroupSum(s, t));
    for (var e = t; e < L; e += WG) { Q[vj + e] *= inv; }
    workgroupBarrier();
  }
}
