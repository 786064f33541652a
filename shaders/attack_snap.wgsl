// Snaps adversarial pixels to the 8-bit grid (multiples of 1/255) inside the budget, one workgroup per sample, so
// a saved PNG is exactly the image that is then re-verified.
//   NORM = 0 (L-inf): each value goes to the grid point nearest x inside [max(x0 - eps, 0), min(x0 + eps, 1)]
//     (bounds taken with a slack of 1e-3 grid units, so an x0 on the grid and eps = k/255 keep their k steps); when
//     that interval holds no grid point (eps < 1/510 and x0 off the grid) the grid point nearest x0.
//   NORM = 1 (L2): nearest grid points; if that leaves the ball, every value is rounded towards x0's grid point
//     instead (k0 + trunc(255 x - k0), k0 = round(255 x0)), which never leaves the ball when x0 is on the grid.
// Rounding is WGSL's round() (halves to even); the CPU reference does the same. The grid values k/255 come from a
// table (the correctly rounded float32 of k/255, as a PNG decoder produces them): a division on the GPU may be off
// by an ulp, and then the verified image would not be bit for bit the saved one.

override NORM: u32 = 0u;

struct Params {
  n: u32,
  batch: u32,
  pad0: u32,
  pad1: u32,
  grid: array<vec4<f32>, 64>, // grid[k / 4][k % 4] = f32(k / 255)
}

fn gridValue(g: f32) -> f32 {
  let k = u32(clamp(g, 0.0, 255.0));
  return p.grid[k / 4u][k % 4u];
}

const WG: u32 = 256u;
const TOL: f32 = 1e-3;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> x0: array<f32>;
@group(0) @binding(3) var<storage, read> eps: array<f32>;
@group(0) @binding(4) var<storage, read_write> outX: array<f32>;



@compute @workgroup_size(WG)
fn snap(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let b = wid.x;
  if (b >= p.batch) { return; }
  let base = b * p.n;
  let e = eps[b];
  if (NORM == 0u) {
    for (var j = t; j < p.n; j = j + WG) {
      let c = x0[base + j];
      let lo = ceil(max(c - e, 0.0) * 255.0 - TOL);
      let hi = floor(min(c + e, 1.0) * 255.0 + TOL);
      var g = round(x[base + j] * 255.0);
      if (lo <= hi) { g = clamp(g, lo, hi); } else { g = round(c * 255.0); }
      outX[base + j] = gridValue(g);
    }
    return;
  }
  var dd = 0.0;
  for (var j = t; j < p.n; j = j + WG) {
    let d = clamp(round(x[base + j] * 255.0), 0.0, 255.0) / 255.0 - x0[base + j];
    dd = fma(d, d, dd);
  }
  let inside = sqrt(workgroupSum(dd, t)) <= e;
  for (var j = t; j < p.n; j = j + WG) {
    var g = clamp(round(x[base + j] * 255.0), 0.0, 255.0);
    if (!inside) {
      let k0 = round(x0[base + j] * 255.0);
      g = clamp(k0 + trunc(x[base + j] * 255.0 - k0), 0.0, 255.0);
    }
    outX[base + j] = gridValue(g);
  }
}
