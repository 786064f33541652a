// Softmax cross-entropy of a [batch, classes] logit matrix against u32 labels, with optional per-sample weights.
//   rowLoss (one workgroup of ROW_WG per row; row = workgroup_id.x + workgroup_id.y * num_workgroups.x):
//     loss[b]      = logsumexp(l[b]) - l[b, label[b]]            (max-subtracted, so large logits stay finite)
//     predicted[b] = argmax_c l[b, c] (lowest index on ties);  correct[b] = predicted[b] == label[b]
//     dLogits[b,c] = w[b] / batch * (softmax(l[b])_c - [c == label[b]])   (gradient of the mean loss below)
//   summary (one workgroup of SUMMARY_WG): summary[0] = sum_b w[b] * loss[b] / batch, summary[1] = accuracy.
// Without weights (useWeights = 0) w = 1 and the weight binding is never read (the host binds any buffer there).
// A label >= classes gives a NaN loss. The entry points bind different buffers at the same binding numbers: with
// layout 'auto' each pipeline only sees the variables its own entry point uses.

struct Params {
  batch: u32,
  classes: u32,
  useWeights: u32,
  invBatch: f32,
}

const ROW_WG: u32 = 64u;
const SUMMARY_WG: u32 = 256u;
const LOWEST_F32: f32 = -0x1.fffffep+127f;
const NO_INDEX: u32 = 0xffffffffu;

@group(0) @binding(0) var<uniform> p: Params;

// rowLoss
@group(0) @binding(1) var<storage, read> rowLogits: array<f32>;
@group(0) @binding(2) var<storage, read> rowLabels: array<u32>;
@group(0) @binding(3) var<storage, read> rowWeights: array<f32>;
@group(0) @binding(4) var<storage, read_write> rowLossOut: array<f32>;
@group(0) @binding(5) var<storage, read_write> rowPredicted: array<u32>;
@group(0) @binding(6) var<storage, read_write> rowCorrect: array<u32>;
@group(0) @binding(7) var<storage, read_write> rowDLogits: array<f32>;

// summary
@group(0) @binding(1) var<storage, read> sumLossIn: array<f32>;
@group(0) @binding(2) var<storage, read> sumWeights: array<f32>;
@group(0) @binding(3) var<storage, read> sumCorrect: array<u32>;
@group(0) @binding(4) var<storage, read_write> summaryOut: array<f32>;

var<workgroup> redValue: array<f32, SUMMARY_WG>;
var<workgroup> redIndex: array<u32, ROW_WG>;

// Sum of `v` over a workgroup of `size` invocations (a power of two); all get the total. Uniform control flow only.
fn workgroupSum(t: u32, v: f32, size: u32) -> f32 {
  redValue[t] = v;
  workgroupBarrier();
  for (var stride = size / 2u; stride > 0u; stride = stride >> 1u) {
    if (t < stride) { redValue[t] = redValue[t] + redValue[t + stride]; }
    workgroupBarrier();
  }
  let total = redValue[0];
  workgroupBarrier(); // redValue may be reused by the next reduction
  return total;
}

@compute @workgroup_size(ROW_WG)
fn rowLoss(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) t: u32,
) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= p.batch) { return; } // uniform across the workgroup, so the barriers below stay uniform
  let C = p.classes;
  let base = row * C;

  // Max and argmax: each invocation scans its columns in increasing order (strict > keeps the lowest index), then
  // the tree keeps the lower index on equal values.
  var best = LOWEST_F32;
  var bestIndex = NO_INDEX;
  for (var c = t; c < C; c = c + ROW_WG) {
    let v = rowLogits[base + c];
    if (v > best || bestIndex == NO_INDEX) { best = v; bestIndex = c; }
  }
  redValue[t] = best;
  redIndex[t] = bestIndex;
  workgroupBarrier();
  for (var stride = ROW_WG / 2u; stride > 0u; stride = stride >> 1u) {
    if (t < stride) {
      let ov = redValue[t + stride];
      let oi = redIndex[t + stride];
      let mine = redIndex[t];
      if (oi != NO_INDEX && (mine == NO_INDEX || ov > redValue[t] || (ov == redValue[t] && oi < mine))) {
        redValue[t] = ov;
        redIndex[t] = oi;
      }
    }
    workgroupBarrier();
  }
  let maxLogit = redValue[0];
  let argmax = redIndex[0];
  workgroupBarrier();

  var expPart = 0.0;
  for (var c = t; c < C; c = c + ROW_WG) { expPart = expPart + exp(rowLogits[base + c] - maxLogit); }
  let sumExp = workgroupSum(t, expPart, ROW_WG);

  let label = rowLabels[row];
  if (t == 0u) {
    // NaN for an out-of-range label; through a `let` because a constant NaN is a shader-creation error.
    let nanBits = 0x7fc00000u;
    var loss = bitcast<f32>(nanBits);
    if (label < C) { loss = maxLogit + log(sumExp) - rowLogits[base + label]; }
    rowLossOut[row] = loss;
    rowPredicted[row] = argmax;
    rowCorrect[row] = select(0u, 1u, argmax == label);
  }

  var weight = 1.0;
  if (p.useWeights != 0u) { weight = rowWeights[row]; }
  let gradScale = weight * p.invBatch;
  let invSumExp = 1.0 / sumExp;
  for (var c = t; c < C; c = c + ROW_WG) {
    let prob = exp(rowLogits[base + c] - maxLogit) * invSumExp;
    rowDLogits[base + c] = gradScale * (prob - select(0.0, 1.0, c == label));
  }
}

@compute @workgroup_size(SUMMARY_WG)
fn summary(@builtin(local_invocation_index) t: u32) {
  var lossPart = 0.0;
  var correctPart = 0.0;
  for (var b = t; b < p.batch; b = b + SUMMARY_WG) {
    var weight = 1.0;
    if (p.useWeights != 0u) { weight = sumWeights[b]; }
    lossPart = fma(weight, sumLossIn[b], lossPart);
    correctPart = correctPart + f32(sumCorrect[b]);
  }
  let lossTotal = workgroupSum(t, lossPart, SUMMARY_WG);
  let correctTotal = workgroupSum(t, correctPart, SUMMARY_WG);
  if (t == 0u) {
    summaryOut[0] = lossTotal * p.invBatch;
    summaryOut[1] = correctTotal * p.invBatch;
  }
}
