import type { KernelCheck } from '../gpu/kernelCheck';
import type { Rng } from '../util/random';
import { validate } from '../util/validate';
import { promptCe, promptCeRef, promptRadius, promptRadiusRef, type PromptCeShape, type PromptRadiusShape } from './promptAttack';

function unitRows(rng: Rng, rows: number, d: number): Float32Array {
  const x = rng.normal(rows * d);
  for (let r = 0; r < rows; r++) {
    let ss = 0;
    for (let k = 0; k < d; k++) ss += x[r * d + k] ** 2;
    for (let k = 0; k < d; k++) x[r * d + k] /= Math.sqrt(ss);
  }
  return x;
}

// The radius sums (eos + 1)·W squares: rtol 1e-5 (fp32 accumulation of positive terms).
function radiusCase(name: string, s: Omit<PromptRadiusShape, 'offset'>, offset: number): KernelCheck {
  return {
    name: `promptAttack/${name}`,
    async run(ctx, rng) {
      const shape = { ...s, offset };
      const params = rng.normal(offset + s.vocab * s.width + 13);
      const ids = new Uint32Array(s.batch * s.tokens), eos = new Uint32Array(s.batch);
      for (let b = 0; b < s.batch; b++) {
        eos[b] = rng.int(0, s.tokens - 1);
        for (let t = 0; t < s.tokens; t++) ids[b * s.tokens + t] = rng.int(0, s.vocab - 1);
      }
      const rel = { epsRel: 0.1 + rng.next(), alphaRel: 0.01 + rng.next() };
      const got = await promptRadius(ctx, params, ids, eos, shape, rel);
      const r = promptRadiusRef(params, ids, eos, shape);
      return [
        validate(got.eps, Float64Array.from(r, (v) => rel.epsRel * v), 1e-6, 1e-5, `${name} eps`),
        validate(got.alpha, Float64Array.from(r, (v) => rel.alphaRel * v), 1e-6, 1e-5, `${name} alpha`),
      ];
    },
  };
}

// gClass: C softmaxes of logits up to ±s and sums over ≤ N views; judged against its own largest entry.
function ceCase(name: string, s: PromptCeShape): KernelCheck {
  return {
    name: `promptAttack/${name}`,
    async run(ctx, rng) {
      const unit = unitRows(rng, s.batch, s.dim), clean = unitRows(rng, s.classes, s.dim), adv = unitRows(rng, s.classes, s.dim);
      const labels = Uint32Array.from({ length: s.batch }, () => rng.int(0, s.classes));
      const got = await promptCe(ctx, unit, clean, adv, labels, s);
      const ref = promptCeRef(unit, clean, adv, labels, s);
      const scale = Math.max(...Array.from(ref, Math.abs));
      return validate(got, ref, 1e-5 * scale, 1e-4, `${name} ∂CE/∂advClass`);
    },
  };
}

export const promptAttackChecks: KernelCheck[] = [
  radiusCase('radius', { batch: 9, tokens: 16, width: 32, vocab: 50 }, 37),
  radiusCase('radius-wide', { batch: 3, tokens: 77, width: 130, vocab: 20 }, 0),
  ceCase('ce', { batch: 37, classes: 10, dim: 64, logitScale: 100 }),
  ceCase('ce-small', { batch: 5, classes: 3, dim: 7, logitScale: 1 }),
];
