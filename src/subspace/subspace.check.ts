/**
 * Self-checks of the subspace kernels (bases, principal angles, losses + gradients) against the float64
 * references, on fresh random inputs — run by vitest in Node (Dawn) and by the self-test page in Chromium.
 *
 * The references run on exactly the fp32 values the kernels see (ε₃₂ = 2⁻²⁴). Tolerances (measured on lavapipe over
 * 25 seeds, then given ≥ 4× headroom):
 * - bases: ‖UUᵀ − I‖ ≤ 2e-6 (measured ≲ 3e-7, also at κ = 1e4); ‖X − L·U‖ ≤ 2e-6·‖X‖; the span agrees with the
 *   reference to 0.5·ε₃₂·κ(X)·√n (a backward-stable fp32 factorisation of a spanning set with condition number κ
 *   only pins its span down to ~ε₃₂·κ, whatever the algorithm; measured ≈ 0.05 of that);
 * - principal angles: 1e-5 rad for every angle on well-posed inputs (κ ≤ 100; measured ≲ 1.3e-6), and
 *   0.3·ε₃₂·κ ≈ 1.8e-4 rad at κ = 1e4 (measured ≲ 4e-5 vs the reference, ≲ 7e-5 vs the exact angles: CGS2's ε·κ,
 *   not the ε·κ² of a Gram route, which would lose everything at κ = 1e4 in fp32);
 * - losses: the Grams are formed and inverted in fp32 (as the issue prescribes), so the error follows
 *   κ = κ(G + ρI) = (σ_max² + ρ)/(σ_min² + ρ) of each group: per-pair values to (3e-6 + 4ε₃₂κ)·(n + m) absolute,
 *   gradients to (3e-6 + 10ε₃₂κ) of the batch's largest component (measured ≲ 0.5 of these over 25 seeds).
 *   Random groups have κ ≈ 3 (errors ~1e-7); nearly rank-deficient groups reach κ ≈ ‖G‖/ρ ≈ 1e4 at ρ = 1e-4, where
 *   gradients are good to ~1e-3 relative (1e-4 at ρ = 1e-3): a larger ridge buys fp32 accuracy.
 */
import type { KernelCheck } from '../gpu/kernelCheck';
import type { Rng } from '../util/random';
import { validate, type ValidateResult } from '../util/validate';
import { principalAngles } from './angles';
import { basis } from './basis';
import { subspaceLoss, type SubspaceLossOptions } from './loss';
import { basisRef, DEFAULT_RIDGE, mm, mmT, principalAnglesRef, singularValues, subspaceLossRef } from './reference';
import { concat, conditionedMatrix, pairWithAngles, randomOrthonormalRows, toF32 } from './testdata';

const EPS32 = 2 ** -24;

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** A scalar metric as a ValidateResult: ok when |value| ≤ tol. */
function metric(name: string, value: number, tol: number): ValidateResult {
  return validate([value], [0], tol, 0, name);
}

// ---------------------------------------------------------------------------------------------------------------
// Bases

