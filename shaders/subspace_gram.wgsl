// Joint Gram matrix of each pair: W = Z Zᵀ with Z = [X; Y] the stacked rows, (n+m) x (n+m), symmetric:
// W = [[X Xᵀ, X Yᵀ], [Y Xᵀ, Y Yᵀ]]. X is [pairs, n, d], Y is [pairs, m, d], W is [pairs, n+m, n+m]; n + m <= 64.
// One workgroup per pair; each invocation owns 4 x 4 blocks on or above the diagonal (register tiling, no workgroup
// memory) and writes both the block and its mirror. The dot products are summed in chunks of 64 columns, which
// keeps the fp32 error growth at ~(64 + d/64) ulp rather than ~d.
// Accumulators are zeroed explicitly: lavapipe (Mesa 25) was seen to skip the implicit zero-initialisation of a
// `var` declared inside a loop body, carrying the previous iteration's values over.

struct Params {
  pairs: u32, n: u32, m: u32, d: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> Y: array<f32>;
@group(0) @binding(3) var<storage, read_write> W: array<f32>;

const WG: u32 = 64u;

fn z(g: u32, row: u32, c: u32) -> f32 {
  if (row < p.n) { return X[(g * p.n + row) * p.d + c]; }
  if (row < p.n + p.m) { return Y[(g * p.m + row - p.n) * p.d + c]; }
  return 0.0;
}

fn zrow(g: u32, r0: u32, c: u32) -> vec4<f32> {
  return vec4<f32>(z(g, r0, c), z(g, r0 + 1u, c), z(g, r0 + 2u, c), z(g, r0 + 3u, c));
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) t: u32) {
  let g = wid.x + wid.y * nwg.x;
  if (g >= p.pairs) { return; }
  let N = p.n + p.m;
  let nbk = (N + 3u) / 4u;
  let wb = g * N * N;
  for (var blk = t; blk < nbk * nbk; blk += WG) {
    let bi = blk / nbk;
    let bj = blk % nbk;
    if (bi > bj) { continue; }
    let r0 = bi * 4u;
    let s0 = bj * 4u;
    var acc = array<vec4<f32>, 4>(vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0));
    var c0 = 0u;
    loop {
      if (c0 >= p.d) { break; }
      let c1 = min(c0 + 64u, p.d);
      var part = array<vec4<f32>, 4>(vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0));
      for (var c = c0; c < c1; c++) {
        let a = zrow(g, r0, c);
        let b = zrow(g, s0, c);
        part[0] = fma(vec4<f32>(a.x), b, part[0]);
        part[1] = fma(vec4<f32>(a.y), b, part[1]);
        part[2] = fma(vec4<f32>(a.z), b, part[2]);
        part[3] = fma(vec4<f32>(a.w), b, part[3]);
      }
      acc[0] += part[0];
      acc[1] += part[1];
      acc[2] += part[2];
      acc[3] += part[3];
      c0 = c1;
    }
    for (var i = 0u; i < 4u; i++) {
      let row = r0 + i;
      if (row >= N) { break; }
      for (var j = 0u; j < 4u; j++) {
        let col = s0 + j;
        if (col >= N) { break; }
        W[wb + row * N + col] = acc[i][j];
        W[wb + col * N + row] = acc[i][j];
      }
    }
  }
}
