import type { KernelCheck } from '../gpu/kernelCheck';
import type { Rng } from '../util/random';
import { validate, type ValidateResult } from '../util/validate';
import { pgdRandomStart, pgdRandomStartRef, pgdStep, pgdStepRef, type PgdNorm, type PgdShape } from './pgd';

// Tolerances (|got − ref| ≤ atol + rtol·|ref|). L∞ is elementwise f32 arithmetic (a few ulps of values ≤ ~5);
// L2 adds two f32 workgroup reductions per step (relative error ~1e-6 of the step and of the projection).
// L2 starts draw Gaussian directions through cos/sin, which WGSL only promises to an absolute 2^-11 (SwiftShader
// uses that latitude): per element that is ε·|z|·2^-11/‖z‖ ≲ ε·6·2^-11/√n, up to ~8e-6 at these sizes.
const TOL: Record<PgdNorm, { step: [number, number]; start: [number, number] }> = {
  linf: { step: [1e-6, 1e-6], start: [1e-6, 1e-6] },
  l2: { step: [4e-6, 1e-5], start: [2.5e-5, 1e-5] },
};
/** Slack on the constraint sets, for f32 rounding of x0 ± ε and of the projection. */
const FEASIBLE_SLACK = 2e-6;

const PIXEL_N = 3 * 28 * 28;

/**
 * Per-sample budgets that differ across the batch, sample 0 with ε = 0 (x must stay at x0). Pixel budgets are the
 * usual k/255 for L∞; L2 budgets scale with √n.
 */
function budgets(rng: Rng, shape: PgdShape): { eps: Float32Array; alpha: Float32Array } {
  const eps = new Float32Array(shape.batch), alpha = new Float32Array(shape.batch);
  const scale = shape.norm === 'linf' ? (shape.box ? 16 / 255 : 0.5) : 0.02 * Math.sqrt(shape.n);
  for (let b = 0; b < shape.batch; b++) {
    eps[b] = b === 0 ? 0 : scale * (0.1 + 0.9 * rng.next());
    alpha[b] = (b === 0 ? scale : eps[b]) * (0.2 + 1.3 * rng.next());
  }
  return { eps, alpha };
}

/** Clean inputs: pixels in [0, 1] (some exactly on the faces), embeddings unbounded. */
function cleanInputs(rng: Rng, shape: PgdShape): Float32Array {
  const len = shape.batch * shape.n;
  if (!shape.box) return rng.normal(len, 2);
  const x0 = rng.uniform(len, -0.1, 1.1);
  for (let i = 0; i < len; i++) x0[i] = Math.min(1, Math.max(0, x0[i]));
  return x0;
}

/** Counts elements outside the ε-ball around x0 (per-sample norm) or outside the box when it is on. */
function feasibility(x: ArrayLike<number>, x0: ArrayLike<number>, eps: ArrayLike<number>, shape: PgdShape, name: string): ValidateResult {
  let outside = 0;
  for (let b = 0; b < shape.batch; b++) {
    const o = b * shape.n;
    let dd = 0;
    for (let j = o; j < o + shape.n; j++) {
      const d = x[j] - x0[j];
      if (shape.norm === 'linf' && Math.abs(d) > eps[b] + FEASIBLE_SLACK) outside++;
      if (shape.box && !(x[j] >= 0 && x[j] <= 1)) outside++;
      dd += d * d;
    }
    if (shape.norm === 'l2' && Math.sqrt(dd) > eps[b] * (1 + 1e-5) + FEASIBLE_SLACK) outside++;
  }
  return validate([outside], [0], 0, 0, `${name}: elements/samples outside the constraint set`);
}

function stepCase(name: string, shape: PgdShape, steps: number): KernelCheck {
  return {
    name: `pgd/${name}`,
    async run(ctx, rng) {
      const len = shape.batch * shape.n;
      const x0 = cleanInputs(rng, shape);
      const { eps, alpha } = budgets(rng, shape);
      // Start from a point inside the constraint set (as after a random start), not at x0.
      const x = Float32Array.from(pgdRandomStartRef(x0, eps, shape, { seed: rng.nextU32(), step: 0 }));
      const g = rng.normal(len);
      // Sample 1: zero gradient row (no step at all); elsewhere a few exact zeros (sign(0) = 0).
      if (shape.batch > 1) g.fill(0, shape.n, 2 * shape.n);
      for (let k = 0; k < 16; k++) g[rng.int(0, len)] = 0;
      const got = await pgdStep(ctx, x, x0, g, eps, alpha, shape, steps);
      const [atol, rtol] = TOL[shape.norm].step;
      return [
        validate(got, pgdStepRef(x, x0, g, eps, alpha, shape, steps), atol, rtol, `pgd ${name} x (${steps} steps)`),
        feasibility(got, x0, eps, shape, `pgd ${name}`),
      ];
    },
  };
}

function startCase(name: string, shape: PgdShape): KernelCheck {
  return {
    name: `pgd/${name}`,
    async run(ctx, rng) {
      const x0 = cleanInputs(rng, shape);
      const { eps } = budgets(rng, shape);
      const start = { seed: rng.nextU32(), step: rng.int(0, 1000) };
      const got = await pgdRandomStart(ctx, x0, eps, shape, start);
      const [atol, rtol] = TOL[shape.norm].start;
      return [
        validate(got, pgdRandomStartRef(x0, eps, shape, start), atol, rtol, `pgd ${name} (seed ${start.seed}, step ${start.step})`),
        feasibility(got, x0, eps, shape, `pgd ${name}`),
      ];
    },
  };
}

export const pgdChecks: KernelCheck[] = [
  stepCase('linf-step-box', { batch: 4, n: PIXEL_N, norm: 'linf', box: true }, 3),
  stepCase('linf-step-embedding', { batch: 5, n: 515, norm: 'linf', box: false }, 3),
  stepCase('l2-step-box', { batch: 4, n: PIXEL_N, norm: 'l2', box: true }, 3),
  stepCase('l2-step-embedding', { batch: 5, n: 515, norm: 'l2', box: false }, 3),
  stepCase('l2-step-224px', { batch: 2, n: 3 * 224 * 224, norm: 'l2', box: true }, 1),
  startCase('linf-random-start-box', { batch: 4, n: PIXEL_N, norm: 'linf', box: true }),
  startCase('linf-random-start-embedding', { batch: 3, n: 515, norm: 'linf', box: false }),
  startCase('l2-random-start-box', { batch: 4, n: PIXEL_N, norm: 'l2', box: true }),
  startCase('l2-random-start-embedding', { batch: 3, n: 515, norm: 'l2', box: false }),
];
