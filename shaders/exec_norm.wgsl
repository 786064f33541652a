// Executor row kernels: Softmax / LogSoftmax along one axis, LayerNormalization over trailing axes. One invocation
// per row; the input is contiguous at an element offset. Softmax rows: element j of row r sits at
// (r / inner) * len * inner + r % inner + j * inner (inner = 1 for the last axis).
//
// Uniform words: 0 rows, 1 len, 2 inner, 3 xOff, 4 eps (f32), 5 scaleOff, 6 biasOff, 7 unused.

struct Params { v: array<vec4<u32>, 2> }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
@group(0) @binding(3) var<storage, read> Scale: array<f32>;
@group(0) @binding(4) var<storage, read> Bias: array<f32>;
@group(0) @binding(5) var<storage, read_write> Mean: array<f32>;
@group(0) @binding(6) var<storage, read_write> InvStd: array<f32>;

fn P(i: u32) -> u32 { return p.v[i >> 2u][i & 3u]; }

fn rowIndex(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * 64u;
}

fn softmaxRow(r: u32, logMode: bool) {
  let len = P(1u);
  let inner = P(2u);
  let base = P(3u) + (r / inner) * len * inner + r % inner;
  let obase = (r / inner) * len * inner + r % inner;
  var m: f32 = X[base];
  for (var j: u32 = 1u; j < len; j = j + 1u) { m = max(m, X[base + j * inner]); }
  var s: f32 = 0.0;
  for (var j: u32 = 0u; j < len; j = j + 1u) { s = s + exp(X[base + j * inner] - m); }
  if (logMode) {
    let ls = log(s);
    for (var j: u32 = 0u; j < len; j = j + 1u) { Y[obase + j * inner] = X[base + j * inner] - m - ls; }
  } else {
    let inv = 1.0 / s;
    for (var j: u32 = 0u; j < len; j = j + 1u) { Y[obase + j * inner] = exp(X[base + j * inner] - m) * inv; }
  }
}

@compute @workgroup_size(64)
fn softmax(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = rowIndex(gid, nwg);
  if (r >= P(0u)) { return; }
  softmaxRow(r, false);
}

@compute @workgroup_size(64)
fn logsoftmax(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = rowIndex(gid, nwg);
  if (r >= P(0u)) { return; }
  softmaxRow(r, true);
}

struct Stats { mean: f32, inv: f32 }

fn rowStats(base: u32, len: u32) -> Stats {
  var s: f32 = 0.0;
  for (var j: u32 = 0u; j < len; j = j + 1u) { s = s + X[base + j]; }
  let mean = s / f32(len);
  var v: f32 = 0.0;
  for (var j: u32 = 0u; j < len; j = j + 1u) {
    let d = X[base + j] - mean;
    v = v + d * d;
  }
  return Stats(mean, inverseSqrt(v / f32(len) + bitcast<f32>(P(4u))));
}

fn layerNormRow(r: u32) -> Stats {
  let len = P(1u);
  let base = P(3u) + r * len;
  let st = rowStats(base, len);
  let so = P(5u);
  let bo = P(6u);
  for (var j: u32 = 0u; j < len; j = j + 1u) {
    Y[r * len + j] = (X[base + j] - st.mean) * st.inv * Scale[so + j] + Bias[bo + j];
  }
  return st;
}

@compute @workgroup_size(64)
fn layernorm(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = rowIndex(gid, nwg);
  if (r >= P(0u)) { return; }
  _ = layerNormRow(r);
}

@compute @workgroup_size(64)
fn layernorm_stats(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = rowIndex(gid, nwg);
  if (r >= P(0u)) { return; }
  let st = layerNormRow(r);
  Mean[r] = st.mean;
  InvStd[r] = st.inv;
}
