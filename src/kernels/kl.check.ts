import type { KernelCheck } from '../gpu/kernelCheck';
import { validate } from '../util/validate';
import { encodeKl, klDivergenceRef, type KlShape } from './kl';
import { statsFloats } from './shape';

// Logits at CLIP's scale (s · cos, |z| ≤ 100), so the log-sum-exp must not overflow. Tolerances (fp32 against
// float64), in units of w·s/N (w the weight, N the rows): a logit difference carries an error of about s·ε₃₂, so the
// KL's atol is s·1e-6; ∂/∂zP = w p_c (d_c − A)/N (shaders/kl.wgsl) is judged per entry at 2e-6·w·s/N, not against the
// batch's largest entry (where p_c ≈ 1 and d_c ≈ A a cancelling kernel's error hid under that); ∂/∂zQ = w(q − p)/N
// at 2e-7·w·s/N. Over 600 seeds of each case the largest error was under 1/10 of each tolerance; the form
// p_c (r_c − KL) reached 3× it. Row 0 has zP = zQ (KL 0).
function klCase(name: string, s: KlShape & { scale: number }): KernelCheck {
  return {
    name: `kl/${name}`,
    async run(ctx, rng) {
      const n = s.batch * s.classes;
      const zP = rng.uniform(n, -s.scale, s.scale), zQ = rng.uniform(n, -s.scale, s.scale);
      for (let c = 0; c < s.classes; c++) zQ[c] = zP[c];
      // Half the rows near each other (a KL near 0 must not cancel to garbage).
      for (let i = 1; i < s.batch; i += 2) for (let c = 0; c < s.classes; c++) zQ[i * s.classes + c] = zP[i * s.classes + c] + 0.01 * rng.normal(1)[0];
      const b = {
        zP: ctx.upload('kl.check.zP', zP), zQ: ctx.upload('kl.check.zQ', zQ), dP: ctx.buffer('kl.check.dP', n * 4), dQ: ctx.buffer('kl.check.dQ', n * 4),
        stats: ctx.buffer('kl.check.stats', statsFloats(s.batch) * 4),
      };
      try {
        await ctx.run('kl.check', (rec) => encodeKl(rec, b, s));
        const [dP, dQ, stats] = (await ctx.readMany([{ buffer: b.dP, count: n }, { buffer: b.dQ, count: n }, { buffer: b.stats, count: statsFloats(s.batch) }])).map((a) => new Float32Array(a));
        const ref = klDivergenceRef(zP, zQ, s.batch, s.classes);
        const perRow = Array.from({ length: s.batch }, (_, i) => klDivergenceRef(zP.subarray(i * s.classes, (i + 1) * s.classes), zQ.subarray(i * s.classes, (i + 1) * s.classes), 1, s.classes).loss);
        const scaled = (g: Float64Array) => g.map((v) => v * s.weight);
        const gP = scaled(ref.dTarget), gQ = scaled(ref.dz);
        const atol = 1e-6 * s.scale, unit = (s.weight * s.scale) / s.batch;
        return [
          validate([stats[0]], [ref.loss], atol, 1e-5, `kl ${name} mean KL`),
          validate(stats.subarray(1), perRow, atol, 1e-5, `kl ${name} per-row KL`),
          validate(dP, gP, 2e-6 * unit, 1e-4, `kl ${name} ∂/∂zP`),
          validate(dQ, gQ, 2e-7 * unit, 1e-4, `kl ${name} ∂/∂zQ`),
        ];
      } finally {
        ctx.release(...Object.values(b));
      }
    },
  };
}

export const klChecks: KernelCheck[] = [
  klCase('clip-scale', { batch: 37, classes: 10, weight: 1, scale: 100 }),
  klCase('weighted-many-classes', { batch: 5, classes: 300, weight: 37.5, scale: 20 }),
  klCase('one-class', { batch: 3, classes: 1, weight: 2, scale: 5 }),
];
