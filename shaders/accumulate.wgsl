// dst[dstOffset + i] += src[srcOffset + i] for i < count: gradient accumulation on the GPU (a backward's weight
// gradient added into its tower's flat accumulator at the tensor's offset). One thread per element; items past
// 65535 workgroups spill into y (`itemGrid` on the host side).
struct Params {
  count: u32,
  dstOffset: u32,
  srcOffset: u32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@group(0) @binding(2) var<storage, read> src: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let i = (wg.x + wg.y * nwg.x) * 256u + li;
  if (i >= p.count) {
    return;
  }
  dst[p.dstOffset + i] = dst[p.dstOffset + i] + src[p.srcOffset + i];
}
