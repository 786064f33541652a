/**
 * The fine-tuning optimiser: two towers at two learning rates with ONE global gradient-norm clip (the clip scale
 * applied on the GPU before AdamW / SGD), against a float64 CPU reference of PyTorch's AdamW / SGD.
 */
import { describe, expect, it } from 'vitest';
import { withGpu } from '../helpers/gpu';
import { TowerOptimizer, TowerParams } from '../../src/methods/optim';
import { validate } from '../../src/util/validate';
import { Rng, freshSeed } from '../../src/util/random';

const seed = freshSeed();
console.log(`methods/optim seed ${seed} (AOS_SEED=${seed} replays)`);

describe('TowerOptimizer', () => {
  for (const kind of ['adamw', 'sgd'] as const) {
    it(`${kind}: per-tower learning rates, global clip over both towers (matches a float64 reference)`, async () => {
      await withGpu(async (ctx) => {
        const rng = new Rng(seed);
        const sizes = [37, 20000]; // the second spans two blocks of the scaling matmul
        const lrs = [1e-2, 1e-3], maxNorm = 0.5, wd = 0.1, b1 = 0.9, b2 = 0.98, eps = 1e-6, mom = 0.9;
        const init = sizes.map((n) => rng.normal(n, 1));
        const towers = sizes.map((n, i) => new TowerParams(ctx, i === 0 ? 'vision' : 'text', [], init[i], true));
        const opt = new TowerOptimizer(ctx, towers, { kind, weightDecay: wd, maxGradNorm: maxNorm, beta1: b1, beta2: b2, eps, momentum: mom });
        const ref = init.map((p) => ({ p: Float64Array.from(p), m: new Float64Array(p.length), v: new Float64Array(p.length) }));
        for (let step = 1; step <= 3; step++) {
          const grads = sizes.map((n) => rng.normal(n, step === 2 ? 1e-4 : 1)); // step 2: below the clip norm
          towers.forEach((t, i) => t.grads.set(grads[i]));
          const norm = Math.sqrt(grads.reduce((a, g) => a + g.reduce((s, x) => s + x * x, 0), 0));
          const scale = Math.min(1, maxNorm / (norm + 1e-6));
          const got = await opt.step(step, new Map(towers.map((t, i) => [t, lrs[i]])));
          expect(Math.abs(got - norm) / norm).toBeLessThan(1e-5);
          ref.forEach((r, i) => {
            const lr = lrs[i];
            for (let j = 0; j < r.p.length; j++) {
              const g = grads[i][j] * scale;
              if (kind === 'adamw') {
                r.m[j] = b1 * r.m[j] + (1 - b1) * g;
                r.v[j] = b2 * r.v[j] + (1 - b2) * g * g;
                r.p[j] = r.p[j] * (1 - lr * wd) - (lr / (1 - b1 ** step)) * r.m[j] / (Math.sqrt(r.v[j]) / Math.sqrt(1 - b2 ** step) + eps);
              } else {
                const d = g + wd * r.p[j];
                r.m[j] = step === 1 ? d : mom * r.m[j] + d;
                r.p[j] -= lr * r.m[j];
              }
            }
          });
          for (const [i, t] of towers.entries()) {
            const v = validate(await t.syncHost(), ref[i].p, 1e-6, 1e-5, `${kind} step ${step} tower ${i}`);
            expect(v.ok, v.message).toBe(true);
          }
        }
        opt.release();
        for (const t of towers) t.release();
      });
    });
  }
});
