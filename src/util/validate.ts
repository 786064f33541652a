/**
 * The one comparison used by every kernel test: |actual - ref| <= atol + rtol * |ref| element-wise.
 * Reports the worst element and the first mismatches, llm.c style, so a failure says where and by how much.
 * `atol` may be one number or one per element: fp32 error follows the size of what an element was summed from,
 * which for a sum that cancels (a momentum buffer) is not its own size.
 */
import { extent } from './extent';

export interface ValidateResult {
  ok: boolean;
  count: number;
  mismatches: number;
  maxAbsErr: number;
  /** Worst element by (|a - r| - atol - rtol|r|). */
  worst: { index: number; actual: number; ref: number } | null;
  message: string;
}

export function validate(
  actual: ArrayLike<number>,
  ref: ArrayLike<number>,
  atol: number | ArrayLike<number>,
  rtol: number,
  name = 'result',
  showFirst = 5,
): ValidateResult {
  if (actual.length !== ref.length || (typeof atol !== 'number' && atol.length !== ref.length)) {
    return {
      ok: false, count: ref.length, mismatches: ref.length, maxAbsErr: Infinity, worst: null,
      message: `${name}: length ${actual.length} != reference length ${ref.length}${typeof atol === 'number' ? '' : ` (atol: ${atol.length})`}`,
    };
  }
  let mismatches = 0;
  let maxAbsErr = 0;
  let worst: ValidateResult['worst'] = null;
  let worstExcess = -Infinity;
  const first: string[] = [];
  for (let i = 0; i < ref.length; i++) {
    const a = actual[i], r = ref[i], at = typeof atol === 'number' ? atol : atol[i];
    const err = Math.abs(a - r);
    const bad = Number.isNaN(r) ? !Number.isNaN(a) : !(err <= at + rtol * Math.abs(r));
    const excess = Number.isNaN(err) ? Infinity : err - at - rtol * Math.abs(r);
    if (!Number.isNaN(err) && err > maxAbsErr) maxAbsErr = err;
    if (Number.isNaN(err) && !(Number.isNaN(a) && Number.isNaN(r))) maxAbsErr = NaN;
    if (excess > worstExcess) {
      worstExcess = excess;
      worst = { index: i, actual: a, ref: r };
    }
    if (bad) {
      mismatches++;
      if (first.length < showFirst) first.push(`  [${i}] got ${a}, want ${r} (|diff| ${err.toExponential(2)}${typeof atol === 'number' ? '' : `, atol ${at.toExponential(2)}`})`);
    }
  }
  const ok = mismatches === 0;
  const atolText = typeof atol === 'number' ? `${atol}` : `per element, up to ${extent(atol, { lo: 0, hi: 0 }).hi.toExponential(2)}`;
  const head = `${name}: ${ok ? 'ok' : `${mismatches}/${ref.length} mismatches`} (max |diff| ${maxAbsErr.toExponential(2)}, atol ${atolText}, rtol ${rtol})`;
  return { ok, count: ref.length, mismatches, maxAbsErr, worst, message: ok ? head : `${head}\n${first.join('\n')}` };
}
