// Principal angles, step 2 of 4 (after the bases U of X and V of Y, subspace_basis.wgsl). One workgroup per pair:
//   Cuv = U Vᵀ  [pairs, n, m]  (its singular values are the cosines of the principal angles), and
//   B = (I - P_big) S  [pairs, nb, d], nb = max(n, m): the rows of the lower-rank basis S (ties: V) minus their
//   projection onto the higher-rank basis, projected twice (the second pass removes what round-off in the first
//   pass's coefficients left inside span(big)). Its singular values are the sines of the principal angles
//   (Knyazev–Argentati); rows rank_small..nb-1 are zero. Ranks come from the basis kernel.

struct Params {
  pairs: u32, n: u32, m: u32, d: u32, nb: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> U: array<f32>;
@group(0) @binding(2) var<storage, read> V: array<f32>;
@group(0) @binding(3) var<storage, read> rankX: array<u32>;
@group(0) @binding(4) var<storage, read> rankY: array<u32>;
@group(0) @binding(5) var<storage, read_write> Cuv: array<f32>;
@group(0) @binding(6) var<storage, read_write> B: array<f32>;

const WG: u32 = 64u;

fn basisAt(isV: bool, idx: u32) -> f32 {
  if (isV) { return V[idx]; }
  return U[idx];
}

var<workgroup> K2: array<f32, 1024>; // second-pass coefficients, [32][32]

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) t: u32) {
  let g = wid.x + wid.y * nwg.x;
  if (g >= p.pairs) { return; }
  let n = p.n;
  let m = p.m;
  let d = p.d;
  let nb = p.nb;
  let rx = rankX[g];
  let ry = rankY[g];
  let smallY = ry <= rx;
  let rs = min(rx, ry);
  let rb = max(rx, ry);
  let ub = g * n * d;
  let vb = g * m * d;
  let cb = g * n * m;
  let bb = g * nb * d;
  // Base offsets of the small and the big basis.
  let sb = select(ub, vb, smallY);
  let gb = select(vb, ub, smallY);

  // 1. Cuv = U Vᵀ (zero rows / columns beyond the ranks come out zero: those basis rows are zero).
  for (var e = t; e < n * m; e += WG) {
    let i = e / m;
    let j = e % m;
    var acc = 0.0;
    var c0 = 0u;
    loop {
      if (c0 >= d) { break; }
      let c1 = min(c0 + 64u, d);
      var part = 0.0;
      for (var c = c0; c < c1; c++) { part = fma(U[ub + i * d + c], V[vb + j * d + c], part); }
      acc += part;
      c0 = c1;
    }
    Cuv[cb + e] = acc;
  }
  storageBarrier();

  // 2. First pass: B_i = S_i - sum_k <S_i, Big_k> Big_k, the coefficients read from Cuv.
  for (var c = t; c < d; c += WG) {
    for (var i = 0u; i < nb; i++) {
      var v = 0.0;
      if (i < rs) {
        v = basisAt(smallY, sb + i * d + c);
        for (var k = 0u; k < rb; k++) {
          var coefk: f32;
          if (smallY) { coefk = Cuv[cb + k * m + i]; } else { coefk = Cuv[cb + i * m + k]; }
          v = fma(-coefk, basisAt(!smallY, gb + k * d + c), v);
        }
      }
      B[bb + i * d + c] = v;
    }
  }
  storageBarrier();

  // 3. Second pass: K2 = B Bigᵀ, then B -= K2 Big.
  for (var e = t; e < rs * rb; e += WG) {
    let i = e / rb;
    let k = e % rb;
    var acc = 0.0;
    for (var c = 0u; c < d; c++) { acc = fma(B[bb + i * d + c], basisAt(!smallY, gb + k * d + c), acc); }
    K2[i * 32u + k] = acc;
  }
  workgroupBarrier();
  for (var c = t; c < d; c += WG) {
    for (var i = 0u; i < rs; i++) {
      var v = B[bb + i * d + c];
      for (var k = 0u; k < rb; k++) { v = fma(-K2[i * 32u + k], basisAt(!smallY, gb + k * d + c), v); }
      B[bb + i * d + c] = v;
    }
  }
}
