// FARE's loss on GPU buffers (prepended: workgroup_sum.wgsl, stats_mean.wgsl). Per sample i, one workgroup over
// its D values:
//   diff = e_i − t_i (t: `reference`), ss = ‖diff‖², loss_i = ss ('l2-squared') or √ss ('l2'),
//   grad_i = ∂(mean_i loss_i)/∂e_i = f · diff, f = 2/N, or 1/(√ss · N) for 'l2' (0 at ss = 0, the subgradient).
// `rows` writes grad and stats[1 + i] = loss_i; `finish` (one workgroup) writes stats[0] = mean_i loss_i.
const WG: u32 = 64u;

struct Params {
  batch: u32,
  dim: u32,
  l2: u32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> stats: array<f32>;
@group(0) @binding(2) var<storage, read> embeds: array<f32>;
@group(0) @binding(3) var<storage, read> reference: array<f32>;
@group(0) @binding(4) var<storage, read_write> grad: array<f32>;

@compute @workgroup_size(64)
fn rows(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) t: u32) {
  let i = wg.x + wg.y * nwg.x; // the same for the whole workgroup: the early return keeps control flow uniform
  if (i >= p.batch) { return; }
  let base = i * p.dim;
  var ss: f32 = 0.0;
  for (var k = t; k < p.dim; k = k + WG) {
    let d = embeds[base + k] - reference[base + k];
    ss = ss + d * d;
  }
  let total = workgroupSum(ss, t);
  let r = sqrt(total);
  let n = f32(p.batch);
  var f: f32 = 2.0 / n;
  if (p.l2 == 1u) { f = select(0.0, 1.0 / (r * n), r > 0.0); }
  for (var k = t; k < p.dim; k = k + WG) {
    grad[base + k] = f * (embeds[base + k] - reference[base + k]);
  }
  if (t == 0u) { stats[1u + i] = select(total, r, p.l2 == 1u); }
}

@compute @workgroup_size(64)
fn finish(@builtin(local_invocation_index) t: u32) {
  writeStatsMean(t, p.batch);
}