function basisCase(name: string, n: number, d: number, conds: number[], deficient = false): KernelCheck {
  return {
    name: `subspace/basis-${name}`,
    async run(ctx, rng) {
      const groups = conds.length + (deficient ? 1 : 0);
      const parts = conds.map((c) => mm(conditionedMatrix(rng, n, c), randomOrthonormalRows(rng, n, d), n, n, d));
      if (deficient) {
        // rank n - 3: two dependent vectors and a zero vector
        const q = mm(conditionedMatrix(rng, n - 3, 10), randomOrthonormalRows(rng, n - 3, d), n - 3, n - 3, d);
        const extra = concat([q.subarray(0, d).map((v, t) => 0.5 * v - 2 * q[d + t]), q.subarray(d, 2 * d).map((v) => 3 * v), new Float64Array(d)]);
        parts.push(concat([q.subarray(0, 2 * d), extra.subarray(0, d), q.subarray(2 * d), extra.subarray(d)]));
      }
      const x = toF32(concat(parts));
      const got = await basis(ctx, x, { groups, n, d });
      const ref = basisRef(x, groups, n, d);
      const out: ValidateResult[] = [validate(got.rank, ref.rank, 0, 0, `${name}: ranks`)];
      let ortho = 0, recon = 0;
      for (let g = 0; g < groups; g++) {
        const r = got.rank[g];
        const u = Float64Array.from(got.u.subarray(g * n * d, (g + 1) * n * d));
        const uut = mmT(u, u, n, d, n);
        for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) ortho = Math.max(ortho, Math.abs(uut[i * n + j] - (i === j && i < r ? 1 : 0)));
        const xg = x.subarray(g * n * d, (g + 1) * n * d);
        const lu = mm(got.l.subarray(g * n * n, (g + 1) * n * n), u, n, n, d);
        recon = Math.max(recon, maxAbs(lu.map((v, i) => v - xg[i])) / maxAbs(xg));
        // Span agreement with the reference: sin of the largest angle ≤ ‖U − (U·U_refᵀ)·U_ref‖_F.
        const uref = ref.u.subarray(g * n * d, (g + 1) * n * d);
        const proj = mm(mmT(u, uref, n, d, n), uref, n, n, d);
        const sin = Math.sqrt(u.reduce((s, v, i) => s + (v - proj[i]) ** 2, 0));
        const kappa = deficient && g === groups - 1 ? 10 : conds[g];
        out.push(metric(`${name}: group ${g} span vs reference (κ ${kappa})`, sin, 1e-6 + 0.5 * EPS32 * kappa * Math.sqrt(n)));
      }
      out.push(metric(`${name}: ‖UUᵀ − I‖`, ortho, 2e-6), metric(`${name}: ‖X − LU‖/‖X‖`, recon, 2e-6));
      return out;
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Principal angles

interface AnglePairSpec { thetas: number[]; extraX?: number; extraY?: number; cond: number }

function anglesCase(name: string, d: number, specs: (rng: Rng) => AnglePairSpec[], atol: (cond: number) => number): KernelCheck {
  return {
    name: `subspace/angles-${name}`,
    async run(ctx, rng) {
      const list = specs(rng);
      const pairs = list.map((s) => pairWithAngles(rng, s.thetas, d, { condX: s.cond, condY: s.cond, extraX: s.extraX, extraY: s.extraY, scale: 1 + rng.next() }));
      const n = pairs[0].n, m = pairs[0].m;
      if (pairs.some((p) => p.n !== n || p.m !== m)) throw new Error('anglesCase: every pair needs the same n and m');
      const x = toF32(concat(pairs.map((p) => p.x))), y = toF32(concat(pairs.map((p) => p.y)));
      const shape = { pairs: pairs.length, n, m, d };
      const got = await principalAngles(ctx, x, y, shape);
      const ref = principalAnglesRef(x, y, shape);
      const k = Math.min(n, m);
      const out = [validate(got.count, ref.count, 0, 0, `${name}: counts`)];
      for (const [g, s] of list.entries()) {
        const tol = atol(s.cond);
        out.push(validate(got.angles.subarray(g * k, (g + 1) * k), ref.angles.subarray(g * k, (g + 1) * k), tol, 0, `${name}: pair ${g} (κ ${s.cond}) vs float64 reference`));
        // and against the construction's exact angles (the fp32 rounding of the inputs moves them by ~ε·κ too)
        const exact = pairs[g].angles;
        out.push(validate(got.angles.subarray(g * k, g * k + exact.length), exact, 2 * tol, 0, `${name}: pair ${g} vs exact angles`));
      }
      return out;
    },
  };
}

const STRADDLE = [1e-5, 1e-4, 1e-3, 0.1, Math.PI / 4 - 1e-3, Math.PI / 4, Math.PI / 4 + 1e-3, 1.2, Math.PI / 2];
const WELL_POSED = () => 1e-5;
const ILL_POSED = (cond: number) => Math.max(1e-5, 1e-6 + 0.3 * EPS32 * cond);

function randomThetas(rng: Rng, k: number): number[] {
  return Array.from({ length: k }, () => Math.pow(10, -5 + 5.2 * rng.next()) % (Math.PI / 2));
}

// ---------------------------------------------------------------------------------------------------------------
// Losses

interface LossInputs { x: Float32Array; y: Float32Array; n: number; m: number; d: number; pairs: number }

function randomPairs(rng: Rng, pairs: number, n: number, m: number, d: number): LossInputs {
  const s = 1 / Math.sqrt(d);
  const x = toF32(Float64Array.from(rng.normal(pairs * n * d)).map((v) => v * s));
  const y = toF32(Float64Array.from(rng.normal(pairs * m * d)).map((v) => v * s + 0.05));
  return { x, y, n, m, d, pairs };
}

/** Pairs at the hard points: coincident (X = R·Y), repeated angles, nearly rank-deficient, nearly duplicated. */
export function hardPairs(rng: Rng, n: number, d: number): LossInputs {
  const xs: Float64Array[] = [], ys: Float64Array[] = [];
  const y0 = mm(conditionedMatrix(rng, n, 5), randomOrthonormalRows(rng, n, d), n, n, d);
  xs.push(mm(conditionedMatrix(rng, n, 20), y0, n, n, d)); ys.push(y0); // coincident, X = R·Y
  xs.push(Float64Array.from(y0)); ys.push(y0); // identical
  const rep = pairWithAngles(rng, Array(n).fill(0.3), d, { condX: 3, condY: 3 }); // repeated angles
  xs.push(rep.x); ys.push(rep.y);
  const nd = pairWithAngles(rng, randomThetas(rng, n), d, { condX: 1e4, condY: 2 }); // σ_min ~ 1e-4 ≪ √ρ
  xs.push(nd.x); ys.push(nd.y);
  const dup = mm(conditionedMatrix(rng, n, 3), randomOrthonormalRows(rng, n, d), n, n, d); // two vectors 1e-4 apart
  for (let t = 0; t < d; t++) dup[(n - 1) * d + t] = dup[t] + 1e-4 * dup[d + t];
  xs.push(dup); ys.push(mm(conditionedMatrix(rng, n, 3), randomOrthonormalRows(rng, n, d), n, n, d));
  return { x: toF32(concat(xs)), y: toF32(concat(ys)), n, m: n, d, pairs: xs.length };
}

/**
 * fp32 accuracy of the projection distance is governed by κ(G + ρI) = (σ_max² + ρ)/(σ_min² + ρ) of each group's
 * ridged Gram (the Grams are formed and inverted in fp32, as the issue prescribes): ~ε₃₂·κ relative. Well-conditioned
 * groups give ~1e-6; at nearly rank-deficient groups κ ≈ ‖G‖/ρ, e.g. ~3e4 for unit-norm features and ρ = 1e-4.
 */
function ridgedKappa(a: ArrayLike<number>, k: number, d: number, ridge: number): number {
  const s = singularValues(a, k, d);
  return (s[0] ** 2 + ridge) / (s[k - 1] ** 2 + ridge);
}

function lossCase(name: string, inputs: (rng: Rng) => LossInputs, opts: SubspaceLossOptions): KernelCheck {
  return {
    name: `subspace/loss-${name}`,
    async run(ctx, rng) {
      const { x, y, n, m, d, pairs } = inputs(rng);
      const shape = { pairs, n, m, d };
      const got = await subspaceLoss(ctx, x, y, shape, opts);
      const ref = subspaceLossRef(x, y, shape, opts);
      const wp = Math.abs(opts.proj ?? 1), wm = Math.abs(opts.moment ?? 0), ridge = opts.ridge ?? DEFAULT_RIDGE;
      const kappa = Array.from({ length: pairs }, (_, g) => wp === 0 ? 1 : Math.max(
        ridgedKappa(x.subarray(g * n * d, (g + 1) * n * d), n, d, ridge), ridgedKappa(y.subarray(g * m * d, (g + 1) * m * d), m, d, ridge)));
      const lossTol = kappa.map((k) => (3e-6 + 4 * EPS32 * k) * (n + m) * Math.max(1, wp + wm));
      const gradTol = kappa.map((k) => 3e-6 + 10 * EPS32 * k);
      const reduce = (opts.reduction ?? 'mean') === 'mean' ? 1 / pairs : 1;
      // Gradient errors are judged against the largest gradient component of the batch (an exact zero gradient,
      // as at X = Y, leaves only round-off), with each pair's own κ.
      const scale = Math.max(maxAbs(ref.gx), maxAbs(ref.gy));
      const out: ValidateResult[] = [validate([got.value], [ref.value], reduce * lossTol.reduce((a, b) => a + b, 0), 1e-5, `${name}: reduced value`)];
      for (let g = 0; g < pairs; g++) {
        const tag = `${name}: pair ${g} (κ(G+ρI) ${kappa[g].toExponential(1)})`;
        const gx = [g * n * d, (g + 1) * n * d], gy = [g * m * d, (g + 1) * m * d];
        out.push(
          validate([got.perPair[g]], [ref.perPair[g]], lossTol[g], 1e-5, `${tag} loss`),
          validate(got.gx.subarray(gx[0], gx[1]), ref.gx.subarray(gx[0], gx[1]), gradTol[g] * scale, 0, `${tag} dloss/dX (tolerance ${gradTol[g].toExponential(1)} × ${scale.toExponential(2)})`),
          validate(got.gy.subarray(gy[0], gy[1]), ref.gy.subarray(gy[0], gy[1]), gradTol[g] * scale, 0, `${tag} dloss/dY`),
        );
      }
      return out;
    },
  };
}

export const subspaceChecks: KernelCheck[] = [
  basisCase('well-conditioned', 12, 96, [1, 10, 100]),
  basisCase('ill-conditioned', 16, 64, [1e3, 1e4], true),
  anglesCase('straddling-pi4', 64, () => [{ thetas: STRADDLE, cond: 10 }, { thetas: [...STRADDLE].reverse(), cond: 100 }], WELL_POSED),
  anglesCase('repeated-equal-orthogonal', 48, () => [
    { thetas: [0.3, 0.3, 0.3, 1e-3, 1e-3, 1.1], cond: 30 },
    { thetas: [0, 0, 0, 0, 0, 0], cond: 30 },
    { thetas: Array(6).fill(Math.PI / 2), cond: 30 },
  ], WELL_POSED),
  anglesCase('unequal-ranks', 48, (rng) => [
    { thetas: randomThetas(rng, 3), extraY: 5, cond: 20 },
    { thetas: randomThetas(rng, 3), extraY: 5, cond: 20 },
  ], WELL_POSED),
  anglesCase('32-vectors', 72, (rng) => [{ thetas: randomThetas(rng, 16), extraX: 16, extraY: 16, cond: 30 }], WELL_POSED),
  anglesCase('ill-conditioned', 64, (rng) => [{ thetas: STRADDLE, cond: 1e4 }, { thetas: randomThetas(rng, 9), cond: 1e4 }], ILL_POSED),
  {
    name: 'subspace/angles-rank-deficient',
    async run(ctx, rng) {
      // X: 5 vectors of rank 3 (a duplicate and a zero vector); Y: 4 vectors of rank 4, then of rank 2.
      const d = 40, n = 5, m = 4;
      const p = pairWithAngles(rng, [2e-3, 0.5, 1.3], d, { condX: 10, condY: 10, extraY: 1 });
      const x = concat([p.x, p.x.subarray(d, 2 * d).map((v) => -2 * v), new Float64Array(d)]);
      const y2 = concat([p.y.subarray(0, 2 * d), p.y.subarray(0, 2 * d).map((v) => 0.5 * v)]);
      const xs = toF32(concat([x, x])), ys = toF32(concat([p.y, y2]));
      const shape = { pairs: 2, n, m, d };
      const got = await principalAngles(ctx, xs, ys, shape);
      const ref = principalAnglesRef(xs, ys, shape);
      return [
        validate(got.count, [3, 2], 0, 0, 'rank-deficient: counts'),
        validate(got.angles, ref.angles, 1e-5, 0, 'rank-deficient: angles (NaN padded)'),
      ];
    },
  },
  lossCase('projection-random', (rng) => randomPairs(rng, 7, 8, 5, 70), {}),
  // n + m > 32: several Gram blocks per invocation, the largest small matrices
  lossCase('large-groups', (rng) => randomPairs(rng, 2, 32, 21, 90), { moment: 0.3 }),
  lossCase('projection-hard-points', (rng) => hardPairs(rng, 6, 40), { ridge: 1e-4 }),
  lossCase('moment-uncentred', (rng) => randomPairs(rng, 5, 6, 9, 50), { proj: 0, moment: 1 }),
  lossCase('moment-centred-combined-sum', (rng) => randomPairs(rng, 5, 7, 7, 50), { proj: 0.5, moment: 2, center: true, reduction: 'sum' }),
  lossCase('combined-hard-points', (rng) => hardPairs(rng, 4, 33), { proj: 1, moment: 0.5, ridge: 1e-3 }),
];
