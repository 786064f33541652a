// Row-wise L2 normalisation of a [rows, d] matrix and its gradient.
//   forward:  y = x / r with r = max(||x||, eps); also writes ||x|| per row (the backward needs it).
//   backward: gx = (gy - y * (y . gy)) / ||x||   where ||x|| >= eps,
//             gx = gy / eps                       where ||x|| <  eps (there the map is the linear x / eps).
// One workgroup per row (row = workgroup_id.x + workgroup_id.y * num_workgroups.x, so rows may exceed the 65535
// per-dimension dispatch limit); each invocation walks the row with stride WG and the partial sums meet in a
// workgroup tree reduction, so any d works. The two entry points bind different buffers at the same binding
// numbers: with layout 'auto' each pipeline only sees the variables its entry point uses.

struct Params {
  rows: u32,
  d: u32,
  eps: f32,
}

const WG: u32 = 64u;

@group(0) @binding(0) var<uniform> p: Params;

// forward
@group(0) @binding(1) var<storage, read> fwdX: array<f32>;
@group(0) @binding(2) var<storage, read_write> fwdY: array<f32>;
@group(0) @binding(3) var<storage, read_write> fwdNorm: array<f32>;

// backward
@group(0) @binding(1) var<storage, read> bwdY: array<f32>;
@group(0) @binding(2) var<storage, read> bwdNorm: array<f32>;
@group(0) @binding(3) var<storage, read> bwdGy: array<f32>;
@group(0) @binding(4) var<storage, read_write> bwdGx: array<f32>;



@compute @workgroup_size(WG)
fn forward(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) t: u32,
) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= p.rows) { return; } // uniform across the workgroup, so the barriers below stay uniform
  let base = row * p.d;
  var sumSq = 0.0;
  for (var k = t; k < p.d; k = k + WG) {
    let v = fwdX[base + k];
    sumSq = fma(v, v, sumSq);
  }
  let norm = sqrt(workgroupSum(sumSq, t));
  let r = max(norm, p.eps);
  for (var k = t; k < p.d; k = k + WG) {
    fwdY[base + k] = fwdX[base + k] / r;
  }
  if (t == 0u) { fwdNorm[row] = norm; }
}

@compute @workgroup_size(WG)
fn backward(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) t: u32,
) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= p.rows) { return; }
  let base = row * p.d;
  var dotPart = 0.0;
  for (var k = t; k < p.d; k = k + WG) {
    dotPart = fma(bwdY[base + k], bwdGy[base + k], dotPart);
  }
  let yDotGy = workgroupSum(dotPart, t);
  let norm = bwdNorm[row];
  if (norm >= p.eps) {
    for (var k = t; k < p.d; k = k + WG) {
      bwdGx[base + k] = (bwdGy[base + k] - bwdY[base + k] * yDotGy) / norm;
    }
  } else {
    for (var k = t; k < p.d; k = k + WG) {
      bwdGx[base + k] = bwdGy[base + k] / p.eps;
    }
  }
}
