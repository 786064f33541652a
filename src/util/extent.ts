/**
 * The smallest and largest of many numbers, by a loop: `Math.min(...values)` passes every value as an argument and
 * overflows the stack past ~10^5 of them in Chromium (a results file's curves reach 4096 points × 32+ series).
 */
export function extent(values: Iterable<number>, start: { lo: number; hi: number } = { lo: Infinity, hi: -Infinity }): { lo: number; hi: number } {
  let { lo, hi } = start;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return { lo, hi };
}
