// Library, prepended (after workgroup_sum.wgsl) to per-sample loss kernels whose `stats` buffer holds
// [mean, value_0 … value_{count−1}]: one workgroup writes the mean. The including shader declares `stats`.

fn writeStatsMean(t: u32, count: u32) {
  var acc: f32 = 0.0;
  for (var i = t; i < count; i = i + WG) { acc = acc + stats[1u + i]; }
  let total = workgroupSum(acc, t);
  if (t == 0u) { stats[0] = total / f32(count); }
}
