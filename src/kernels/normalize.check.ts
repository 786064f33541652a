import type { KernelCheck } from '../gpu/kernelCheck';
import type { Rng } from '../util/random';
import { validate } from '../util/validate';
import { normalize, normalizeBackward, normalizeBackwardRef, normalizeRef, type NormalizeShape } from './normalize';

/**
 * Rows of normal entries with norms spread over two decades; `clampedRows` rows are shrunk far below eps (one of
 * them to exactly zero) so the x / eps branch is exercised too.
 */
function rowsInput(rng: Rng, s: NormalizeShape, clampedRows: number): Float32Array {
  const x = rng.normal(s.rows * s.d);
  const eps = s.eps ?? 0;
  for (let r = 0; r < s.rows; r++) {
    let gain = 10 ** (2 * rng.next() - 1);
    if (r < clampedRows) gain = r === 0 ? 0 : (0.01 * eps) / Math.sqrt(s.d);
    for (let k = 0; k < s.d; k++) x[r * s.d + k] *= gain;
  }
  return x;
}

// Tolerances (fp32 against float64): y and norms are quotients of one length-d reduction, so rtol 1e-5 with a
// tiny atol; the gradient subtracts y·(y·gy), whose rounding scales with sqrt(d)·|gy|/‖x‖ on unclamped rows
// (max |gy| = 1 here).
function forwardCase(name: string, s: NormalizeShape, clampedRows = 0): KernelCheck {
  return {
    name: `normalize/${name}`,
    async run(ctx, rng) {
      const x = rowsInput(rng, s, clampedRows);
      const got = await normalize(ctx, x, s);
      const ref = normalizeRef(x, s);
      return [
        validate(got.y, ref.y, 1e-7, 1e-5, `normalize ${name} y`),
        validate(got.norms, ref.norms, 1e-7, 1e-5, `normalize ${name} norms`),
      ];
    },
  };
}

function backwardCase(name: string, s: NormalizeShape, clampedRows = 0): KernelCheck {
  return {
    name: `normalize/${name}`,
    async run(ctx, rng) {
      const x = rowsInput(rng, s, clampedRows);
      const gy = rng.uniform(s.rows * s.d);
      const got = await normalizeBackward(ctx, x, gy, s);
      const ref = normalizeBackwardRef(x, gy, s);
      const { norms } = normalizeRef(x, s);
      const eps = s.eps ?? 1e-12;
      const unclampedScale = Math.max(0, ...Array.from(norms).filter((n) => n >= eps).map((n) => 1 / n));
      return validate(got, ref, 2e-7 * Math.sqrt(s.d) * unclampedScale, 1e-5, `normalize ${name} gx`);
    },
  };
}

export const normalizeChecks: KernelCheck[] = [
  forwardCase('forward', { rows: 37, d: 77 }),
  forwardCase('forward-d1024', { rows: 6, d: 1024 }),
  forwardCase('forward-clamped', { rows: 9, d: 130, eps: 1e-3 }, 3),
  forwardCase('forward-many-rows', { rows: 70_000, d: 3 }),
  backwardCase('backward', { rows: 29, d: 97 }),
  backwardCase('backward-d1100', { rows: 4, d: 1100 }),
  backwardCase('backward-clamped', { rows: 10, d: 64, eps: 1e-3 }, 4),
];
