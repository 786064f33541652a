// Executor 2-D convolutions (1-D runs as H = 1). X [N, C, H, W], contiguous at xOff; Out [N, M, OH, OW] contiguous.
//  - conv_patch: stride = kernel, no padding, dilation 1, group 1 (ViT patch embedding) as an im2col-free matmul:
//    Out[n, m, P] = Σ_(c,ky,kx) W[m, c, ky, kx] · X[n, c, gy·KH + ky, gx·KW + kx], P = gy·OW + gx; each invocation
//    owns 4 output channels × 4 patches, no workgroup memory.
//  - conv_direct: any stride, padding, dilation, group: one invocation per output element.
//  - convt_patch: ConvTranspose with stride = kernel, no padding at the start, dilation 1, group 1 (the gradient of
//    the patch embedding w.r.t. its input): each output pixel gets exactly one input pixel, Out[n, m, y, x] =
//    Σ_c X[n, c, y / KH, x / KW] · W[c, m, y % KH, x % KW]; each invocation owns 4 output channels of one pixel.
//  - convt_direct: ConvTranspose (W [C, M/group, KH, KW]), one invocation per output element gathering the inputs
//    that reach it.
// Entry points ending in _bias add Bias[bOff + m].
//
// Uniform words: 0 N, 1 C, 2 H, 3 W, 4 M, 5 OH, 6 OW, 7 KH, 8 KW, 9 sH, 10 sW, 11 padT, 12 padL (i32 bits: a
// ConvTranspose begin pad may be negative), 13 dH, 14 dW, 15 group, 16 xOff, 17 wOff, 18 bOff.

struct Params { v: array<vec4<u32>, 5> }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> Wt: array<f32>;
@group(0) @binding(3) var<storage, read_write> O: array<f32>;
@group(0) @binding(4) var<storage, read> Bias: array<f32>;

fn P(i: u32) -> u32 { return p.v[i >> 2u][i & 3u]; }

struct PatchTile {
  acc: array<vec4<f32>, 4>,
  m0: u32,
  p0: u32,
}

fn patchTile(gid: vec3<u32>) -> PatchTile {
  var t: PatchTile;
  t.acc = array<vec4<f32>, 4>(vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0));
  let C = P(1u);
  let H = P(2u);
  let W = P(3u);
  let M = P(4u);
  let OW = P(6u);
  let KH = P(7u);
  let KW = P(8u);
  let np = P(5u) * OW;
  t.m0 = gid.y * 4u;
  t.p0 = gid.x * 4u;
  let n = gid.z;
  // Top-left input pixel of each of the 4 patches (clamped past the edge; never stored).
  var pix = vec4<u32>(0u);
  for (var j: u32 = 0u; j < 4u; j = j + 1u) {
    let q = min(t.p0 + j, np - 1u);
    pix[j] = (q / OW) * KH * W + (q % OW) * KW;
  }
  let K = C * KH * KW;
  let w0 = P(17u) + min(t.m0, M - 1u) * K;
  let w1 = P(17u) + min(t.m0 + 1u, M - 1u) * K;
  let w2 = P(17u) + min(t.m0 + 2u, M - 1u) * K;
  let w3 = P(17u) + min(t.m0 + 3u, M - 1u) * K;
  var k: u32 = 0u;
  for (var c: u32 = 0u; c < C; c = c + 1u) {
    let plane = P(16u) + (n * C + c) * H * W;
    for (var ky: u32 = 0u; ky < KH; ky = ky + 1u) {
      for (var kx: u32 = 0u; kx < KW; kx = kx + 1u) {
        let off = plane + ky * W + kx;
        let xv = vec4<f32>(X[off + pix[0]], X[off + pix[1]], X[off + pix[2]], X[off + pix[3]]);
        t.acc[0] = fma(vec4<f32>(Wt[w0 + k]), xv, t.acc[0]);
        t.acc[1] = fma(vec4<f32>(Wt[w1 + k]), xv, t.acc[1]);
        t.acc[2] = fma(vec4<f32>(Wt[w2 + k]), xv, t.acc[2]);
        t.acc[3] = fma(vec4<f32>(Wt[w3 + k]), xv, t.acc[3]);
        k = k + 1u;
      }
    }
  }
  return t;
}

