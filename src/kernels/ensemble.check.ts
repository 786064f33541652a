import type { KernelCheck } from '../gpu/kernelCheck';
import { validate } from '../util/validate';
import { ensemble, ensembleBackward, ensembleOnGpu, type EnsembleShape } from './ensemble';

// Tolerances (fp32 against float64): every output is two normalisations and a mean of ≤ perClass unit rows away
// from the input, so rtol 1e-5 on the unit outputs; the gradient divides by the norms twice, so its atol is set
// against its own largest entry.
function ensembleCase(name: string, s: EnsembleShape): KernelCheck {
  return {
    name: `ensemble/${name}`,
    async run(ctx, rng) {
      const rows = s.classes * s.perClass;
      // Prompt norms spread over two decades (a trained tower's embeddings are not unit).
      const prompts = rng.normal(rows * s.d);
      for (let r = 0; r < rows; r++) {
        const gain = 10 ** (2 * rng.next() - 1);
        for (let k = 0; k < s.d; k++) prompts[r * s.d + k] *= gain;
      }
      const gClass = rng.uniform(s.classes * s.d);
      const got = await ensembleOnGpu(ctx, prompts, s, gClass);
      const ref = ensemble(prompts, s.classes, s.perClass, s.d);
      const gRef = ensembleBackward(ref, gClass);
      const gScale = Math.max(...Array.from(gRef, Math.abs));
      return [
        validate(got.unit, ref.unit, 1e-7, 1e-5, `ensemble ${name} unit rows`),
        validate(got.classEmb, ref.classEmb, 1e-7, 1e-5, `ensemble ${name} class embeddings`),
        validate(got.gPrompts!, gRef, 2e-6 * gScale, 1e-4, `ensemble ${name} ∂/∂prompts`),
      ];
    },
  };
}

export const ensembleChecks: KernelCheck[] = [
  ensembleCase('small', { classes: 3, perClass: 5, d: 7 }),
  ensembleCase('clip-like', { classes: 10, perClass: 24, d: 64 }),
  ensembleCase('one-prompt', { classes: 11, perClass: 1, d: 130 }),
];
