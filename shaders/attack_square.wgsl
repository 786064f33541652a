// Square-style random search under an L-inf budget (Andriushchenko et al. 2020): gradient-free, so it is blind to
// gradient masking. shaders/random.wgsl is prepended. Images are [batch, channels, height, width] in [0, 1].
//   init (elementwise): vertical stripes, xCand = box(x0 + eps * s) with one random sign s per (sample, channel, column)
//   propose (elementwise): xCand = xCur except one random side x side square per sample, where each channel is set to
//     box(x0 + eps * s) with a random sign s per (sample, channel)
//   accept (one workgroup per sample): keeps xCand where its objective beats the current one (force = 1: always)
// Draws: stripes use stream 0; proposal `iter` (>= 1) draws the square's corner from stream 2 * iter and the signs
// from stream 2 * iter + 1.

struct Params {
  n: u32,
  batch: u32,
  channels: u32,
  height: u32,
  width: u32,
  side: u32,
  seed: u32,
  iter: u32,
  force: u32,
  objSign: f32,
}

const WG: u32 = 256u;

@group(0) @binding(0) var<uniform> p: Params;

// init
@group(0) @binding(1) var<storage, read> iX0: array<f32>;
@group(0) @binding(2) var<storage, read> iEps: array<f32>;
@group(0) @binding(3) var<storage, read_write> iCand: array<f32>;

// propose
@group(0) @binding(1) var<storage, read> pX0: array<f32>;
@group(0) @binding(2) var<storage, read> pEps: array<f32>;
@group(0) @binding(3) var<storage, read> pCur: array<f32>;
@group(0) @binding(4) var<storage, read_write> pCand: array<f32>;

// accept
@group(0) @binding(1) var<storage, read> aCand: array<f32>;
@group(0) @binding(2) var<storage, read> aObjective: array<f32>;
@group(0) @binding(3) var<storage, read_write> aCur: array<f32>;
@group(0) @binding(4) var<storage, read_write> aObjCur: array<f32>;

fn signOf(u: u32) -> f32 {
  return select(-1.0, 1.0, (u & 1u) == 1u);
}

@compute @workgroup_size(WG)
fn init(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let total = p.batch * p.n;
  let plane = p.height * p.width;
  for (var i = gid.x; i < total; i = i + nwg.x * WG) {
    let b = i / p.n;
    let r = i % p.n;
    let c = r / plane;
    let col = (r % plane) % p.width;
    let s = signOf(randU32(p.seed, 0u, (b * p.channels + c) * p.width + col));
    iCand[i] = clamp(iX0[i] + iEps[b] * s, 0.0, 1.0);
  }
}

@compute @workgroup_size(WG)
fn propose(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let total = p.batch * p.n;
  let plane = p.height * p.width;
  for (var i = gid.x; i < total; i = i + nwg.x * WG) {
    let b = i / p.n;
    let r = i % p.n;
    let c = r / plane;
    let row = (r % plane) / p.width;
    let col = (r % plane) % p.width;
    let top = randU32(p.seed, 2u * p.iter, 2u * b) % (p.height - p.side + 1u);
    let left = randU32(p.seed, 2u * p.iter, 2u * b + 1u) % (p.width - p.side + 1u);
    let inside = row >= top && row < top + p.side && col >= left && col < left + p.side;
    var v = pCur[i];
    if (inside) {
      let s = signOf(randU32(p.seed, 2u * p.iter + 1u, b * p.channels + c));
      v = clamp(pX0[i] + pEps[b] * s, 0.0, 1.0);
    }
    pCand[i] = v;
  }
}

@compute @workgroup_size(WG)
fn accept(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let b = wid.x;
  if (b >= p.batch) { return; }
  let f = p.objSign * aObjective[b];
  let old = aObjCur[b];
  storageBarrier(); // every invocation has read the old objective before invocation 0 replaces it
  let take = p.force != 0u || f > old;
  if (t == 0u && take) { aObjCur[b] = f; }
  if (take) {
    let base = b * p.n;
    for (var j = t; j < p.n; j = j + WG) { aCur[base + j] = aCand[base + j]; }
  }
}
