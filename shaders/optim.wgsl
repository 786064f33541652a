// Optimiser updates on one flat f32 parameter buffer (several tensors may be packed back to back), with global
// gradient-norm clipping computed on the GPU: no readback between the norm and the update.
//
// gradNorm buffer layout (f32): [0] ||g||, [1] clip scale min(1, maxNorm / (||g|| + 1e-6)) (1 when not clipping),
// [2] ||g||^2, [3] 1 when ||g|| is not finite (NaN/Inf: the updates that read the norm then change nothing, weights
// and moments alike, so one bad batch cannot poison the run), else 0 (sticky: stays 1 until the host clears it); [4 ..] per-workgroup partial sums of stage 1.
// Bindings are ordered so that every entry point uses a prefix 1..k: gradNorm, grads, params, m, v.

struct Params {
  count: u32,        // parameters in the flat buffer
  partials: u32,     // stage-1 workgroups (partial sums at gradNorm[4 ..])
  clip: u32,         // norm stage: 1 computes the clip scale; updates: 1 multiplies g by gradNorm[1]
  step: u32,         // t, 1-based (SGD: the momentum buffer starts as g at t = 1, as in PyTorch)
  maxNorm: f32,
  lr: f32,
  weightDecay: f32,
  beta1: f32,        // AdamW
  beta2: f32,        // AdamW
  eps: f32,          // AdamW
  stepSize: f32,     // AdamW: lr / (1 - beta1^t), computed on the host
  bc2Sqrt: f32,      // AdamW: sqrt(1 - beta2^t), computed on the host
  momentum: f32,     // SGD
  dampening: f32,    // SGD
  sticky: u32,       // norm stage: 1 keeps [3] set once set (a loop that reads its metrics every k steps masks every
                     // update after a non-finite one until the host has seen it and clears the flag)
}

override NESTEROV: bool = false;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> gradNorm: array<f32>;
@group(0) @binding(2) var<storage, read> grads: array<f32>;
@group(0) @binding(3) var<storage, read_write> params: array<f32>;
@group(0) @binding(4) var<storage, read_write> m: array<f32>;
@group(0) @binding(5) var<storage, read_write> v: array<f32>;

const WG = 256u;
const PARTIALS_AT = 4u;



// Stage 1 of ||g||^2: each of `partials` workgroups grid-strides over the gradient and writes one partial sum.
@compute @workgroup_size(WG)
fn gradSumSquares(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
                  @builtin(workgroup_id) wid: vec3<u32>) {
  var acc = 0.0;
  for (var i = gid.x; i < p.count; i = i + p.partials * WG) {
    let x = grads[i];
    acc = fma(x, x, acc);
  }
  let total = workgroupSum(acc, lid.x);
  if (lid.x == 0u) { gradNorm[PARTIALS_AT + wid.x] = total; }
}

// Stage 2: one workgroup adds the partial sums and writes the norm and the clip scale.
@compute @workgroup_size(WG)
fn gradNormFinish(@builtin(local_invocation_id) lid: vec3<u32>) {
  var acc = 0.0;
  for (var i = lid.x; i < p.partials; i = i + WG) { acc = acc + gradNorm[PARTIALS_AT + i]; }
  let sumSq = workgroupSum(acc, lid.x);
  if (lid.x == 0u) {
    let norm = sqrt(sumSq);
    gradNorm[0] = norm;
    gradNorm[1] = select(1.0, min(1.0, p.maxNorm / (norm + 1e-6)), p.clip != 0u);
    gradNorm[2] = sumSq;
    // Exponent bits all set: Inf or NaN (a comparison may be folded away under WGSL's finite-math latitude).
    let bad = select(0.0, 1.0, (bitcast<u32>(sumSq) & 0x7f800000u) == 0x7f800000u);
    gradNorm[3] = select(bad, max(bad, gradNorm[3]), p.sticky != 0u);
  }
}

fn clipScale() -> f32 {
  if (p.clip != 0u) { return gradNorm[1]; }
  return 1.0;
}

// A non-finite global norm (computed in the same or an earlier submission) masks the whole update.
fn masked() -> bool {
  return p.clip != 0u && gradNorm[3] != 0.0;
}

// AdamW (Loshchilov & Hutter; PyTorch's formulation): decoupled decay p <- p(1 - lr wd), then
// p <- p - stepSize * m / (sqrt(v) / sqrt(1 - beta2^t) + eps).
@compute @workgroup_size(WG)
fn adamwStep(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  if (masked()) { return; }
  let scale = clipScale();
  for (var i = gid.x; i < p.count; i = i + nwg.x * WG) {
    let g = grads[i] * scale;
    let mi = fma(p.beta1, m[i], (1.0 - p.beta1) * g);
    let vi = fma(p.beta2, v[i], (1.0 - p.beta2) * g * g);
    m[i] = mi;
    v[i] = vi;
    let decayed = params[i] * (1.0 - p.lr * p.weightDecay);
    params[i] = decayed - p.stepSize * mi / (sqrt(vi) / p.bc2Sqrt + p.eps);
  }
}

// SGD with momentum (PyTorch's formulation): d = g + wd p; buf = d at t = 1, else momentum buf + (1 - dampening) d;
// step along buf, or along d + momentum buf with Nesterov. momentum = 0 is plain SGD (m is left untouched).
@compute @workgroup_size(WG)
fn sgdStep(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  if (masked()) { return; }
  let scale = clipScale();
  for (var i = gid.x; i < p.count; i = i + nwg.x * WG) {
    var d = fma(p.weightDecay, params[i], grads[i] * scale);
    if (p.momentum != 0.0) {
      var buf = d;
      if (p.step > 1u) { buf = fma(p.momentum, m[i], (1.0 - p.dampening) * d); }
      m[i] = buf;
      if (NESTEROV) { d = fma(p.momentum, buf, d); } else { d = buf; }
    }
    params[i] = params[i] - p.lr * d;
  }
}
