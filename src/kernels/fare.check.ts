import type { KernelCheck } from '../gpu/kernelCheck';
import { validate } from '../util/validate';
import { encodeFareLoss, fareLossRef, type FareShape } from './fare';
import { statsFloats } from './shape';

// Tolerances (fp32 against float64): each per-sample loss is a sum of dim squares (rtol 1e-5); the gradient is the
// difference times one factor (rtol 1e-5, atol against its largest entry). Sample 0's embedding equals its target:
// the 'l2' subgradient there is 0, not NaN.
function fareCase(name: string, s: FareShape): KernelCheck {
  return {
    name: `fare/${name}`,
    async run(ctx, rng) {
      const n = s.batch * s.dim;
      const target = rng.normal(n), embeds = Float32Array.from(target);
      for (let i = s.dim; i < n; i++) embeds[i] += (rng.next() < 0.5 ? 0.01 : 1) * rng.normal(1)[0];
      const b = {
        embeds: ctx.upload('fare.check.embeds', embeds), target: ctx.upload('fare.check.target', target),
        grad: ctx.buffer('fare.check.grad', n * 4), stats: ctx.buffer('fare.check.stats', statsFloats(s.batch) * 4),
      };
      try {
        await ctx.run('fare.check', (rec) => encodeFareLoss(rec, b, s));
        const [grad, stats] = (await ctx.readMany([{ buffer: b.grad, count: n }, { buffer: b.stats, count: statsFloats(s.batch) }])).map((a) => new Float32Array(a));
        const ref = fareLossRef(embeds, target, s.batch, s.dim, s.kind);
        const gScale = Math.max(...Array.from(ref.grad, Math.abs));
        return [
          validate([stats[0]], [ref.loss], 1e-7, 1e-5, `fare ${name} mean loss`),
          validate(stats.subarray(1), ref.perSample, 1e-7, 1e-5, `fare ${name} per-sample losses`),
          validate(grad, ref.grad, 1e-6 * gScale, 1e-5, `fare ${name} ∂/∂embeds`),
        ];
      } finally {
        ctx.release(...Object.values(b));
      }
    },
  };
}

export const fareChecks: KernelCheck[] = [
  fareCase('l2-squared', { batch: 9, dim: 130, kind: 'l2-squared' }),
  fareCase('l2', { batch: 70, dim: 64, kind: 'l2' }),
  fareCase('one-dim', { batch: 3, dim: 1, kind: 'l2' }),
];
