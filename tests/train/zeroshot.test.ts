import { describe, expect, it } from 'vitest';
import { ensembleClassEmbeddings, zeroShotMetrics } from '../../src/train/zeroshot';
import { Rng, freshSeed } from '../../src/util/random';

const seed = freshSeed();
console.log(`train/zeroshot seed ${seed} (AOS_SEED=${seed} replays)`);

describe('zero-shot evaluation', () => {
  it('class embeddings = class means of the image embeddings classify clustered images correctly; confusion counts the rest', () => {
    const rng = new Rng(seed);
    const K = 6, P = 16, perClass = 20;
    const centres = rng.normal(K * P, 1);
    const images: number[] = [], labels: number[] = [];
    for (let k = 0; k < K; k++) {
      for (let i = 0; i < perClass; i++) {
        const noise = rng.normal(P, 0.05);
        for (let d = 0; d < P; d++) images.push(centres[k * P + d] + noise[d]);
        labels.push(k);
      }
    }
    // Text side: per class, "prompt" embeddings whose normalised mean is the class mean of the images.
    const text = Array.from({ length: K }, (_, k) => {
      const mean = new Float64Array(P);
      for (let i = 0; i < perClass; i++) for (let d = 0; d < P; d++) mean[d] += images[(k * perClass + i) * P + d] / perClass;
      return Float64Array.from([...mean, ...mean.map((v) => 3 * v)]);
    });
    const cls = ensembleClassEmbeddings(text, P);
    // Two deliberate errors: image 0 (class 0) is relabelled as class 1, image of class 5 relabelled as 2.
    const wrong = [...labels];
    wrong[0] = 1;
    wrong[5 * perClass] = 2;
    const names = ['a', 'b', 'c', 'd', 'e', 'f'];
    const m = zeroShotMetrics(images, cls, wrong, names, P);
    expect(m.count).toBe(K * perClass);
    expect(m.top1).toBeCloseTo(1 - 2 / (K * perClass), 12);
    expect(m.confusion[1][0]).toBe(1);
    expect(m.confusion[2][5]).toBe(1);
    expect(m.confusion[0][0]).toBe(perClass - 1);
    expect(m.perClass[0]).toEqual({ class: 'a', count: perClass - 1, accuracy: 1 });
    expect(m.perClass[1].accuracy).toBeCloseTo(perClass / (perClass + 1), 12);
    expect(m.confusion.flat().reduce((a, b) => a + b, 0)).toBe(K * perClass);
    const correct = zeroShotMetrics(images, cls, labels, names, P);
    expect(correct.top1).toBe(1);
    expect(correct.top5).toBe(1);
  });

  it('ensemble = mean of normalised text embeddings, renormalised', () => {
    const e = ensembleClassEmbeddings([Float32Array.of(2, 0, 0, 5)], 2);
    expect(Array.from(e)).toEqual([Math.SQRT1_2, Math.SQRT1_2].map((v) => expect.closeTo(v, 12)) as unknown as number[]);
  });

  it('top-5 counts the true class among the five best scores', () => {
    const P = 2, K = 7;
    const cls = Float64Array.from(Array.from({ length: K }, (_, k) => [Math.cos(k * 0.3), Math.sin(k * 0.3)]).flat());
    const img = Float64Array.of(1, 0); // closest to class 0, then 1, 2, …
    expect(zeroShotMetrics(img, cls, [4], 'abcdefg'.split(''), P).top5).toBe(1);
    expect(zeroShotMetrics(img, cls, [5], 'abcdefg'.split(''), P).top5).toBe(0);
    expect(zeroShotMetrics(img, cls, [5], 'abcdefg'.split(''), P).top1).toBe(0);
  });
});
