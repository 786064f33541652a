/** Stratified, seeded splitting of a labelled pool. */
import { DataError } from './errors';
import type { Rng } from '../util/random';

/** In-place Fisher–Yates shuffle driven by `rng`. */
export function shuffleInPlace<T>(a: T[] | Int32Array, rng: Rng): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(0, i + 1);
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
}

/**
 * Per-class counts for splits of the given sizes, proportional to the pool's class counts. Cumulative sizes are
 * apportioned by largest remainder (ties to the lower class index) and differenced, so every split is within one
 * image of proportional per class and, when the sizes add up to the pool, every image is used exactly once.
 */
export function stratifiedQuotas(classCounts: number[], sizes: number[]): number[][] {
  const total = classCounts.reduce((a, b) => a + b, 0);
  const want = sizes.reduce((a, b) => a + b, 0);
  if (want > total) throw new DataError(`split: ${want} images requested from a pool of ${total}`);
  const apportion = (seats: number): number[] => {
    const exact = classCounts.map((n) => (seats * n) / total);
    const q = exact.map(Math.floor);
    let left = seats - q.reduce((a, b) => a + b, 0);
    const order = exact.map((e, c) => ({ r: e - Math.floor(e), c })).sort((a, b) => b.r - a.r || a.c - b.c);
    for (let k = 0; left > 0; k++, left--) q[order[k].c]++;
    return q;
  };
  const out: number[][] = [];
  let prev = classCounts.map(() => 0), cum = 0;
  for (const s of sizes) {
    cum += s;
    const q = apportion(cum);
    const d = q.map((v, c) => v - prev[c]);
    if (d.some((v, c) => v < 0 || q[c] > classCounts[c])) throw new DataError('split: apportionment failed (sizes too close to the pool)');
    out.push(d);
    prev = q;
  }
  return out;
}

/**
 * Draws disjoint stratified splits of `sizes` from a pool with these labels. Each class's indices are shuffled, then
 * dealt to the splits in order; each split is finally shuffled so classes interleave. Returns pool indices per split.
 */
export function stratifiedSplit(labels: ArrayLike<number>, numClasses: number, sizes: number[], rng: Rng): Int32Array[] {
  const byClass: number[][] = Array.from({ length: numClasses }, () => []);
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= numClasses) throw new DataError(`split: label ${labels[i]} at ${i} ≥ ${numClasses} classes`);
    byClass[labels[i]].push(i);
  }
  const quotas = stratifiedQuotas(byClass.map((l) => l.length), sizes);
  for (const list of byClass) shuffleInPlace(list, rng);
  const taken = byClass.map(() => 0);
  return quotas.map((q) => {
    const idx: number[] = [];
    q.forEach((n, c) => {
      idx.push(...byClass[c].slice(taken[c], taken[c] + n));
      taken[c] += n;
    });
    const arr = Int32Array.from(idx);
    shuffleInPlace(arr, rng);
    return arr;
  });
}