// Stores the tile plus a per-channel offset (the bias: only the _bias entry point reads the Bias buffer).
fn storePatch(t: PatchTile, n: u32, b: vec4<f32>) {
  let M = P(4u);
  let np = P(5u) * P(6u);
  for (var i: u32 = 0u; i < 4u; i = i + 1u) {
    let m = t.m0 + i;
    if (m >= M) { break; }
    for (var j: u32 = 0u; j < 4u; j = j + 1u) {
      let q = t.p0 + j;
      if (q >= np) { break; }
      O[(n * M + m) * np + q] = t.acc[i][j] + b[i];
    }
  }
}

@compute @workgroup_size(16, 16, 1)
fn conv_patch(@builtin(global_invocation_id) gid: vec3<u32>) {
  if (gid.z >= P(0u) || gid.y * 4u >= P(4u) || gid.x * 4u >= P(5u) * P(6u)) { return; }
  storePatch(patchTile(gid), gid.z, vec4<f32>(0.0));
}

@compute @workgroup_size(16, 16, 1)
fn conv_patch_bias(@builtin(global_invocation_id) gid: vec3<u32>) {
  if (gid.z >= P(0u) || gid.y * 4u >= P(4u) || gid.x * 4u >= P(5u) * P(6u)) { return; }
  let M = P(4u);
  var b = vec4<f32>(0.0);
  for (var i: u32 = 0u; i < 4u; i = i + 1u) { b[i] = Bias[P(18u) + min(gid.y * 4u + i, M - 1u)]; }
  storePatch(patchTile(gid), gid.z, b);
}

fn outIndex(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * 64u;
}

fn directAt(o: u32) -> f32 {
  let C = P(1u);
  let H = P(2u);
  let W = P(3u);
  let M = P(4u);
  let OH = P(5u);
  let OW = P(6u);
  let KH = P(7u);
  let KW = P(8u);
  let group = P(15u);
  let ox = o % OW;
  let oy = (o / OW) % OH;
  let m = (o / (OW * OH)) % M;
  let n = o / (OW * OH * M);
  let cg = C / group;
  let g = m / (M / group);
  var acc: f32 = 0.0;
  for (var ci: u32 = 0u; ci < cg; ci = ci + 1u) {
    let c = g * cg + ci;
    for (var ky: u32 = 0u; ky < KH; ky = ky + 1u) {
      let iy = i32(oy * P(9u) + ky * P(13u)) - i32(P(11u));
      if (iy < 0 || iy >= i32(H)) { continue; }
      for (var kx: u32 = 0u; kx < KW; kx = kx + 1u) {
        let ix = i32(ox * P(10u) + kx * P(14u)) - i32(P(12u));
        if (ix < 0 || ix >= i32(W)) { continue; }
        let xv = X[P(16u) + ((n * C + c) * H + u32(iy)) * W + u32(ix)];
        let wv = Wt[P(17u) + ((m * cg + ci) * KH + ky) * KW + kx];
        acc = fma(xv, wv, acc);
      }
    }
  }
  return acc;
}

@compute @workgroup_size(64)
fn conv_direct(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let o = outIndex(gid, nwg);
  if (o >= P(0u) * P(4u) * P(5u) * P(6u)) { return; }
  O[o] = directAt(o);
}

@compute @workgroup_size(64)
fn conv_direct_bias(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let o = outIndex(gid, nwg);
  if (o >= P(0u) * P(4u) * P(5u) * P(6u)) { return; }
  let m = (o / (P(5u) * P(6u))) % P(4u);
  O[o] = directAt(o) + Bias[P(18u) + m];
}

fn transposeAt(o: u32) -> f32 {
  let C = P(1u);
  let H = P(2u);
  let W = P(3u);
  let M = P(4u);
  let OH = P(5u);
  let OW = P(6u);
  let KH = P(7u);
  let KW = P(8u);
  let sH = i32(P(9u));
  let sW = i32(P(10u));
  let group = P(15u);
  let ox = o % OW;
  let oy = (o / OW) % OH;
  let m = (o / (OW * OH)) % M;
  let n = o / (OW * OH * M);
  let cg = C / group;
  let mg = M / group;
  let g = m / mg;
  let mi = m - g * mg;
  var acc: f32 = 0.0;
  for (var ky: u32 = 0u; ky < KH; ky = ky + 1u) {
    let ty = i32(oy) + i32(P(11u)) - i32(ky * P(13u));
    if (ty < 0 || ty % sH != 0) { continue; }
    let iy = ty / sH;
    if (iy >= i32(H)) { continue; }
    for (var kx: u32 = 0u; kx < KW; kx = kx + 1u) {
      let tx = i32(ox) + i32(P(12u)) - i32(kx * P(14u));
      if (tx < 0 || tx % sW != 0) { continue; }
      let ix = tx / sW;
      if (ix >= i32(W)) { continue; }
      for (var ci: u32 = 0u; ci < cg; ci = ci + 1u) {
        let c = g * cg + ci;
        let xv = X[P(16u) + ((n * C + c) * H + u32(iy)) * W + u32(ix)];
        let wv = Wt[P(17u) + ((c * mg + mi) * KH + ky) * KW + kx];
        acc = fma(xv, wv, acc);
      }
    }
  }
  return acc;
}

