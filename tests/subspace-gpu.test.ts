/**
 * Subspace kernels on WebGPU in Node (Dawn): every kernel family's deliberately broken variant fails its self-check,
 * fp32 accuracy of the principal angles measured against the construction's exact angles, the encode API's options,
 * and argument validation. (The self-checks themselves run in tests/kernels.test.ts through src/selftest/checks.ts.)
 */
import { describe, expect, it } from 'vitest';
import { freshSeed, Rng } from '../src/util/random';
import { subspaceChecks } from '../src/subspace/subspace.check';
import { principalAngles } from '../src/subspace/angles';
import { basis } from '../src/subspace/basis';
import { encodeSubspaceLoss, subspaceLoss, subspaceLossWorkspace } from '../src/subspace/loss';
import { subspaceLossRef } from '../src/subspace/reference';
import { concat, pairWithAngles, toF32 } from '../src/subspace/testdata';
import { itCatchesBrokenVariants, withGpu, type BrokenVariant } from './helpers/gpu';

const seed = freshSeed();

describe(`subspace kernels on WebGPU (AOS_SEED=${seed})`, () => {
  const variants: BrokenVariant[] = [
    { name: 'basis: one Gram–Schmidt pass (CGS1)', check: 'subspace/basis-ill-conditioned', shader: 'subspace_basis', from: 'const PASSES: u32 = 2u;', to: 'const PASSES: u32 = 1u;' },
    {
      // (a corrupted first-pass coefficient is not a bug the check can see: the second pass re-projects it away)
      name: 'cross: the residual taken of the wrong basis', check: 'subspace/angles-straddling-pi4', shader: 'subspace_cross',
      from: 'v = basisAt(smallY, sb + i * d + c);', to: 'v = basisAt(!smallY, gb + i * d + c);',
    },
    {
      name: 'angles: sines paired in descending order (a misordered small-angle mask)', check: 'subspace/angles-straddling-pi4', shader: 'subspace_angles',
      from: 'if (sv[32u + j] < sv[t] ||', to: 'if (sv[32u + j] > sv[t] ||',
    },
    { name: 'angles: cosines only', check: 'subspace/angles-straddling-pi4', shader: 'subspace_angles', from: 'sn < SQRT_HALF);', to: 'false);' },
    { name: 'gram: a wrong product', check: 'subspace/loss-projection-random', shader: 'subspace_gram', from: 'part[1] = fma(vec4<f32>(a.y), b, part[1]);', to: 'part[1] = fma(vec4<f32>(a.x), b, part[1]);' },
    { name: 'loss: ridge term dropped', check: 'subspace/loss-projection-random', shader: 'subspace_loss', from: 'fma(rho, s, Coef[idx])', to: 'fma(0.0, s, Coef[idx])' },
    { name: 'loss: centring of one block forgotten', check: 'subspace/loss-moment-centred-combined-sum', shader: 'subspace_loss', from: 'let mu = select(select(mxy, myy, !xi && !xj), mxx, xi && xj);', to: 'let mu = select(select(0.0, myy, !xi && !xj), mxx, xi && xj);' },
    { name: 'apply: off-by-one row', check: 'subspace/loss-moment-uncentred', shader: 'subspace_apply', from: 'let row = min(r0 + r, N - 1u);', to: 'let row = min(r0 + r + 1u, N - 1u);' },
    { name: 'reduce: one partial sum lost', check: 'subspace/loss-projection-random', shader: 'subspace_reduce', from: 'if (t < w) { red[t] += red[t + w]; }', to: 'if (t < w && t != 1u) { red[t] += red[t + w]; }' },
  ];
  itCatchesBrokenVariants(variants, subspaceChecks.map((c) => c.name), seed);

  it('principal angles in fp32: error vs the exact angles grows like ε₃₂·κ, within 1e-5 rad up to κ = 100', async () => {
    const rng = new Rng(seed);
    const thetas = [1e-5, 1e-4, 1e-3, 0.05, Math.PI / 4 - 1e-3, Math.PI / 4, Math.PI / 4 + 1e-3, 1.2, Math.PI / 2, 0.3, 0.3];
    const d = 48, pairs = 8;
    const worst: Record<number, number> = {};
    await withGpu(async (ctx) => {
      for (const cond of [1, 100, 1e4]) {
        const ps = Array.from({ length: pairs }, () => pairWithAngles(rng, thetas, d, { condX: cond, condY: cond, scale: 0.5 + rng.next() }));
        const got = await principalAngles(ctx, toF32(concat(ps.map((p) => p.x))), toF32(concat(ps.map((p) => p.y))), { pairs, n: thetas.length, d });
        let err = 0;
        ps.forEach((p, g) => p.angles.forEach((a, i) => (err = Math.max(err, Math.abs(got.angles[g * thetas.length + i] - a)))));
        worst[cond] = err;
      }
    });
    console.log(`fp32 principal angles, max |error| vs exact: ${Object.entries(worst).map(([c, e]) => `κ ${c}: ${e.toExponential(2)}`).join(', ')}`);
    expect(worst[1]).toBeLessThan(1e-5);
    expect(worst[100]).toBeLessThan(1e-5);
    expect(worst[1e4]).toBeLessThan(0.6 * 2 ** -24 * 1e4);
  });

  it('encodeSubspaceLoss: gradScale, accumulate, forward-only, sum reduction', async () => {
    const rng = new Rng(seed ^ 0x5a5a);
    const pairs = 3, n = 4, m = 6, d = 20;
    const x = toF32(Float64Array.from(rng.normal(pairs * n * d)).map((v) => v / 4));
    const y = toF32(Float64Array.from(rng.normal(pairs * m * d)).map((v) => v / 4));
    const opts = { proj: 1, moment: 0.3, reduction: 'sum' as const };
    const ref = subspaceLossRef(x, y, { pairs, n, m, d }, opts);
    await withGpu(async (ctx) => {
      const shape = { pairs, n, m, d };
      const b = {
        x: ctx.upload('x', x), y: ctx.upload('y', y), perPair: ctx.buffer('l', pairs * 4), value: ctx.buffer('v', 4),
        gx: ctx.upload('gx', new Float32Array(x.length).fill(1)), gy: ctx.upload('gy', new Float32Array(y.length).fill(-1)),
      };
      const ws = subspaceLossWorkspace(ctx, shape);
      await ctx.run('loss', (rec) => encodeSubspaceLoss(rec, b, ws, shape, { ...opts, gradScale: 0.5, accumulate: true }));
      const gx = await ctx.readF32(b.gx), gy = await ctx.readF32(b.gy);
      const value = (await ctx.readF32(b.value, 1))[0];
      expect(value).toBeCloseTo(ref.value, 4);
      for (let i = 0; i < x.length; i++) expect(gx[i]).toBeCloseTo(1 + 0.5 * ref.gx[i], 5);
      for (let i = 0; i < y.length; i++) expect(gy[i]).toBeCloseTo(-1 + 0.5 * ref.gy[i], 5);
      // forward only: no gradients, no reduction
      const only = ctx.buffer('l2', pairs * 4);
      await ctx.run('forward', (rec) => encodeSubspaceLoss(rec, { x: b.x, y: b.y, perPair: only }, ws, shape, opts));
      const perPair = await ctx.readF32(only);
      for (let g = 0; g < pairs; g++) expect(perPair[g]).toBeCloseTo(ref.perPair[g], 4);
      // 'sum' gradients are the per-pair gradients
      const one = await subspaceLoss(ctx, x.subarray(0, n * d), y.subarray(0, m * d), { pairs: 1, n, m, d }, opts);
      for (let i = 0; i < n * d; i++) expect(one.gx[i]).toBeCloseTo(ref.gx[i], 5);
    });
  });

  it('rejects shapes the kernels cannot handle', async () => {
    await withGpu(async (ctx) => {
      await expect(basis(ctx, new Float32Array(33 * 4), { groups: 1, n: 33, d: 4 })).rejects.toThrow(RangeError);
      await expect(principalAngles(ctx, new Float32Array(8), new Float32Array(8), { pairs: 1, n: 2, d: 3 })).rejects.toThrow(/x has 8 elements/);
      await expect(subspaceLoss(ctx, new Float32Array(8), new Float32Array(8), { pairs: 1, n: 2, d: 4 }, { ridge: 0 })).rejects.toThrow(/ridge/);
    });
  });
});
