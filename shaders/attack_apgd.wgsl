// APGD (Croce & Hein 2020) on pixels in [0, 1], per sample, all state on the GPU.
// x, xPrev, x0, g, xMax, gMax: [batch, n]; eps: [batch]; st: [batch, 8] f32 per-sample state:
//   st[0] eta (step size)      st[1] fMax (best objective of this run)   st[2] objective of the previous iterate
//   st[3] increases since the last checkpoint                           st[4] fMax at the last checkpoint
//   st[5] 1 if the last checkpoint halved eta                           st[6] halvings so far (diagnostics)
// P = projection onto {|x - x0| <= eps} (L-inf) or {||x - x0|| <= eps} (L2, by scaling), then the [0, 1] box.
//   record (one workgroup per sample, after each evaluation with gradient): init = 1 starts a run (eta = etaInit *
//     eps, fMax = f, xMax = x, gMax = g); otherwise counts f > f_prev and keeps the best point and its gradient.
//   checkpoint (one workgroup per sample, at the checkpoints w_j): halves eta and restarts from (xMax, gMax) when
//     increases < rho * window (condition 1) or eta was not halved at the last checkpoint and fMax has not grown
//     since (condition 2). The momentum is reset there (xPrev = x).
//   linfStep (elementwise) / l2Step (one workgroup per sample):
//     z = P(x + eta * s(g)),  s = sign (L-inf) or g / ||g|| (L2)
//     x_new = P(x + a (z - x) + (1 - a)(x - xPrev)),  xPrev <- x,  x <- x_new      (a = 1 on a run's first step)

struct Params {
  n: u32,
  batch: u32,
  init: u32,
  window: u32,
  objSign: f32,
  etaInit: f32,
  rho: f32,
  a: f32,
}

const WG: u32 = 256u;
const STATE: u32 = 8u;

@group(0) @binding(0) var<uniform> p: Params;

// record
@group(0) @binding(1) var<storage, read> rX: array<f32>;
@group(0) @binding(2) var<storage, read> rG: array<f32>;
@group(0) @binding(3) var<storage, read> rObjective: array<f32>;
@group(0) @binding(4) var<storage, read> rEps: array<f32>;
@group(0) @binding(5) var<storage, read_write> rSt: array<f32>;
@group(0) @binding(6) var<storage, read_write> rXMax: array<f32>;
@group(0) @binding(7) var<storage, read_write> rGMax: array<f32>;

// checkpoint
@group(0) @binding(1) var<storage, read_write> cX: array<f32>;
@group(0) @binding(2) var<storage, read_write> cXPrev: array<f32>;
@group(0) @binding(3) var<storage, read_write> cG: array<f32>;
@group(0) @binding(4) var<storage, read_write> cSt: array<f32>;
@group(0) @binding(5) var<storage, read> cXMax: array<f32>;
@group(0) @binding(6) var<storage, read> cGMax: array<f32>;

// steps
@group(0) @binding(1) var<storage, read_write> sX: array<f32>;
@group(0) @binding(2) var<storage, read_write> sXPrev: array<f32>;
@group(0) @binding(3) var<storage, read> sX0: array<f32>;
@group(0) @binding(4) var<storage, read> sG: array<f32>;
@group(0) @binding(5) var<storage, read> sEps: array<f32>;
@group(0) @binding(6) var<storage, read> sSt: array<f32>;



@compute @workgroup_size(WG)
fn record(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let b = wid.x;
  if (b >= p.batch) { return; }
  let s = b * STATE;
  let f = p.objSign * rObjective[b];
  let fMax = rSt[s + 1u];
  let fPrev = rSt[s + 2u];
  let increases = rSt[s + 3u];
  storageBarrier(); // every invocation has read the state before invocation 0 rewrites it
  var keep = f > fMax;
  if (p.init != 0u) { keep = true; }
  if (t == 0u) {
    if (p.init != 0u) {
      rSt[s + 0u] = p.etaInit * rEps[b];
      rSt[s + 1u] = f;
      rSt[s + 2u] = f;
      rSt[s + 3u] = 0.0;
      rSt[s + 4u] = f;
      rSt[s + 5u] = 0.0;
      rSt[s + 6u] = 0.0;
    } else {
      rSt[s + 3u] = increases + select(0.0, 1.0, f > fPrev);
      rSt[s + 2u] = f;
      if (keep) { rSt[s + 1u] = f; }
    }
  }
  if (keep) {
    let base = b * p.n;
    for (var j = t; j < p.n; j = j + WG) {
      rXMax[base + j] = rX[base + j];
      rGMax[base + j] = rG[base + j];
    }
  }
}

