// Executor index kernels, copying 4-byte elements as raw bits (any element type): Gather along one axis, GatherND
// (batch_dims), ScatterND without reduction. Negative indices wrap once; indices still out of range are clamped
// (ONNX leaves them undefined; clamping keeps reads and writes inside the buffers). Indices are i32 (int64 tensors
// live as i32 on the GPU). Src, Idx contiguous at offsets; Dst contiguous from 0.
//
// gather uniform:    0 outCount, 1 axisDim, 2 nIdx, 3 post, 4 srcOff, 5 idxOff
// gathernd uniform:  0 outCount, 1 slice, 2 k, 3 perBatch, 4 srcOff, 5 idxOff, 6 batchStride, 7 -, 8-15 dims, 16-23 strides
// gather_elements uniform: 0 outCount, 1 rank, 2 axis, 3 axisDim, 4 srcOff, 5 idxOff, 6-7 -, 8-15 out (= indices)
//                   dims, 16-23 data strides (the axis's coordinate comes from the index)
// scatter uniform:   0 nUpd * slice, 1 slice, 2 k, 3 -, 4 srcOff (updates), 5 idxOff, 6 -, 7 -, 8-15 dims, 16-23 strides

struct Params { v: array<vec4<u32>, 6> }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> Src: array<u32>;
@group(0) @binding(2) var<storage, read> Idx: array<i32>;
@group(0) @binding(3) var<storage, read_write> Dst: array<u32>;

fn P(i: u32) -> u32 { return p.v[i >> 2u][i & 3u]; }

fn wrap(i: i32, n: u32) -> u32 {
  var j: i32 = i;
  if (j < 0) { j = j + i32(n); }
  return u32(clamp(j, 0, i32(n) - 1));
}

fn threadIndex(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * 256u;
}

@compute @workgroup_size(256)
fn gather(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let o = threadIndex(gid, nwg);
  if (o >= P(0u)) { return; }
  let axisDim = P(1u);
  let nIdx = P(2u);
  let post = P(3u);
  let q = o % post;
  let t = o / post;
  let j = t % nIdx;
  let outer = t / nIdx;
  let i = wrap(Idx[P(5u) + j], axisDim);
  Dst[o] = Src[P(4u) + (outer * axisDim + i) * post + q];
}

// Offset of the slice addressed by index row u (k coordinates) within one batch item.
fn rowOffset(u: u32) -> u32 {
  let k = P(2u);
  var off: u32 = 0u;
  for (var t: u32 = 0u; t < k; t = t + 1u) {
    off = off + wrap(Idx[P(5u) + u * k + t], P(8u + t)) * P(16u + t);
  }
  return off;
}

@compute @workgroup_size(256)
fn gathernd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let o = threadIndex(gid, nwg);
  if (o >= P(0u)) { return; }
  let slice = P(1u);
  let q = o % slice;
  let u = o / slice;
  let batch = u / P(3u);
  Dst[o] = Src[P(4u) + batch * P(6u) + rowOffset(u) + q];
}

@compute @workgroup_size(256)
fn scatter(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let o = threadIndex(gid, nwg);
  if (o >= P(0u)) { return; }
  let slice = P(1u);
  let q = o % slice;
  let u = o / slice;
  Dst[rowOffset(u) + q] = Src[P(4u) + o];
}

@compute @workgroup_size(256)
fn gather_elements(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let o = threadIndex(gid, nwg);
  if (o >= P(0u)) { return; }
  let rank = P(1u);
  let axis = P(2u);
  var rem: u32 = o;
  var off: u32 = P(4u);
  for (var k: u32 = 0u; k < rank; k = k + 1u) {
    let d = rank - 1u - k;
    let size = P(8u + d);
    var c: u32 = rem % size;
    rem = rem / size;
    if (d == axis) { c = wrap(Idx[P(5u) + o], P(3u)); }
    off = off + c * P(16u + d);
  }
  Dst[o] = Src[off];
}
