/** Shape checks shared by the kernels' host sides: sizes are checked before any buffer is made or dispatch recorded. */

/** Each `keys` field of `s` is an integer in 1…2^32 − 1 (it travels in a u32 uniform). */
export function requirePositiveIntegers<K extends string>(kernel: string, s: Readonly<Record<K, number>>, keys: readonly K[]): void {
  for (const k of keys) {
    const v = s[k];
    if (!Number.isInteger(v) || v < 1 || v > 0xffffffff) throw new RangeError(`${kernel}: ${k} must be a positive integer, got ${v}`);
  }
}

/** Floats of a per-sample stats buffer (shaders/stats_mean.wgsl): [0] the mean over the batch, [1 + i] sample i's. */
export function statsFloats(batch: number): number {
  return 1 + batch;
}
