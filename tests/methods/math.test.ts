/** The CPU pieces of the fine-tuning losses: analytic gradients against central finite differences (float64). */
import { describe, expect, it } from 'vitest';
import { ensemble, ensembleBackward } from '../../src/kernels/ensemble';
import { cosLogits, cosLogitsBackward, crossEntropy, groupMeans, groupMeansBackward, normalizeRows, normalizeRowsBackward } from '../../src/methods/math';
import { klDivergenceRef } from '../../src/kernels/kl';
import { fareLossRef } from '../../src/kernels/fare';
import { Rng, freshSeed } from '../../src/util/random';

const seed = freshSeed();
console.log(`methods/math seed ${seed} (AOS_SEED=${seed} replays)`);

/** Checks ∂f/∂x (analytic `g`) against central differences of the scalar f at every coordinate. */
function checkGrad(f: (x: Float64Array) => number, x: Float64Array, g: ArrayLike<number>, what: string): void {
  const h = 1e-6;
  for (let i = 0; i < x.length; i++) {
    const xp = Float64Array.from(x), xm = Float64Array.from(x);
    xp[i] += h;
    xm[i] -= h;
    const fd = (f(xp) - f(xm)) / (2 * h);
    expect(Math.abs(fd - g[i]), `${what}[${i}]: fd ${fd} vs ${g[i]}`).toBeLessThan(1e-6 + 1e-5 * Math.abs(fd));
  }
}

/** A fixed random linear functional w·y turns a vector-valued map into a scalar one. */
function dotWith(w: Float64Array) {
  return (y: ArrayLike<number>) => Array.from(y).reduce((a, v, i) => a + v * w[i], 0);
}

describe('fine-tuning losses on the CPU', () => {
  const rng = new Rng(seed);
  const rand = (n: number) => Float64Array.from(rng.normal(n, 1));

  it('row normalisation backward', () => {
    const n = 3, d = 5, x = rand(n * d), w = rand(n * d);
    const { y, norms } = normalizeRows(x, n, d);
    checkGrad((v) => dotWith(w)(normalizeRows(v, n, d).y), x, normalizeRowsBackward(y, norms, w, n, d), 'normalize');
  });

  it('prompt ensemble backward', () => {
    const C = 3, G = 4, d = 5, x = rand(C * G * d), w = rand(C * d);
    const e = ensemble(x, C, G, d);
    checkGrad((v) => dotWith(w)(ensemble(v, C, G, d).classEmb), x, ensembleBackward(e, w), 'ensemble');
    for (let c = 0; c < C; c++) expect(Math.hypot(...e.classEmb.subarray(c * d, (c + 1) * d))).toBeCloseTo(1, 12);
  });

  it('cosine logits + cross-entropy backward w.r.t. images and texts', () => {
    const n = 4, C = 3, d = 5, im = rand(n * d), tx = rand(C * d), labels = [0, 2, 1, 2];
    const f = (a: Float64Array, b: Float64Array) => crossEntropy(cosLogits(a, b, n, C, d, 7).logits, labels, n, C).loss;
    const l = cosLogits(im, tx, n, C, d, 7);
    const g = cosLogitsBackward(l, crossEntropy(l.logits, labels, n, C).dz);
    checkGrad((v) => f(v, tx), im, g.gImages, 'images');
    checkGrad((v) => f(im, v), tx, g.gTexts, 'texts');
  });

  it('KL(target ‖ z) backward w.r.t. both logits; zero at equal inputs', () => {
    const n = 3, C = 4, t = rand(n * C), z = rand(n * C);
    const r = klDivergenceRef(t, z, n, C);
    checkGrad((v) => klDivergenceRef(t, v, n, C).loss, z, r.dz, 'dz');
    checkGrad((v) => klDivergenceRef(v, z, n, C).loss, t, r.dTarget, 'dTarget');
    expect(klDivergenceRef(z, z, n, C).loss).toBeCloseTo(0, 14);
    expect(r.loss).toBeGreaterThan(0);
  });

  it('group means backward and the FARE losses', () => {
    const G = 2, n = 3, d = 4, x = rand(G * n * d), w = rand(G * d);
    checkGrad((v) => dotWith(w)(groupMeans(v, G, n, d)), x, groupMeansBackward(w, G, n, d), 'means');
    const e = rand(3 * d), t = rand(3 * d);
    for (const kind of ['l2-squared', 'l2'] as const) checkGrad((v) => fareLossRef(v, t, 3, d, kind).loss, e, fareLossRef(e, t, 3, d, kind).grad, kind);
  });
});
