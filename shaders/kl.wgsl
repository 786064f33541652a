// PMG-AFT's KL terms on logits already on the GPU (prepended: workgroup_sum.wgsl, stats_mean.wgsl). Per row i
// (one thread; C, the class count, is small), p = softmax(zP_i), q = softmax(zQ_i):
//   KL_i = Σ_c p_c (log p_c − log q_c),
//   dP_ic = w · p_c (log p_c − log q_c − KL_i),   dQ_ic = w · (q_c − p_c)
// with w = the term's weight / N, so dP, dQ are ∂(w · Σ_i KL_i)/∂logits. `rows` writes dP, dQ and stats[1 + i] = KL_i;
// `finish` (one workgroup) writes stats[0] = mean_i KL_i.
const WG: u32 = 64u;

struct Params {
  batch: u32,
  classes: u32,
  weight: f32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> stats: array<f32>;
@group(0) @binding(2) var<storage, read> zP: array<f32>;
@group(0) @binding(3) var<storage, read> zQ: array<f32>;
@group(0) @binding(4) var<storage, read_write> dP: array<f32>;
@group(0) @binding(5) var<storage, read_write> dQ: array<f32>;

/** zP[k] (which = 0) or zQ[k] (which = 1). */
fn logit(which: u32, k: u32) -> f32 {
  if (which == 0u) { return zP[k]; }
  return zQ[k];
}

/** log Σ_c exp(z_c) over the row at `base` of zP or zQ, without overflow. */
fn logSumExp(which: u32, base: u32) -> f32 {
  var m: f32 = logit(which, base);
  for (var c = 1u; c < p.classes; c = c + 1u) { m = max(m, logit(which, base + c)); }
  var s: f32 = 0.0;
  for (var c = 0u; c < p.classes; c = c + 1u) { s = s + exp(logit(which, base + c) - m); }
  return m + log(s);
}

@compute @workgroup_size(64)
fn rows(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.batch) { return; }
  let base = i * p.classes;
  let lseP = logSumExp(0u, base);
  let lseQ = logSumExp(1u, base);
  var kl: f32 = 0.0;
  for (var c = 0u; c < p.classes; c = c + 1u) {
    let lp = zP[base + c] - lseP;
    kl = kl + exp(lp) * (lp - (zQ[base + c] - lseQ));
  }
  for (var c = 0u; c < p.classes; c = c + 1u) {
    let lp = zP[base + c] - lseP;
    let lq = zQ[base + c] - lseQ;
    let pc = exp(lp);
    dP[base + c] = p.weight * pc * (lp - lq - kl);
    dQ[base + c] = p.weight * (exp(lq) - pc);
  }
  stats[1u + i] = kl;
}

@compute @workgroup_size(64)
fn finish(@builtin(local_invocation_index) t: u32) {
  writeStatsMean(t, p.batch);
}
