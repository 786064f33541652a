/** Seeded pseudo-random numbers (PCG32-style hash stream): reproducible test inputs on every host. */
export class Rng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9;
  }

  /** Uniform u32. */
  nextU32(): number {
    // xorshift32 on a Weyl-advanced state, mixed by a PCG-style output permutation.
    this.state = (this.state + 0x9e3779b9) >>> 0;
    return hashU32(this.state);
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  uniform(n: number, lo = -1, hi = 1): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * this.next();
    return out;
  }

  normal(n: number, std = 1): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i += 2) {
      const u1 = Math.max(this.next(), 1e-12), u2 = this.next();
      const r = Math.sqrt(-2 * Math.log(u1)) * std;
      out[i] = r * Math.cos(2 * Math.PI * u2);
      if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
    }
    return out;
  }

  int(lo: number, hiExclusive: number): number {
    return lo + Math.floor(this.next() * (hiExclusive - lo));
  }
}

/** PCG output hash of one u32 (the same function the WGSL kernels use: see shaders/random.wgsl). */
export function hashU32(v: number): number {
  const state = (Math.imul(v >>> 0, 747796405) + 2891336453) >>> 0;
  const word = Math.imul((state >>> ((state >>> 28) + 4)) ^ state, 277803737) >>> 0;
  return ((word >>> 22) ^ word) >>> 0;
}

/** A fresh seed per run (tests print it), unless AOS_SEED fixes it for a replay. */
export function freshSeed(): number {
  const fixed = typeof process !== 'undefined' ? process.env?.AOS_SEED : undefined;
  if (fixed) return Number(fixed) >>> 0;
  return (Math.random() * 4294967296) >>> 0;
}
