// Worst-case bookkeeping of an attack, per sample, over every evaluated point (the clean input first, then every
// iterate of every restart): robust accuracy can only fall, and the kept adversarial example is the first point
// that reached the attack's goal, else the highest-objective point so far.
//   flags[b]  bit 0: correct (predicted == label) at every point so far
//             bit 1: goal not reached at any point so far (untargeted: predicted != label; targeted: == target)
//   best[b]   objective of the kept point (objSign * objective: the attack maximises it)
//   xAdv[b]   the kept point [n]
//   update (one workgroup per sample): init = 1 overwrites the state with the current point (the clean input).
//   summary (one workgroup): stats = [mean objective now, robust accuracy, accuracy now, goal-not-reached rate,
//                                     mean best objective]

struct Params {
  n: u32,
  batch: u32,
  init: u32,
  targeted: u32,
  objSign: f32,
}

const WG: u32 = 64u;
const SUMMARY_WG: u32 = 256u;

@group(0) @binding(0) var<uniform> p: Params;

// update
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> objective: array<f32>;
@group(0) @binding(3) var<storage, read> predicted: array<u32>;
@group(0) @binding(4) var<storage, read> labels: array<u32>;
@group(0) @binding(5) var<storage, read> targets: array<u32>;
@group(0) @binding(6) var<storage, read_write> flags: array<u32>;
@group(0) @binding(7) var<storage, read_write> best: array<f32>;
@group(0) @binding(8) var<storage, read_write> xAdv: array<f32>;

// summary
@group(0) @binding(1) var<storage, read> sObjective: array<f32>;
@group(0) @binding(2) var<storage, read> sPredicted: array<u32>;
@group(0) @binding(3) var<storage, read> sLabels: array<u32>;
@group(0) @binding(4) var<storage, read> sFlags: array<u32>;
@group(0) @binding(5) var<storage, read> sBest: array<f32>;
@group(0) @binding(6) var<storage, read_write> stats: array<f32>;

var<workgroup> red: array<f32, SUMMARY_WG>;

@compute @workgroup_size(WG)
fn update(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let b = wid.x;
  if (b >= p.batch) { return; } // uniform per workgroup
  let pred = predicted[b];
  let correctNow = pred == labels[b];
  var goalNow = !correctNow;
  if (p.targeted != 0u) { goalNow = pred == targets[b]; }
  let f = p.objSign * objective[b];
  let oldFlags = flags[b];
  let oldBest = best[b];
  storageBarrier(); // everyone has read the old state before invocation 0 writes the new one
  var newFlags = oldFlags;
  var keep = false;
  var newBest = oldBest;
  if (p.init != 0u) {
    newFlags = select(0u, 1u, correctNow) | select(2u, 0u, goalNow);
    keep = true;
    newBest = f;
  } else {
    if (!correctNow) { newFlags = newFlags & ~1u; }
    if ((oldFlags & 2u) != 0u) {
      if (goalNow) {
        newFlags = newFlags & ~2u;
        keep = true;
        newBest = f;
      } else if (f > oldBest) {
        keep = true;
        newBest = f;
      }
    }
  }
  if (t == 0u) {
    flags[b] = newFlags;
    best[b] = newBest;
  }
  if (keep) {
    let base = b * p.n;
    for (var j = t; j < p.n; j = j + WG) { xAdv[base + j] = x[base + j]; }
  }
}

fn workgroupSum(t: u32, v: f32) -> f32 {
  red[t] = v;
  workgroupBarrier();
  for (var s = SUMMARY_WG / 2u; s > 0u; s = s >> 1u) {
    if (t < s) { red[t] = red[t] + red[t + s]; }
    workgroupBarrier();
  }
  let total = red[0];
  workgroupBarrier();
  return total;
}

@compute @workgroup_size(SUMMARY_WG)
fn summary(@builtin(local_invocation_index) t: u32) {
  var obj = 0.0;
  var robust = 0.0;
  var acc = 0.0;
  var notReached = 0.0;
  var bestSum = 0.0;
  for (var b = t; b < p.batch; b = b + SUMMARY_WG) {
    obj = obj + p.objSign * sObjective[b];
    let fl = sFlags[b];
    robust = robust + f32(fl & 1u);
    notReached = notReached + f32((fl >> 1u) & 1u);
    acc = acc + select(0.0, 1.0, sPredicted[b] == sLabels[b]);
    bestSum = bestSum + sBest[b];
  }
  let inv = 1.0 / f32(p.batch);
  let o = workgroupSum(t, obj);
  let r = workgroupSum(t, robust);
  let a = workgroupSum(t, acc);
  let nr = workgroupSum(t, notReached);
  let bs = workgroupSum(t, bestSum);
  if (t == 0u) {
    stats[0] = o * inv;
    stats[1] = r * inv;
    stats[2] = a * inv;
    stats[3] = nr * inv;
    stats[4] = bs * inv;
  }
}
