// out[0] = scale * sum(values[0..count)): the reduction of per-pair losses (scale = 1/pairs for a mean).
// One workgroup; strided partial sums, then a tree (pairwise) reduction.

struct Params {
  count: u32, scale: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> values: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

var<workgroup> red: array<f32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) t: u32) {
  var s = 0.0;
  for (var i = t; i < p.count; i += 256u) { s += values[i]; }
  red[t] = s;
  for (var w = 128u; w > 0u; w >>= 1u) {
    workgroupBarrier();
    if (t < w) { red[t] += red[t + w]; }
  }
  if (t == 0u) { out[0] = p.scale * red[0]; }
}
