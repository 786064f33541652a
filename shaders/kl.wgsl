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

/** (max_c z_c, Σ_c exp(z_c − max), first argmax) over the row at `base` of zP or zQ. */
struct RowMax { m: f32, sum: f32, arg: u32 }
fn rowMax(which: u32, base: u32) -> RowMax {
  var r = RowMax(logit(which, base), 0.0, 0u);
  for (var c = 1u; c < p.classes; c = c + 1u) {
    let z = logit(which, base + c);
    if (z > r.m) { r.m = z; r.arg = c; }
  }
  for (var c = 0u; c < p.classes; c = c + 1u) { r.sum = r.sum + exp(logit(which, base + c) - r.m); }
  return r;
}

// fp32 without cancellation: with r_c = log p_c − log q_c and k = argmax p, both log-sum-exps cancel from
// d_c = r_c − r_k = (zP_c − zP_k) − (zQ_c − zQ_k), so A = Σ_c p_c d_c, KL = r_k + A and dP_c = w p_c (d_c − A).
// Computed as p_c (r_c − KL), the error of KL (≈ |r|·ε₃₂, |r| up to 2× the logits' range) lands on every class's
// gradient, even where p_c ≈ 1 and r_c ≈ KL; here the leading class's d is exactly 0 and A carries only the weight
// of the other classes.
@compute @workgroup_size(64)
fn rows(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.batch) { return; }
  let base = i * p.classes;
  let P = rowMax(0u, base);
  let Q = rowMax(1u, base);
  let zQk = zQ[base + P.arg];
  var a: f32 = 0.0;
  for (var c = 0u; c < p.classes; c = c + 1u) {
    let pc = exp(zP[base + c] - P.m) / P.sum;
    a = a + pc * ((zP[base + c] - P.m) - (zQ[base + c] - zQk));
  }
  // r_k = log p_k − log q_k = −log ΣP − (zQ_k − max zQ − log ΣQ).
  let kl = a - log(P.sum) - (zQk - Q.m) + log(Q.sum);
  for (var c = 0u; c < p.classes; c = c + 1u) {
    let pc = exp(zP[base + c] - P.m) / P.sum;
    let qc = exp(zQ[base + c] - Q.m) / Q.sum;
    dP[base + c] = p.weight * pc * ((zP[base + c] - P.m) - (zQ[base + c] - zQk) - a);
    dQ[base + c] = p.weight * (qc - pc);
  }
  stats[1u + i] = kl;
}

@compute @workgroup_size(64)
fn finish(@builtin(local_invocation_index) t: u32) {
  writeStatsMean(t, p.batch);
}