@compute @workgroup_size(64)
fn convt_direct(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let o = outIndex(gid, nwg);
  if (o >= P(0u) * P(4u) * P(5u) * P(6u)) { return; }
  O[o] = transposeAt(o);
}

@compute @workgroup_size(64)
fn convt_direct_bias(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let o = outIndex(gid, nwg);
  if (o >= P(0u) * P(4u) * P(5u) * P(6u)) { return; }
  let m = (o / (P(5u) * P(6u))) % P(4u);
  O[o] = transposeAt(o) + Bias[P(18u) + m];
}

fn convtPatch(t: u32) -> vec4<f32> {
  let C = P(1u);
  let H = P(2u);
  let W = P(3u);
  let M = P(4u);
  let OH = P(5u);
  let OW = P(6u);
  let KH = P(7u);
  let KW = P(8u);
  let mq = (M + 3u) / 4u;
  let ox = t % OW;
  let oy = (t / OW) % OH;
  let m0 = ((t / (OW * OH)) % mq) * 4u;
  let n = t / (OW * OH * mq);
  let iy = oy / KH;
  let ix = ox / KW;
  var acc = vec4<f32>(0.0);
  if (iy >= H || ix >= W) { return acc; }
  let kk = KH * KW;
  let plane = H * W;
  let xb = P(16u) + (n * C * H + iy) * W + ix;
  let wb = P(17u) + (oy % KH) * KW + ox % KW;
  let w0 = wb + min(m0, M - 1u) * kk;
  let w1 = wb + min(m0 + 1u, M - 1u) * kk;
  let w2 = wb + min(m0 + 2u, M - 1u) * kk;
  let w3 = wb + min(m0 + 3u, M - 1u) * kk;
  for (var c: u32 = 0u; c < C; c = c + 1u) {
    let xv = X[xb + c * plane];
    let wr = c * M * kk;
    acc = fma(vec4<f32>(xv), vec4<f32>(Wt[w0 + wr], Wt[w1 + wr], Wt[w2 + wr], Wt[w3 + wr]), acc);
  }
  return acc;
}

fn storeConvtPatch(t: u32, acc: vec4<f32>, b: vec4<f32>) {
  let M = P(4u);
  let OH = P(5u);
  let OW = P(6u);
  let mq = (M + 3u) / 4u;
  let pix = t % (OW * OH);
  let m0 = ((t / (OW * OH)) % mq) * 4u;
  let n = t / (OW * OH * mq);
  for (var i: u32 = 0u; i < 4u; i = i + 1u) {
    let m = m0 + i;
    if (m >= M) { break; }
    O[(n * M + m) * OH * OW + pix] = acc[i] + b[i];
  }
}

@compute @workgroup_size(64)
fn convt_patch(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = outIndex(gid, nwg);
  if (t >= P(0u) * ((P(4u) + 3u) / 4u) * P(5u) * P(6u)) { return; }
  storeConvtPatch(t, convtPatch(t), vec4<f32>(0.0));
}

@compute @workgroup_size(64)
fn convt_patch_bias(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = outIndex(gid, nwg);
  if (t >= P(0u) * ((P(4u) + 3u) / 4u) * P(5u) * P(6u)) { return; }
  let M = P(4u);
  let m0 = ((t / (P(5u) * P(6u))) % ((M + 3u) / 4u)) * 4u;
  var b = vec4<f32>(0.0);
  for (var i: u32 = 0u; i < 4u; i = i + 1u) { b[i] = Bias[P(18u) + min(m0 + i, M - 1u)]; }
  storeConvtPatch(t, convtPatch(t), b);
}
