// Executor ScatterND with reduction = 'add': updates are added into Dst with atomics (a compare-exchange loop for
// f32, atomicAdd for i32), so repeated indices accumulate. Same uniform as exec_gather.wgsl's scatter.

struct Params { v: array<vec4<u32>, 6> }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> Src: array<u32>;
@group(0) @binding(2) var<storage, read> Idx: array<i32>;
@group(0) @binding(3) var<storage, read_write> Dst: array<atomic<u32>>;

fn P(i: u32) -> u32 { return p.v[i >> 2u][i & 3u]; }

fn wrap(i: i32, n: u32) -> u32 {
  var j: i32 = i;
  if (j < 0) { j = j + i32(n); }
  return u32(clamp(j, 0, i32(n) - 1));
}

fn scatterTarget(o: u32) -> u32 {
  let slice = P(1u);
  let k = P(2u);
  let q = o % slice;
  let u = o / slice;
  var off: u32 = 0u;
  for (var t: u32 = 0u; t < k; t = t + 1u) {
    off = off + wrap(Idx[P(5u) + u * k + t], P(8u + t)) * P(16u + t);
  }
  return off + q;
}

@compute @workgroup_size(256)
fn add_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let o = gid.x + gid.y * nwg.x * 256u;
  if (o >= P(0u)) { return; }
  let t = scatterTarget(o);
  let v = bitcast<f32>(Src[P(4u) + o]);
  var old: u32 = atomicLoad(&Dst[t]);
  loop {
    let r = atomicCompareExchangeWeak(&Dst[t], old, bitcast<u32>(bitcast<f32>(old) + v));
    if (r.exchanged) { break; }
    old = r.old_value;
  }
}

@compute @workgroup_size(256)
fn add_i32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let o = gid.x + gid.y * nwg.x * 256u;
  if (o >= P(0u)) { return; }
  atomicAdd(&Dst[scatterTarget(o)], Src[P(4u) + o]);
}
