// Batched Gram / cross-Gram of many small groups: G[g] = scale * X[g] * Y[g]^T (+ ridge * I when n = m).
// X is [groups, n, d], Y is [groups, m, d], G is [groups, n, m], all row-major (features are rows); n, m <= 64.
// One workgroup per group (group = workgroup_id.x + workgroup_id.y * num_workgroups.x). d is walked in chunks of
// CHUNK columns; each chunk of X and Y is staged in workgroup memory (2 x 8 KiB) as [CHUNK][MAX_ROWS] with the
// row index XOR-swizzled by the column, so both the staging writes (neighbouring columns) and the dot-product
// reads (neighbouring rows) fall in distinct banks. Columns past d are staged as zeros.
// When n*m < WG the spare invocations split each chunk's columns into `slices` and the partial sums are added at
// the end in a fixed order, so small groups keep the workgroup busy and results stay deterministic.

struct Params {
  groups: u32,
  n: u32,
  m: u32,
  d: u32,
  scale: f32,
  ridge: f32,
}

const WG: u32 = 256u;
const MAX_ROWS: u32 = 64u;
const CHUNK: u32 = 32u;
const MAX_ENTRIES_PER_INVOCATION: u32 = 16u; // MAX_ROWS * MAX_ROWS / WG

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> Y: array<f32>;
@group(0) @binding(3) var<storage, read_write> G: array<f32>;

var<workgroup> xs: array<f32, 2048>; // CHUNK * MAX_ROWS
var<workgroup> ys: array<f32, 2048>;

fn tileIndex(col: u32, row: u32) -> u32 {
  return col * MAX_ROWS + (row ^ col);
}

fn storeEntry(outBase: u32, e: u32, dotValue: f32) {
  let i = e / p.m;
  let j = e - i * p.m;
  var v = p.scale * dotValue;
  if (i == j && p.n == p.m) { v = v + p.ridge; }
  G[outBase + e] = v;
}

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) t: u32,
) {
  let g = wid.x + wid.y * nwg.x;
  if (g >= p.groups) { return; } // uniform across the workgroup, so the barriers below stay uniform
  let n = p.n;
  let m = p.m;
  let d = p.d;
  let entries = n * m;
  // Invocation t owns column slice t % slices of entries t / slices + k * lanesPerSlice. When the outputs alone
  // cannot fill the workgroup (entries < WG), slices > 1 splits each chunk's columns and the partial sums are added
  // at the end; otherwise slices = 1 and each invocation owns up to 16 entries.
  let slices = clamp(WG / max(entries, 1u), 1u, CHUNK);
  let slice = t % slices;
  let lanesPerSlice = WG / slices;
  let firstEntry = t / slices;
  // Loop bounds below are runtime values on purpose: constant bounds let the driver unroll 16 x 32 fmas with a
  // dynamically indexed accumulator array, which took lavapipe over a minute to compile.
  let perInvocation = (entries + lanesPerSlice - 1u) / lanesPerSlice;
  let xBase = g * n * d;
  let yBase = g * m * d;

  var acc: array<f32, MAX_ENTRIES_PER_INVOCATION>;
  for (var d0 = 0u; d0 < d; d0 = d0 + CHUNK) {
    // Stage the chunk: consecutive invocations read consecutive columns of a row (coalesced).
    for (var idx = t; idx < n * CHUNK; idx = idx + WG) {
      let row = idx / CHUNK;
      let c = idx - row * CHUNK;
      var v = 0.0;
      if (d0 + c < d) { v = X[xBase + row * d + d0 + c]; }
      xs[tileIndex(c, row)] = v;
    }
    for (var idx = t; idx < m * CHUNK; idx = idx + WG) {
      let row = idx / CHUNK;
      let c = idx - row * CHUNK;
      var v = 0.0;
      if (d0 + c < d) { v = Y[yBase + row * d + d0 + c]; }
      ys[tileIndex(c, row)] = v;
    }
    workgroupBarrier();
    let chunkLen = min(CHUNK, d - d0);
    for (var k = 0u; k < perInvocation; k = k + 1u) {
      let e = firstEntry + k * lanesPerSlice;
      if (e >= entries) { break; }
      let i = e / m;
      let j = e - i * m;
      var s = acc[k];
      for (var c = slice; c < chunkLen; c = c + slices) {
        s = fma(xs[tileIndex(c, i)], ys[tileIndex(c, j)], s);
      }
      acc[k] = s;
    }
    workgroupBarrier(); // the next chunk overwrites xs / ys
  }

  let outBase = g * entries;
  if (slices == 1u) {
    for (var k = 0u; k < perInvocation; k = k + 1u) {
      let e = firstEntry + k * lanesPerSlice;
      if (e >= entries) { break; }
      storeEntry(outBase, e, acc[k]);
    }
  } else {
    // Slice partials meet in xs (free now) and are added in slice order.
    if (firstEntry < entries) { xs[t] = acc[0]; }
    workgroupBarrier();
    if (t < entries) {
      var s = 0.0;
      for (var q = 0u; q < slices; q = q + 1u) { s = s + xs[t * slices + q]; }
      storeEntry(outBase, t, s);
    }
  }
}
