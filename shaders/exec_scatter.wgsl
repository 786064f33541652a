// Executor ScatterND with reduction = 'add', deterministic: repeated indices are summed in the order of the update
// rows, whatever order the GPU runs threads in (an atomic compare-exchange loop summed f32 in arrival order, so two
// runs of one training step could differ in their last bits). Three kinds of pass:
//   sort_keys    Key[u] = the destination offset of update row u; Ord[u] = u (rows U..N-1: the sentinel, sorted last)
//   bitonic      one compare-exchange stage (j, kk) of a bitonic sort of Ord by (Key, row): N a power of two
//   add          a thread per (sorted position i, column q): the first row of each run of equal keys sums that run
//                in row order and adds the sum to Dst (one writer per element: no atomics)
// uniform: 0 nUpd * slice, 1 slice, 2 k, 3 U (update rows), 4 srcOff (updates), 5 idxOff, 6 N (padded rows),
//          7 -, 8-15 dims, 16-23 strides, 24 j, 25 kk (bitonic stage)

struct Params { v: array<vec4<u32>, 7> }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> Key: array<u32>;
@group(0) @binding(2) var<storage, read_write> Ord: array<u32>;
@group(0) @binding(3) var<storage, read> Idx: array<i32>;
@group(0) @binding(4) var<storage, read> Src: array<u32>;
@group(0) @binding(5) var<storage, read_write> Dst: array<u32>;

const SENTINEL: u32 = 0xffffffffu;
override INT: bool = false;

fn P(i: u32) -> u32 { return p.v[i >> 2u][i & 3u]; }

fn wrap(i: i32, n: u32) -> u32 {
  var j: i32 = i;
  if (j < 0) { j = j + i32(n); }
  return u32(clamp(j, 0, i32(n) - 1));
}

/** The destination offset of update row u (its first element). */
fn rowTarget(u: u32) -> u32 {
  let k = P(2u);
  var off: u32 = 0u;
  for (var t: u32 = 0u; t < k; t = t + 1u) {
    off = off + wrap(Idx[P(5u) + u * k + t], P(8u + t)) * P(16u + t);
  }
  return off;
}

fn flat(gid: vec3<u32>, nwg: vec3<u32>) -> u32 { return gid.x + gid.y * nwg.x * 256u; }

@compute @workgroup_size(256)
fn sort_keys(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let u = flat(gid, nwg);
  if (u >= P(6u)) { return; }
  if (u < P(3u)) {
    Key[u] = rowTarget(u);
    Ord[u] = u;
  } else {
    Ord[u] = SENTINEL;
  }
}

/** Whether row a sorts before row b: by key, then by row; the sentinel last. */
fn before(a: u32, b: u32) -> bool {
  if (a == SENTINEL) { return false; }
  if (b == SENTINEL) { return true; }
  let ka = Key[a];
  let kb = Key[b];
  return ka < kb || (ka == kb && a < b);
}

@compute @workgroup_size(256)
fn bitonic(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat(gid, nwg);
  if (i >= P(6u)) { return; }
  let l = i ^ P(24u);
  if (l <= i) { return; }
  let a = Ord[i];
  let b = Ord[l];
  let ascending = (i & P(25u)) == 0u;
  if (before(b, a) == ascending) {
    Ord[i] = b;
    Ord[l] = a;
  }
}

/** Position i heads a run of equal keys: the sum over its run, or false (another position writes it). */
fn heads(i: u32) -> bool {
  return i == 0u || Key[Ord[i - 1u]] != Key[Ord[i]];
}

/** a + b on the element type's bits: i32 when the pipeline constant INT is 1, else f32. */
fn addBits(a: u32, b: u32) -> u32 {
  if (INT) { return bitcast<u32>(bitcast<i32>(a) + bitcast<i32>(b)); }
  return bitcast<u32>(bitcast<f32>(a) + bitcast<f32>(b));
}

@compute @workgroup_size(256)
fn add(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let o = flat(gid, nwg);
  if (o >= P(0u)) { return; }
  let slice = P(1u);
  let i = o / slice;
  let q = o % slice;
  if (!heads(i)) { return; }
  let key = Key[Ord[i]];
  var acc: u32 = 0u; // 0 in both types
  for (var m: u32 = i; m < P(3u); m = m + 1u) {
    let u = Ord[m];
    if (Key[u] != key) { break; }
    acc = addBits(acc, Src[P(4u) + u * slice + q]);
  }
  // rowTarget(Ord[i]) is `key`; reading it from Idx keeps the five bindings of every entry the same.
  let t = rowTarget(Ord[i]) + q;
  Dst[t] = addBits(Dst[t], acc);
}
