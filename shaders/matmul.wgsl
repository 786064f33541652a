// Batched matmul with optional transposes: C[b] = alpha * op(A[b]) * op(B[b]) + beta * C[b].
// op(A) is M x K (stored K x M when TRANS_A), op(B) is K x N (stored N x K when TRANS_B), C is M x N, row-major.
// Register-tiled: each invocation owns a 4 x 4 block of C and reads straight from global memory (no workgroup
// memory: on software adapters barriers cost 7-11x; tuned tilings for discrete GPUs belong to the speed work).
// A batch stride of 0 broadcasts that operand over the batch.

struct Params {
  M: u32, N: u32, K: u32, batch: u32,
  strideA: u32, strideB: u32, strideC: u32,
  alpha: f32, beta: f32,
}

override TRANS_A: bool = false;
override TRANS_B: bool = false;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;

fn loadA(base: u32, row: u32, k: u32) -> f32 {
  if (row >= p.M) { return 0.0; }
  if (TRANS_A) { return A[base + k * p.M + row]; }
  return A[base + row * p.K + k];
}

fn loadB(base: u32, k: u32, col: u32) -> f32 {
  if (col >= p.N) { return 0.0; }
  if (TRANS_B) { return B[base + col * p.K + k]; }
  return B[base + k * p.N + col];
}

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let b = gid.z;
  if (b >= p.batch) { return; }
  let row0 = gid.y * 4u;
  let col0 = gid.x * 4u;
  if (row0 >= p.M || col0 >= p.N) { return; }
  let aBase = b * p.strideA;
  let bBase = b * p.strideB;
  var acc: array<vec4<f32>, 4>;
  for (var k = 0u; k < p.K; k = k + 1u) {
    let bv = vec4<f32>(loadB(bBase, k, col0), loadB(bBase, k, col0 + 1u), loadB(bBase, k, col0 + 2u), loadB(bBase, k, col0 + 3u));
    acc[0] = fma(vec4<f32>(loadA(aBase, row0, k)), bv, acc[0]);
    acc[1] = fma(vec4<f32>(loadA(aBase, row0 + 1u, k)), bv, acc[1]);
    acc[2] = fma(vec4<f32>(loadA(aBase, row0 + 2u, k)), bv, acc[2]);
    acc[3] = fma(vec4<f32>(loadA(aBase, row0 + 3u, k)), bv, acc[3]);
  }
  let cBase = b * p.strideC;
  for (var i = 0u; i < 4u; i = i + 1u) {
    let row = row0 + i;
    if (row >= p.M) { break; }
    for (var j = 0u; j < 4u; j = j + 1u) {
      let col = col0 + j;
      if (col >= p.N) { break; }
      let idx = cBase + row * p.N + col;
      var v = p.alpha * acc[i][j];
      if (p.beta != 0.0) { v = v + p.beta * C[idx]; }
      C[idx] = v;
    }
  }
}
