/**
 * `GpuContext.readMany`: several regions of several buffers come back in one readback, equal to separate reads;
 * the loss one-shots built on it (zero-shot CE, the residual distance, principal angles) wait once per call.
 */
import { describe, expect, it } from 'vitest';
import { zeroShotLoss } from '../../src/kernels/zeroShot';
import { principalAngles, residualDistance } from '../../src/subspace';
import { Rng, freshSeed } from '../../src/util/random';
import { withGpu } from '../helpers/gpu';

const seed = freshSeed();

describe(`readMany (AOS_SEED=${seed})`, () => {
  it('returns each region as a separate read would, in one readback', async () => {
    await withGpu(async (ctx) => {
      const rng = new Rng(seed);
      const a = rng.normal(37), b = Uint32Array.from({ length: 11 }, () => rng.int(0, 1 << 30));
      const ga = ctx.upload('readMany.a', a), gb = ctx.upload('readMany.b', b);
      try {
        const before = ctx.stats.readbacks;
        const [whole, part, none, ints] = await ctx.readMany([
          { buffer: ga, count: 37 }, { buffer: ga, count: 5, offset: 30 }, { buffer: gb, count: 0 }, { buffer: gb, count: 11 },
        ]);
        expect(ctx.stats.readbacks - before).toBe(1);
        expect(Array.from(new Float32Array(whole))).toEqual(Array.from(a));
        expect(Array.from(new Float32Array(part))).toEqual(Array.from(a.subarray(30, 35)));
        expect(none.byteLength).toBe(0);
        expect(Array.from(new Uint32Array(ints))).toEqual(Array.from(b));
        expect(Array.from(new Float32Array(part))).toEqual(Array.from(await ctx.readF32(ga, 5, 30)));
        await expect(ctx.readMany([{ buffer: ga, count: -1 }])).rejects.toThrow(/count -1/);
      } finally {
        ctx.release(ga, gb);
      }
    });
  });

  it('a zero-shot CE, a residual distance and a principal-angle one-shot each read back once', async () => {
    await withGpu(async (ctx) => {
      const rng = new Rng(seed ^ 0x51);
      const B = 6, C = 4, D = 8;
      const labels = Uint32Array.from({ length: B }, () => rng.int(0, C - 1));
      let before = ctx.stats.readbacks;
      const ce = await zeroShotLoss(ctx, rng.normal(B * D), rng.normal(C * D), labels, { batch: B, classes: C, dim: D, logitScale: 10 });
      expect(ctx.stats.readbacks - before).toBe(1);
      expect(ce.gradImages.length).toBe(B * D);
      expect(ce.gradTexts.length).toBe(C * D);
      expect(ce.predicted.length).toBe(B);
      const shape = { pairs: 3, n: 2, m: 3, d: D };
      before = ctx.stats.readbacks;
      const r = await residualDistance(ctx, rng.normal(3 * 2 * D), rng.normal(3 * 3 * D), shape, { ridge: 1e-3 });
      expect(ctx.stats.readbacks - before).toBe(1);
      expect(r.perPair.length).toBe(3);
      expect(r.value).toBeCloseTo(r.perPair.reduce((s, v) => s + v, 0) / 3, 5);
      before = ctx.stats.readbacks;
      const ang = await principalAngles(ctx, rng.normal(3 * 2 * D), rng.normal(3 * 3 * D), shape);
      expect(ctx.stats.readbacks - before).toBe(1);
      expect(Array.from(ang.count)).toEqual([2, 2, 2]);
    });
  });
});
