// AoS's prompt attack on the GPU (the text side of one training step, src/kernels/promptAttack.ts):
//
// radius:      per prompt b, r_b = || token-embedding rows of its tokens up to and including EOS ||_2 (the rows read
//              straight from the text tower's flat params at the table's offset); writes eps_b = epsRel r_b and
//              alpha_b = alphaRel r_b, the PGD ball and step of that prompt. One workgroup per prompt.
// sampleCoef:  per clean view i of class y, the zero-shot logits against the class embeddings where class y's comes
//              from the adversarial text group (ta) and every other class's from the clean one (tc):
//              z_k = s u_i . (k == y ? ta_k : tc_k); coef_i = s (softmax(z)_y - 1) / N = dCE_mean/d(u_i . ta_y) / 1.
//              One thread per view.
// classGrad:   g[c, k] = sum over views i of class c of coef_i u_i[k] = dCE_mean/d ta[c, k]. One thread per element.

struct Params {
  batch: u32,      // radius: prompts; sampleCoef / classGrad: views N
  tokens: u32,     // radius: context length T
  width: u32,      // radius: token-embedding width W; sampleCoef / classGrad: D
  offset: u32,     // radius: element offset of the token-embedding table in the params
  classes: u32,    // sampleCoef / classGrad: C
  epsRel: f32,
  alphaRel: f32,
  scale: f32,      // logit scale s
}

const WG: u32 = 64u;

@group(0) @binding(0) var<uniform> p: Params;

// radius
@group(0) @binding(1) var<storage, read> params: array<f32>;
@group(0) @binding(2) var<storage, read> ids: array<u32>;
@group(0) @binding(3) var<storage, read> eos: array<u32>;
@group(0) @binding(4) var<storage, read_write> epsOut: array<f32>;
@group(0) @binding(5) var<storage, read_write> alphaOut: array<f32>;

@compute @workgroup_size(WG)
fn radius(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let b = wid.x + wid.y * nwg.x;
  if (b >= p.batch) { return; } // uniform across the workgroup
  let count = (eos[b] + 1u) * p.width;
  var acc = 0.0;
  for (var i = t; i < count; i = i + WG) {
    let pos = i / p.width;
    let row = ids[b * p.tokens + pos];
    let v = params[p.offset + row * p.width + (i % p.width)];
    acc = fma(v, v, acc);
  }
  let r = sqrt(workgroupSum(acc, t));
  if (t == 0u) {
    epsOut[b] = p.epsRel * r;
    alphaOut[b] = p.alphaRel * r;
  }
}

// sampleCoef / classGrad
@group(0) @binding(1) var<storage, read> unitRows: array<f32>;
@group(0) @binding(2) var<storage, read> cleanClass: array<f32>;
@group(0) @binding(3) var<storage, read> advClass: array<f32>;
@group(0) @binding(4) var<storage, read> labels: array<u32>;
@group(0) @binding(5) var<storage, read_write> coef: array<f32>;

@compute @workgroup_size(WG)
fn sampleCoef(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= p.batch) { return; }
  let y = labels[i];
  let D = p.width;
  // One pass, the log-sum-exp kept online: the running sum is rescaled whenever the running max grows.
  var zmax = -3.0e38;
  var sum = 0.0;
  var zy = 0.0;
  for (var k = 0u; k < p.classes; k = k + 1u) {
    var dot = 0.0;
    for (var j = 0u; j < D; j = j + 1u) {
      let t = select(cleanClass[k * D + j], advClass[k * D + j], k == y);
      dot = fma(unitRows[i * D + j], t, dot);
    }
    let z = p.scale * dot;
    if (z > zmax) {
      sum = sum * exp(zmax - z);
      zmax = z;
    }
    sum = sum + exp(z - zmax);
    if (k == y) { zy = z; }
  }
  let py = exp(zy - zmax) / sum;
  coef[i] = p.scale * (py - 1.0) / f32(p.batch);
}

@group(0) @binding(1) var<storage, read> gUnitRows: array<f32>;
@group(0) @binding(2) var<storage, read> gLabels: array<u32>;
@group(0) @binding(3) var<storage, read> gCoef: array<f32>;
@group(0) @binding(4) var<storage, read_write> gClass: array<f32>;

@compute @workgroup_size(WG)
fn classGrad(@builtin(global_invocation_id) gid: vec3<u32>) {
  let e = gid.x;
  if (e >= p.classes * p.width) { return; }
  let c = e / p.width;
  let k = e % p.width;
  var acc = 0.0;
  for (var i = 0u; i < p.batch; i = i + 1u) {
    if (gLabels[i] == c) { acc = fma(gCoef[i], gUnitRows[i * p.width + k], acc); }
  }
  gClass[e] = acc;
}
