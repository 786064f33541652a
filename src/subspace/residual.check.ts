/**
 * Self-checks of the residual distance kernel (./residual) against its float64 reference, on fresh random inputs —
 * run by vitest in Node (Dawn) and by the self-test page in Chromium.
 *
 * Every pair is judged against its own values (not the batch's largest): value within max(1e-3·|ref|, 1e-7) and each
 * pair's gradient block within max(1e-3·max|ref block|, 1e-7), including the hard points where a difference of traces
 * cancels in fp32 — identical groups, coincident spans (Y = R·X) and nearly coincident ones, with κ(X) up to 1e3.
 */
import type { KernelCheck } from '../gpu/kernelCheck';
import type { Rng } from '../util/random';
import { validate, type ValidateResult } from '../util/validate';
import { residualDistance } from './residual';
import { residualDistanceRef } from './residualReference';
import { mm } from './reference';
import { concat, conditionedMatrix, randomOrthonormalRows, toF32 } from './testdata';

/** The ridge AoS ships for the bundled model (the clean groups' spectrum at step 0, src/methods/aos.ts). */
export const CHECK_RIDGE = 0.025;

export interface ResidualCase {
  x: Float32Array;
  y: Float32Array;
  pairs: number;
  n: number;
  m: number;
  d: number;
  targets: number;
  targetOf: number[];
}

function unitRows(a: Float64Array, rows: number, d: number): Float64Array {
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let t = 0; t < d; t++) s += a[i * d + t] ** 2;
    s = Math.sqrt(s) || 1;
    for (let t = 0; t < d; t++) a[i * d + t] /= s;
  }
  return a;
}

/** Random unit rows; pair p uses target p mod targets. */
export function randomResidualCase(rng: Rng, pairs: number, n: number, m: number, d: number, targets = pairs): ResidualCase {
  const x = toF32(unitRows(Float64Array.from(rng.normal(pairs * n * d)), pairs * n, d));
  const y = toF32(unitRows(Float64Array.from(rng.normal(targets * m * d)).map((v) => v + 0.2), targets * m, d));
  return { x, y, pairs, n, m, d, targets, targetOf: Array.from({ length: pairs }, (_, p) => p % targets) };
}

/** The hard points: X = Y (κ 1e3), Y = R·X (same span, κ(X) 1e3), Y = X + 1e-4 noise, X inside a larger Y. */
export function hardResidualCase(rng: Rng, n: number, d: number): ResidualCase {
  const xs: Float64Array[] = [], ys: Float64Array[] = [];
  const ill = (cond: number) => mm(conditionedMatrix(rng, n, cond), randomOrthonormalRows(rng, n, d), n, n, d);
  const a = ill(1e3);
  xs.push(a); ys.push(Float64Array.from(a)); // identical, κ 1e3
  const b = ill(1e3);
  xs.push(b); ys.push(mm(conditionedMatrix(rng, n, 3), b, n, n, d)); // coincident spans
  const c = ill(30);
  xs.push(c); ys.push(c.map((v) => v + 1e-4 * rng.normal(1)[0])); // nearly coincident
  const e = ill(1e2);
  xs.push(mm(conditionedMatrix(rng, n, 10), e, n, n, d)); ys.push(e.map((v, i) => v + (i % 7 === 0 ? 1e-3 : 0))); // near, κ 1e2
  const pairs = xs.length;
  return { x: toF32(concat(xs)), y: toF32(concat(ys)), pairs, n, m: n, d, targets: pairs, targetOf: Array.from({ length: pairs }, (_, p) => p) };
}

/** Runs one case on the GPU and judges each pair against the float64 reference. */
export async function judgeResidual(ctx: Parameters<KernelCheck['run']>[0], c: ResidualCase, ridge: number, name: string): Promise<ValidateResult[]> {
  const shape = { pairs: c.pairs, n: c.n, m: c.m, d: c.d, targets: c.targets };
  const got = await residualDistance(ctx, c.x, c.y, shape, { ridge }, c.targetOf);
  const ref = residualDistanceRef(c.x, c.y, shape, ridge, c.targetOf);
  const out: ValidateResult[] = [];
  const block = c.n * c.d;
  for (let p = 0; p < c.pairs; p++) {
    const rv = ref.perPair[p];
    out.push(validate([got.perPair[p]], [rv], Math.max(1e-3 * Math.abs(rv), 1e-7), 0, `${name}: pair ${p} value`));
    // Per-pair gradients (the kernel returns those of the mean: × pairs).
    const g = Float64Array.from(got.gx.subarray(p * block, (p + 1) * block), (v) => v * c.pairs);
    const r = ref.gx.subarray(p * block, (p + 1) * block).map((v) => v * c.pairs);
    let scale = 0;
    for (const v of r) scale = Math.max(scale, Math.abs(v));
    out.push(validate(g, r, Math.max(1e-3 * scale, 1e-7), 0, `${name}: pair ${p} ∂d/∂X`));
  }
  out.push(validate([got.value], [ref.value], Math.max(1e-3 * Math.abs(ref.value), 1e-7), 0, `${name}: mean`));
  return out;
}

export const residualChecks: KernelCheck[] = [
  { name: 'subspace/residual-random', run: (ctx, rng) => judgeResidual(ctx, randomResidualCase(rng, 6, 5, 24, 64, 3), CHECK_RIDGE, 'random 5 vs 24 rows, shared targets') },
  { name: 'subspace/residual-odd-sizes', run: async (ctx, rng) => [
    ...(await judgeResidual(ctx, randomResidualCase(rng, 3, 1, 1, 70), CHECK_RIDGE, 'n = m = 1, d = 70')),
    ...(await judgeResidual(ctx, randomResidualCase(rng, 2, 3, 7, 130, 1), CHECK_RIDGE, 'n = 3, m = 7, d = 130')),
  ] },
  { name: 'subspace/residual-hard', run: async (ctx, rng) => [
    ...(await judgeResidual(ctx, hardResidualCase(rng, 5, 64), CHECK_RIDGE, `hard points, ρ ${CHECK_RIDGE}`)),
    ...(await judgeResidual(ctx, hardResidualCase(rng, 5, 64), 1e-3, 'hard points, ρ 1e-3')),
  ] },
];
