import { describe, expect, it } from 'vitest';
import { stratifiedQuotas, stratifiedSplit } from '../../src/data/split';
import { Rng } from '../../src/util/random';

describe('stratified split', () => {
  it('apportions proportionally and uses every image when the sizes fill the pool', () => {
    const counts = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];
    const q = stratifiedQuotas(counts, [7000, 1000, 2000]);
    expect(q.map((r) => r.reduce((a, b) => a + b, 0))).toEqual([7000, 1000, 2000]);
    counts.forEach((n, c) => {
      expect(q[0][c] + q[1][c] + q[2][c]).toBe(n);
      [7000, 1000, 2000].forEach((s, k) => expect(Math.abs(q[k][c] - (s * n) / 10000)).toBeLessThan(1));
    });
  });

  it('draws disjoint, seeded splits', () => {
    const labels = Uint8Array.from({ length: 600 }, (_, i) => (i * 7) % 3);
    const a = stratifiedSplit(labels, 3, [300, 60], new Rng(5));
    const b = stratifiedSplit(labels, 3, [300, 60], new Rng(5));
    const c = stratifiedSplit(labels, 3, [300, 60], new Rng(6));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    const all = [...a[0], ...a[1]];
    expect(new Set(all).size).toBe(360);
    for (const s of a) {
      const per = [0, 0, 0];
      for (const i of s) per[labels[i]]++;
      expect(per).toEqual([s.length / 3, s.length / 3, s.length / 3]);
    }
    expect(() => stratifiedSplit(labels, 3, [500, 200], new Rng(1))).toThrow(/700 images requested from a pool of 600/);
  });
});
