// Gradient of the subspace losses from their coefficient form (subspace_loss.wgsl): for each pair,
//   [gX; gY] = scale * Coef [X; Y] (+ the old gX, gY when accumulate != 0),
// Coef [pairs, n+m, n+m], X [pairs, n, d], Y [pairs, m, d]. scale carries the reduction (1/pairs for a mean) and
// the upstream gradient. Grid: (ceil(d / 64), ceil((n+m) / 8), pairs); each invocation owns one column and 8 rows.

struct Params {
  pairs: u32, n: u32, m: u32, d: u32,
  scale: f32, accumulate: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> Coef: array<f32>;
@group(0) @binding(2) var<storage, read> X: array<f32>;
@group(0) @binding(3) var<storage, read> Y: array<f32>;
@group(0) @binding(4) var<storage, read_write> GX: array<f32>;
@group(0) @binding(5) var<storage, read_write> GY: array<f32>;

const ROWS: u32 = 8u;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let g = wid.z;
  let c = wid.x * 64u + lid.x;
  let n = p.n;
  let N = n + p.m;
  let r0 = wid.y * ROWS;
  if (g >= p.pairs || c >= p.d || r0 >= N) { return; }
  let cb = g * N * N;
  var acc = array<f32, 8>(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
  for (var k = 0u; k < N; k++) {
    var zk: f32;
    if (k < n) { zk = X[(g * n + k) * p.d + c]; } else { zk = Y[(g * p.m + k - n) * p.d + c]; }
    for (var r = 0u; r < ROWS; r++) {
      let row = min(r0 + r, N - 1u);
      acc[r] = fma(Coef[cb + row * N + k], zk, acc[r]);
    }
  }
  for (var r = 0u; r < ROWS; r++) {
    let row = r0 + r;
    if (row >= N) { break; }
    if (row < n) {
      let idx = (g * n + row) * p.d + c;
      var v = p.scale * acc[r];
      if (p.accumulate != 0u) { v += GX[idx]; }
      GX[idx] = v;
    } else {
      let idx = (g * p.m + row - n) * p.d + c;
      var v = p.scale * acc[r];
      if (p.accumulate != 0u) { v += GY[idx]; }
      GY[idx] = v;
    }
  }
}
