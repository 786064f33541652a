// Projected gradient descent/ascent steps for adversarial examples, per sample. shaders/random.wgsl is prepended.
// x, x0, g: [batch, n] row-major (n elements per sample); eps, alpha: [batch], one budget and step size per sample.
// box = 1 clamps to [0, 1] after projecting (pixels); box = 0 leaves values unbounded (embeddings).
// Since x0 is in [0, 1] whenever the box is on, clamping after the projection stays inside the eps-ball.
// Random draws: element i (flat index b*n + j) uses stream 2*step; the L2 radius of sample b uses stream 2*step + 1.

struct Params {
  n: u32,
  batch: u32,
  box: u32,
  seed: u32,
  step: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;
@group(0) @binding(2) var<storage, read> x0: array<f32>;
@group(0) @binding(3) var<storage, read> eps: array<f32>;
@group(0) @binding(4) var<storage, read> alpha: array<f32>;
@group(0) @binding(5) var<storage, read> g: array<f32>;

const WG = 256u;


fn boxed(v: f32) -> f32 {
  if (p.box != 0u) { return clamp(v, 0.0, 1.0); }
  return v;
}


// L-inf step: x <- clip(x + alpha * sign(g), x0 - eps, x0 + eps), then the box. sign(0) = 0: no move.
// Elementwise over the flat [batch * n] range, grid-stride so any size fits the dispatch limit.
@compute @workgroup_size(WG)
fn linfStep(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let total = p.batch * p.n;
  for (var i = gid.x; i < total; i = i + nwg.x * WG) {
    let b = i / p.n;
    let e = eps[b];
    let stepped = x[i] + alpha[b] * sign(g[i]);
    x[i] = boxed(clamp(stepped, x0[i] - e, x0[i] + e));
  }
}

// L2 step, one workgroup per sample: x <- x + alpha * g / ||g|| (no step when g = 0), delta = x - x0 scaled back
// onto the eps-ball when ||delta|| > eps, then the box. The stepped x is recomputed rather than stored, so x is
// written once, after both norms are known.
@compute @workgroup_size(WG)
fn l2Step(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let b = wid.x;
  if (b >= p.batch) { return; }
  let t = lid.x;
  let base = b * p.n;
  var gg = 0.0;
  for (var j = t; j < p.n; j = j + WG) {
    let v = g[base + j];
    gg = fma(v, v, gg);
  }
  let gNorm = sqrt(workgroupSum(gg, t));
  let stepScale = select(0.0, alpha[b] / gNorm, gNorm > 0.0);
  var dd = 0.0;
  for (var j = t; j < p.n; j = j + WG) {
    let d = fma(stepScale, g[base + j], x[base + j]) - x0[base + j];
    dd = fma(d, d, dd);
  }
  let dNorm = sqrt(workgroupSum(dd, t));
  let e = eps[b];
  let shrink = select(1.0, e / dNorm, dNorm > e);
  for (var j = t; j < p.n; j = j + WG) {
    let d = fma(stepScale, g[base + j], x[base + j]) - x0[base + j];
    x[base + j] = boxed(fma(shrink, d, x0[base + j]));
  }
}

// L-inf random start: x <- x0 + eps * (2u - 1), u uniform in [0, 1) per element, then the box.
@compute @workgroup_size(WG)
fn linfRandomStart(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let total = p.batch * p.n;
  let stream = 2u * p.step;
  for (var i = gid.x; i < total; i = i + nwg.x * WG) {
    let b = i / p.n;
    let u = randUniform(p.seed, stream, i);
    x[i] = boxed(x0[i] + eps[b] * (2.0 * u - 1.0));
  }
}

// L2 random start, one workgroup per sample: uniform in the eps-ball, i.e. a Gaussian direction z / ||z|| times
// radius eps * u^(1/n), then the box. z is drawn twice (counter-based, so identical) instead of being stored.
@compute @workgroup_size(WG)
fn l2RandomStart(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let b = wid.x;
  if (b >= p.batch) { return; }
  let t = lid.x;
  let base = b * p.n;
  let stream = 2u * p.step;
  var zz = 0.0;
  for (var j = t; j < p.n; j = j + WG) {
    let z = randNormal(p.seed, stream, base + j);
    zz = fma(z, z, zz);
  }
  let zNorm = sqrt(workgroupSum(zz, t));
  let radius = eps[b] * pow(randUniformOpen(p.seed, stream + 1u, b), 1.0 / f32(p.n));
  let scale = select(0.0, radius / zNorm, zNorm > 0.0);
  for (var j = t; j < p.n; j = j + WG) {
    x[base + j] = boxed(fma(scale, randNormal(p.seed, stream, base + j), x0[base + j]));
  }
}
