// Executor matmul: Out[b] = alpha · A[b] · B[b] (+ beta · C[b]), every operand a strided view (transposes, broadcast
// batch dims with stride 0 and Gemm's transA/transB are just strides). Out is contiguous [batch, M, N] at outOff.
// Batch index b decomposes over up to 4 batch dims, each operand with its own batch strides.
// Register-tiled: each invocation owns 4 x 4 outputs, no workgroup memory (software adapters pay for barriers).
// Rows/columns past the edge load from a clamped index and are never stored.
//
// Uniform words: 0 M, 1 N, 2 K, 3 batch, 4 batchRank, 5 aOff, 6 bOff, 7 cOff, 8 sAm, 9 sAk, 10 sBk, 11 sBn,
// 12 sCm, 13 sCn, 14 alpha (f32), 15 beta (f32), 16-19 batch dims, 20-23 A batch strides, 24-27 B batch strides,
// 28-31 C batch strides, 32 outOff.

struct Params { v: array<vec4<u32>, 9> }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> O: array<f32>;
@group(0) @binding(4) var<storage, read> C: array<f32>;

fn P(i: u32) -> u32 { return p.v[i >> 2u][i & 3u]; }
fn S(i: u32) -> i32 { return bitcast<i32>(p.v[i >> 2u][i & 3u]); }

struct Tile {
  acc: array<vec4<f32>, 4>,
  row0: u32,
  col0: u32,
  b: u32,
  cBase: i32,
}

fn compute(gid: vec3<u32>) -> Tile {
  var t: Tile;
  t.acc = array<vec4<f32>, 4>(vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0));
  t.row0 = gid.y * 4u;
  t.col0 = gid.x * 4u;
  t.b = gid.z;
  let M = P(0u);
  let N = P(1u);
  let K = P(2u);
  // Batch offsets.
  var aBase: i32 = S(5u);
  var bBase: i32 = S(6u);
  var cBase: i32 = S(7u);
  var rem: u32 = gid.z;
  let br = P(4u);
  for (var k: u32 = 0u; k < br; k = k + 1u) {
    let d = br - 1u - k;
    let size = P(16u + d);
    let c = i32(rem % size);
    rem = rem / size;
    aBase = aBase + c * S(20u + d);
    bBase = bBase + c * S(24u + d);
    cBase = cBase + c * S(28u + d);
  }
  t.cBase = cBase;
  let sAm = S(8u);
  let sAk = S(9u);
  let sBk = S(10u);
  let sBn = S(11u);
  let r0 = aBase + i32(min(t.row0, M - 1u)) * sAm;
  let r1 = aBase + i32(min(t.row0 + 1u, M - 1u)) * sAm;
  let r2 = aBase + i32(min(t.row0 + 2u, M - 1u)) * sAm;
  let r3 = aBase + i32(min(t.row0 + 3u, M - 1u)) * sAm;
  let c0 = bBase + i32(min(t.col0, N - 1u)) * sBn;
  let c1 = bBase + i32(min(t.col0 + 1u, N - 1u)) * sBn;
  let c2 = bBase + i32(min(t.col0 + 2u, N - 1u)) * sBn;
  let c3 = bBase + i32(min(t.col0 + 3u, N - 1u)) * sBn;
  for (var k: u32 = 0u; k < K; k = k + 1u) {
    let ka = i32(k) * sAk;
    let kb = i32(k) * sBk;
    let bv = vec4<f32>(B[u32(c0 + kb)], B[u32(c1 + kb)], B[u32(c2 + kb)], B[u32(c3 + kb)]);
    t.acc[0] = fma(vec4<f32>(A[u32(r0 + ka)]), bv, t.acc[0]);
    t.acc[1] = fma(vec4<f32>(A[u32(r1 + ka)]), bv, t.acc[1]);
    t.acc[2] = fma(vec4<f32>(A[u32(r2 + ka)]), bv, t.acc[2]);
    t.acc[3] = fma(vec4<f32>(A[u32(r3 + ka)]), bv, t.acc[3]);
  }
  return t;
}

// Out = alpha · A·B for the 4 x 4 tile of invocation `gid`.
fn store_plain(gid: vec3<u32>) {
  let M = P(0u);
  let N = P(1u);
  if (gid.z >= P(3u) || gid.y * 4u >= M || gid.x * 4u >= N) { return; }
  let t = compute(gid);
  let alpha = bitcast<f32>(P(14u));
  let oBase = P(32u) + t.b * M * N;
  for (var i: u32 = 0u; i < 4u; i = i + 1u) {
    let row = t.row0 + i;
    if (row >= M) { break; }
    for (var j: u32 = 0u; j < 4u; j = j + 1u) {
      let col = t.col0 + j;
      if (col >= N) { break; }
      O[oBase + row * N + col] = alpha * t.acc[i][j];
    }
  }
}

// With an addend: Out = alpha · A·B + beta · C (Gemm's C, or a fused bias / residual, broadcast through strides).
fn store_addend(gid: vec3<u32>) {
  let M = P(0u);
  let N = P(1u);
  if (gid.z >= P(3u) || gid.y * 4u >= M || gid.x * 4u >= N) { return; }
  let t = compute(gid);
  let alpha = bitcast<f32>(P(14u));
  let beta = bitcast<f32>(P(15u));
  let sCm = S(12u);
  let sCn = S(13u);
  let oBase = P(32u) + t.b * M * N;
  for (var i: u32 = 0u; i < 4u; i = i + 1u) {
    let row = t.row0 + i;
    if (row >= M) { break; }
    for (var j: u32 = 0u; j < 4u; j = j + 1u) {
      let col = t.col0 + j;
      if (col >= N) { break; }
      let c = C[u32(t.cBase + i32(row) * sCm + i32(col) * sCn)];
      O[oBase + row * N + col] = alpha * t.acc[i][j] + beta * c;
    }
  }
}

// 16 x 16 workgroups (64 x 64 outputs each).
@compute @workgroup_size(16, 16, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) { store_plain(gid); }

@compute @workgroup_size(16, 16, 1)
fn main_c(@builtin(global_invocation_id) gid: vec3<u32>) { store_addend(gid); }

// 8 x 8 workgroups (32 x 32 outputs each): for small matrices (attention heads, few rows).
@compute @workgroup_size(8, 8, 1)
fn main8(@builtin(global_invocation_id) gid: vec3<u32>) { store_plain(gid); }

@compute @workgroup_size(8, 8, 1)
fn main_c8(@builtin(global_invocation_id) gid: vec3<u32>) { store_addend(gid); }
