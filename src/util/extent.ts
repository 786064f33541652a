/**
 * The smallest and largest of many numbers, by a loop: `Math.min(...values)` passes every value as an argument and
 * overflows the stack past ~10^5 of them in Chromium (a results file's curves reach 4096 points × 32+ series).
 */
export function extent(values: ArrayLike<number>, start: { lo: number; hi: number } = { lo: Infinity, hi: -Infinity }): { lo: number; hi: number } {
  let { lo, hi } = start;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return { lo, hi };
}
