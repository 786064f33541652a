/**
 * The training attack on a GPU session (our executor): the zero-shot CE objective encoded on the tower's output
 * buffer gives the same adversarial images as the host objective, and no readback happens inside the step loop
 * (the readbacks of a whole attack do not grow with its steps).
 */
import { describe, expect, it } from 'vitest';
import { pgdImages, zeroShotCeObjective, type EmbeddingObjective } from '../../src/methods/attack';
import { Rng, freshSeed } from '../../src/util/random';
import { validate } from '../../src/util/validate';
import { withGpu } from '../helpers/gpu';
import { execModel } from './setup';

const seed = freshSeed();

describe(`training PGD with the objective on the GPU (AOS_SEED=${seed})`, () => {
  it('matches the host objective and reads nothing back per step', async () => {
    await withGpu(async (ctx) => {
      const rng = new Rng(seed);
      const model = await execModel(ctx, seed, { vision: true, text: false });
      try {
        const B = 4, C = 3;
        const pixels = rng.uniform(B * model.pixelsPerImage, 0, 1);
        const classEmb = rng.normal(C * model.dim), labels = Uint32Array.from({ length: B }, (_, b) => b % C);
        const onGpu = zeroShotCeObjective(ctx, model, classEmb, labels);
        expect(onGpu.gpu).toBeDefined();
        const hostOnly: EmbeddingObjective = (e) => onGpu(e);
        const opts = (steps: number) => ({ eps: 8 / 255, alpha: 2 / 255, steps, randomStart: true, seed, step: 1 });
        const viaHost = await pgdImages(ctx, model, pixels, B, hostOnly, opts(3));
        const r0 = ctx.stats.readbacks;
        const viaGpu = await pgdImages(ctx, model, pixels, B, onGpu, opts(3));
        const short = ctx.stats.readbacks - r0;
        // PGD's sign steps amplify last-bit differences only where a gradient entry is ~0: compare within one step.
        const v = validate(viaGpu, viaHost, 2 / 255 + 1e-6, 0, 'GPU objective vs host objective');
        expect(v.ok, v.message).toBe(true);
        let same = 0;
        for (let i = 0; i < viaGpu.length; i++) if (Math.abs(viaGpu[i] - viaHost[i]) < 1e-6) same++;
        expect(same / viaGpu.length, 'share of pixels equal on both paths').toBeGreaterThan(0.99);
        const r1 = ctx.stats.readbacks;
        await pgdImages(ctx, model, pixels, B, onGpu, opts(8));
        expect(ctx.stats.readbacks - r1, 'readbacks of 8 steps = readbacks of 3 steps').toBe(short);
        expect(short, 'only the final images are read back').toBe(1);
      } finally {
        await model.release();
      }
    });
  });
});
