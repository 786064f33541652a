/**
 * Round axis ticks (steps of 1, 2 or 5 × 10^k) for the canvas charts. `inside`: only ticks within [lo, hi] (a plot
 * whose range is fixed); `cover`: from the tick at or below lo to the first at or above hi (a plot whose range
 * follows the ticks).
 */
export function niceTicks(lo: number, hi: number, count = 4, mode: 'inside' | 'cover' = 'inside'): number[] {
  if (!(hi > lo)) {
    const d = Math.abs(lo) * 0.1 || 1;
    lo -= d;
    hi += d;
  }
  const raw = (hi - lo) / count, mag = 10 ** Math.floor(Math.log10(raw)), f = raw / mag;
  const step = (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
  const first = mode === 'inside' ? Math.ceil(lo / step - 1e-9) * step : Math.floor(lo / step) * step;
  const last = mode === 'inside' ? hi + step * 1e-6 : hi + step * 0.5;
  const out: number[] = [];
  for (let v = first; v <= last; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}
