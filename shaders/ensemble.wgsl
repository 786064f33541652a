// The prompt ensemble's middle step and its adjoint: the mean of each group of `per` consecutive rows
// ([groups · per, d] → [groups, d]), and a group's gradient spread back over its rows (divided by `per`).
// Normalisation before and after is normalize.wgsl's. One thread per output element; elements past 65535
// workgroups spill into y (`itemGrid` on the host side).
struct Params {
  groups: u32,
  per: u32,
  d: u32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(256)
fn groupMean(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let i = (wg.x + wg.y * nwg.x) * 256u + li;
  if (i >= p.groups * p.d) { return; }
  let c = i / p.d;
  let k = i % p.d;
  var acc = 0.0;
  for (var g = 0u; g < p.per; g = g + 1u) { acc = acc + src[(c * p.per + g) * p.d + k]; }
  dst[i] = acc / f32(p.per);
}

@compute @workgroup_size(256)
fn groupSpread(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let i = (wg.x + wg.y * nwg.x) * 256u + li;
  if (i >= p.groups * p.per * p.d) { return; }
  let row = i / p.d;
  let k = i % p.d;
  dst[i] = src[(row / p.per) * p.d + k] / f32(p.per);
}