@compute @workgroup_size(WG)
fn checkpoint(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let b = wid.x;
  if (b >= p.batch) { return; }
  let s = b * STATE;
  let eta = cSt[s + 0u];
  let fMax = cSt[s + 1u];
  let increases = cSt[s + 3u];
  let fMaxLast = cSt[s + 4u];
  let reducedLast = cSt[s + 5u];
  let halvings = cSt[s + 6u];
  storageBarrier();
  let cond1 = increases < p.rho * f32(p.window);
  let cond2 = reducedLast == 0.0 && fMaxLast >= fMax;
  let reduce = cond1 || cond2;
  if (t == 0u) {
    cSt[s + 3u] = 0.0;
    cSt[s + 4u] = fMax;
    cSt[s + 5u] = select(0.0, 1.0, reduce);
    if (reduce) {
      cSt[s + 0u] = 0.5 * eta;
      cSt[s + 2u] = fMax;
      cSt[s + 6u] = halvings + 1.0;
    }
  }
  if (reduce) {
    let base = b * p.n;
    for (var j = t; j < p.n; j = j + WG) {
      cX[base + j] = cXMax[base + j];
      cXPrev[base + j] = cXMax[base + j];
      cG[base + j] = cGMax[base + j];
    }
  }
}

fn linfProject(v: f32, c: f32, e: f32) -> f32 {
  return clamp(clamp(v, c - e, c + e), 0.0, 1.0);
}

@compute @workgroup_size(WG)
fn linfStep(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let total = p.batch * p.n;
  for (var i = gid.x; i < total; i = i + nwg.x * WG) {
    let b = i / p.n;
    let e = sEps[b];
    let eta = sSt[b * STATE];
    let xi = sX[i];
    let c = sX0[i];
    let z = linfProject(xi + eta * sign(sG[i]), c, e);
    let u = xi + p.a * (z - xi) + (1.0 - p.a) * (xi - sXPrev[i]);
    sXPrev[i] = xi;
    sX[i] = linfProject(u, c, e);
  }
}

@compute @workgroup_size(WG)
fn l2Step(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let b = wid.x;
  if (b >= p.batch) { return; }
  let base = b * p.n;
  let e = sEps[b];
  let eta = sSt[b * STATE];
  var gg = 0.0;
  for (var j = t; j < p.n; j = j + WG) {
    let v = sG[base + j];
    gg = fma(v, v, gg);
  }
  let gNorm = sqrt(workgroupSum(gg, t));
  let stepScale = select(0.0, eta / gNorm, gNorm > 0.0);
  // z = box(x0 + s1 * (x + stepScale * g - x0)), recomputed wherever needed instead of stored.
  var dd = 0.0;
  for (var j = t; j < p.n; j = j + WG) {
    let d = fma(stepScale, sG[base + j], sX[base + j]) - sX0[base + j];
    dd = fma(d, d, dd);
  }
  let n1 = sqrt(workgroupSum(dd, t));
  let s1 = select(1.0, e / n1, n1 > e);
  var uu = 0.0;
  for (var j = t; j < p.n; j = j + WG) {
    let xi = sX[base + j];
    let c = sX0[base + j];
    let z = clamp(c + s1 * (fma(stepScale, sG[base + j], xi) - c), 0.0, 1.0);
    let u = xi + p.a * (z - xi) + (1.0 - p.a) * (xi - sXPrev[base + j]) - c;
    uu = fma(u, u, uu);
  }
  let n2 = sqrt(workgroupSum(uu, t));
  let s2 = select(1.0, e / n2, n2 > e);
  for (var j = t; j < p.n; j = j + WG) {
    let xi = sX[base + j];
    let c = sX0[base + j];
    let z = clamp(c + s1 * (fma(stepScale, sG[base + j], xi) - c), 0.0, 1.0);
    let u = xi + p.a * (z - xi) + (1.0 - p.a) * (xi - sXPrev[base + j]) - c;
    sXPrev[base + j] = xi;
    sX[base + j] = clamp(c + s2 * u, 0.0, 1.0);
  }
}
