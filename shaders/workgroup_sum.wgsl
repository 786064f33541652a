// Library, prepended to kernels that reduce within a workgroup (as random.wgsl is to those that draw).
// The including shader declares `const WG: u32` (its workgroup size). Call from uniform control flow.

var<workgroup> partial: array<f32, WG>;

// Sum of `v` over the workgroup; every invocation gets the total.
fn workgroupSum(v: f32, t: u32) -> f32 {
  partial[t] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s >> 1u) {
    if (t < s) { partial[t] = partial[t] + partial[t + s]; }
    workgroupBarrier();
  }
  let total = partial[0];
  workgroupBarrier(); // everyone has read partial[0] before the next call overwrites it
  return total;
}
