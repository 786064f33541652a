// Per-row attack objectives on zero-shot logits z [batch, classes] and their gradients w.r.t. z. Every objective
// is oriented so that the attack MAXIMISES it. y = labels[b] (true class), t = targets[b] (targeted attacks only).
//   LOSS = 0, margin (Carlini & Wagner):  untargeted  f = min(max_{j!=y} z_j - z_y, kappa)
//                                         targeted    f = min(z_t - max_{j!=t} z_j, kappa)
//   LOSS = 1, DLR (Croce & Hein 2020):    untargeted  f = -(z_y - max_{j!=y} z_j) / (z_pi1 - z_pi3 + 1e-12)
//                                         targeted    f = -(z_y - z_t) / (z_pi1 - (z_pi3 + z_pi4) / 2 + 1e-12)
// with z_pi1 >= z_pi2 >= ... the sorted logits. Ties everywhere go to the lowest class index (that index gets the
// gradient), as in the CPU reference. Above kappa the margin is constant: zero gradient. The denominators are >= 0;
// the max(·, 0) before adding 1e-12 keeps compilers from reassociating the 1e-12 into the logits (where f32 drops it:
// seen on lavapipe, giving den = 0 on ties).
// One invocation per row: classes are few (<= a few thousand) and each row needs only a handful of passes.

override LOSS: u32 = 0u;

struct Params {
  batch: u32,
  classes: u32,
  targeted: u32,
  kappa: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<u32>;
@group(0) @binding(3) var<storage, read> targets: array<u32>;
@group(0) @binding(4) var<storage, read_write> objective: array<f32>;
@group(0) @binding(5) var<storage, read_write> dLogits: array<f32>;

const NONE: u32 = 0xffffffffu;
const DLR_EPS: f32 = 1e-12;

// Index of the largest logit of the row other than `skip` (lowest index on ties).
fn argmaxExcept(base: u32, skip: u32) -> u32 {
  var best = NONE;
  var bestValue = 0.0;
  for (var c = 0u; c < p.classes; c = c + 1u) {
    if (c == skip) { continue; }
    let v = logits[base + c];
    if (best == NONE || v > bestValue) { best = c; bestValue = v; }
  }
  return best;
}

@compute @workgroup_size(64)
fn rowObjective(@builtin(global_invocation_id) gid: vec3<u32>) {
  let row = gid.x;
  if (row >= p.batch) { return; }
  let C = p.classes;
  let base = row * C;
  let y = labels[row];
  let t = targets[row];
  for (var c = 0u; c < C; c = c + 1u) { dLogits[base + c] = 0.0; }

  if (LOSS == 0u) {
    // Margin: the class pushed up (hi) against the class pushed down (lo).
    var hi: u32;
    var lo: u32;
    if (p.targeted != 0u) { hi = t; lo = argmaxExcept(base, t); } else { hi = argmaxExcept(base, y); lo = y; }
    let m = logits[base + hi] - logits[base + lo];
    objective[row] = min(m, p.kappa);
    if (m < p.kappa) {
      dLogits[base + hi] = dLogits[base + hi] + 1.0;
      dLogits[base + lo] = dLogits[base + lo] - 1.0;
    }
    return;
  }

  // DLR: the four largest logits, sorted (strict > keeps the lower index first on ties).
  var idx = array<u32, 4>(NONE, NONE, NONE, NONE);
  var val = array<f32, 4>(0.0, 0.0, 0.0, 0.0);
  for (var c = 0u; c < C; c = c + 1u) {
    let v = logits[base + c];
    var k = 4u;
    for (var s = 0u; s < 4u; s = s + 1u) {
      if (idx[s] == NONE || v > val[s]) { k = s; break; }
    }
    if (k == 4u) { continue; }
    for (var s = 3u; s > k; s = s - 1u) { idx[s] = idx[s - 1u]; val[s] = val[s - 1u]; }
    idx[k] = c;
    val[k] = v;
  }
  var other: u32;
  var den: f32;
  if (p.targeted != 0u) {
    other = t;
    den = max(val[0] - 0.5 * (val[2] + val[3]), 0.0) + DLR_EPS;
  } else {
    other = argmaxExcept(base, y);
    den = max(val[0] - val[2], 0.0) + DLR_EPS;
  }
  let num = logits[base + y] - logits[base + other];
  objective[row] = -num / den;
  // df/dz = -(dnum/dz) / den + num / den^2 * (dden/dz)
  let a = 1.0 / den;
  let q = num / (den * den);
  dLogits[base + y] = dLogits[base + y] - a;
  dLogits[base + other] = dLogits[base + other] + a;
  dLogits[base + idx[0]] = dLogits[base + idx[0]] + q;
  if (p.targeted != 0u) {
    dLogits[base + idx[2]] = dLogits[base + idx[2]] - 0.5 * q;
    dLogits[base + idx[3]] = dLogits[base + idx[3]] - 0.5 * q;
  } else {
    dLogits[base + idx[2]] = dLogits[base + idx[2]] - q;
  }
}
