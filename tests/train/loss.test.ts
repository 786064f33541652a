import { describe, expect, it } from 'vitest';
import { contrastiveLoss } from '../../src/train/loss';
import { lrAt } from '../../src/train/schedule';
import { Rng, freshSeed } from '../../src/util/random';

const seed = freshSeed();
console.log(`train/loss seed ${seed} (AOS_SEED=${seed} replays)`);

describe('contrastive loss (multi-positive symmetric InfoNCE)', () => {
  it('gradients w.r.t. raw image and text embeddings match central finite differences (float64)', () => {
    const rng = new Rng(seed);
    const B = 7, P = 5;
    const image = Float64Array.from(rng.normal(B * P, 1));
    const text = Float64Array.from(rng.normal(B * P, 1));
    const classes = [0, 1, 0, 2, 1, 0, 3];
    const f = (im: Float64Array, tx: Float64Array) => contrastiveLoss({ image: im, text: tx, classes, batch: B, dim: P, scale: 7 }).loss;
    const r = contrastiveLoss({ image, text, classes, batch: B, dim: P, scale: 7 });
    const h = 1e-5;
    for (const [which, x, g] of [['image', image, r.gradImage], ['text', text, r.gradText]] as const) {
      for (let i = 0; i < x.length; i++) {
        const xp = Float64Array.from(x), xm = Float64Array.from(x);
        xp[i] += h;
        xm[i] -= h;
        const fd = which === 'image' ? (f(xp, text) - f(xm, text)) / (2 * h) : (f(image, xp) - f(image, xm)) / (2 * h);
        expect(Math.abs(fd - g[i]), `${which}[${i}]: fd ${fd} vs ${g[i]}`).toBeLessThan(1e-7 + 1e-6 * Math.abs(fd));
      }
    }
  });

  it('with distinct classes equals CLIP\'s loss (mean of the two cross-entropies with targets on the diagonal)', () => {
    const rng = new Rng(seed + 1);
    const B = 4, P = 3, s = 3;
    const image = rng.normal(B * P), text = rng.normal(B * P);
    const r = contrastiveLoss({ image, text, classes: [0, 1, 2, 3], batch: B, dim: P, scale: s });
    const n = (x: Float32Array, i: number) => { const v = x.subarray(i * P, (i + 1) * P); const l = Math.hypot(...v); return Array.from(v, (a) => a / l); };
    const L = Array.from({ length: B }, (_, i) => Array.from({ length: B }, (_, j) => s * n(image, i).reduce((a, v, k) => a + v * n(text, j)[k], 0)));
    let i2t = 0, t2i = 0;
    for (let i = 0; i < B; i++) {
      i2t -= L[i][i] - Math.log(L[i].reduce((a, v) => a + Math.exp(v), 0));
      t2i -= L[i][i] - Math.log(L.reduce((a, row) => a + Math.exp(row[i]), 0));
    }
    expect(r.loss).toBeCloseTo((i2t + t2i) / (2 * B), 10);
  });

  it('same-class captions are positives: perfectly aligned classes give the minimum log(#positives)', () => {
    const P = 2, classes = [0, 0, 1, 1];
    const e = Float32Array.of(1, 0, 1, 0, 0, 1, 0, 1);
    const r = contrastiveLoss({ image: e, text: e, classes, batch: 4, dim: P, scale: 60 });
    expect(r.loss).toBeCloseTo(Math.log(2), 6);
    expect(r.accI2T).toBe(1);
  });

  it('warm-up then cosine decay', () => {
    const s = { peak: 1, warmupSteps: 10, totalSteps: 110, minRatio: 0 };
    expect(lrAt(5, s)).toBeCloseTo(0.5);
    expect(lrAt(10, s)).toBeCloseTo(1);
    expect(lrAt(60, s)).toBeCloseTo(0.5);
    expect(lrAt(110, s)).toBeCloseTo(0);
  });
});
