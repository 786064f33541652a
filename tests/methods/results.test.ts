/**
 * The results file and its statistics (pure, float64): bitsets round-trip, the validator names the bad field and
 * refuses oversized input, the paired bootstrap gives p ≈ 1 for identical methods and a tiny p for a method right
 * on 60 more images of 500, Holm's adjustment and ordering, the minimum detectable difference.
 */
import { describe, expect, it } from 'vitest';
import {
  RESULTS_LIMITS, RESULTS_SCHEMA, RESULTS_VERSION, compareOnCell, decodeBits, encodeBits, holm, minimumDetectableDifference,
  normalQuantile, pairedBootstrap, parseResults, validateResults, type ResultsFile,
} from '../../src/methods/results';
import { Rng, freshSeed } from '../../src/util/random';

const seed = freshSeed();
console.log(`results tests: AOS_SEED=${seed}`);

const bits = (rng: Rng, n: number, p: number) => Uint8Array.from({ length: n }, () => (rng.next() < p ? 1 : 0));

function sampleFile(rng: Rng): ResultsFile {
  const n = 37;
  return {
    schema: RESULTS_SCHEMA, version: RESULTS_VERSION,
    provenance: { commit: 'abcdef0', adapter: 'test', createdAt: '2026-12-04T12:00:00.000Z', config: { steps: 20, nested: [1, 'a', null] }, seeds: [0, 1], files: [{ path: 'a.onnx', bytes: 3, sha256: 'a'.repeat(64) }] },
    epsilons: [8 / 255, 24 / 255], headlineEps: 24 / 255,
    runs: ['aos', 'tecoa'].flatMap((m) => [0, 1].map((s) => ({
      id: `${m}-${s}`, method: m, seed: s,
      cells: [0, 8 / 255, 24 / 255].map((eps) => ({ set: 'mnist/test', eps, n, correct: encodeBits(bits(rng, n, 0.6)) })),
    }))),
    notes: ['masking check pass'],
  };
}

describe('bitsets', () => {
  it('round-trip every length 0..70 and refuse non-canonical strings', () => {
    const rng = new Rng(seed);
    for (let n = 0; n <= 70; n++) {
      const b = bits(rng, n, 0.5);
      expect(Array.from(decodeBits(encodeBits(b), n))).toEqual(Array.from(b));
    }
    expect(encodeBits([1, 0, 0, 0, 0, 0, 0, 0, 1])).toBe('AQE=');
    expect(() => decodeBits('AQE=', 30)).toThrow(/expected 8/);
    expect(() => decodeBits('AQE=', 8)).toThrow(/canonical/); // bit 8 set past n = 8
    expect(Array.from(decodeBits('AQ==', 1))).toEqual([1]);
    expect(() => decodeBits('Aw==', 1)).toThrow(/canonical/); // bit 1 set past n = 1
    expect(() => decodeBits('A!==', 1)).toThrow(/base64/);
  });
});

describe('results validator', () => {
  it('accepts a good file (deep copy) and names the bad field', () => {
    const rng = new Rng(seed ^ 1);
    const f = sampleFile(rng);
    const v = validateResults(JSON.parse(JSON.stringify(f)));
    expect(v).toEqual(f);
    const bad = (mut: (x: any) => void, re: RegExp) => {
      const x = JSON.parse(JSON.stringify(f));
      mut(x);
      expect(() => validateResults(x)).toThrow(re);
    };
    bad((x) => (x.version = 3), /\$\.version/);
    bad((x) => (x.schema = 'other'), /\$\.schema/);
    bad((x) => (x.runs[1].cells[2].n = 60), /\$\.runs\[1\]\.cells\[2\]\.correct/);
    bad((x) => (x.runs[0].cells[1].eps = 5 / 255), /\$\.runs\[0\]\.cells\[1\]\.eps/);
    bad((x) => (x.runs[3].id = 'aos-0'), /\$\.runs\[3\]\.id: duplicate/);
    bad((x) => (x.provenance.files[0].sha256 = 'xyz'), /\$\.provenance\.files\[0\]\.sha256/);
    bad((x) => (x.provenance.seeds[1] = -1), /\$\.provenance\.seeds\[1\]/);
    bad((x) => (x.runs[0].extra = 1), /\$\.runs\[0\]\.extra: unknown field/);
    bad((x) => (x.headlineEps = 0.5), /\$\.headlineEps/);
    bad((x) => (x.runs = Array.from({ length: RESULTS_LIMITS.runs + 1 }, () => x.runs[0])), /\$\.runs: 1001 entries/);
    bad((x) => (x.notes = 'a'), /\$\.notes: expected an array/);
    bad((x) => (x.provenance.config = JSON.parse('{"__proto__": {"polluted": 1}}')), /forbidden key/);
    expect(() => parseResults('{')).toThrow(/not JSON/);
    expect(() => parseResults(' '.repeat(RESULTS_LIMITS.textChars + 1))).toThrow(/at most/);
  });
});

describe('paired bootstrap, Holm, MDD (float64)', () => {
  it('identical methods: difference 0, p = 1', () => {
    const rng = new Rng(seed ^ 2);
    const runs = [0, 1, 2].map(() => bits(rng, 300, 0.7));
    const r = pairedBootstrap(runs, runs.map((x) => Uint8Array.from(x)), { resamples: 2000, seed });
    expect(r.difference).toBe(0);
    expect(r.p).toBeGreaterThan(0.99);
  });

  it('a method right on 60 more images of 500 (same otherwise): tiny p, interval around 0.12', () => {
    const rng = new Rng(seed ^ 3);
    const base = bits(rng, 500, 0.5);
    const wrong = [...base.keys()].filter((i) => !base[i]);
    expect(wrong.length).toBeGreaterThanOrEqual(60);
    const better = Uint8Array.from(base);
    for (const i of wrong.slice(0, 60)) better[i] = 1;
    const r = pairedBootstrap([better], [base], { resamples: 4000, seed });
    expect(r.difference).toBeCloseTo(0.12, 12);
    expect(r.p).toBeLessThan(0.001);
    expect(r.ci95[0]).toBeGreaterThan(0.08);
    expect(r.ci95[1]).toBeLessThan(0.16);
    // SE of a paired difference with 60 discordant pairs out of 500: √(60/500 − 0.12²)/√500 ≈ 0.01453.
    expect(r.se).toBeGreaterThan(0.0125);
    expect(r.se).toBeLessThan(0.0165);
  });

  it('a seed-noisy method is less certain than a single run (the seed level counts)', () => {
    const rng = new Rng(seed ^ 4);
    const base = bits(rng, 400, 0.5);
    const noisy = [0, 1, 2, 3].map((k) => Uint8Array.from(base, (v) => (rng.next() < (k % 2 ? 0.15 : 0.02) ? 1 - v : v)));
    const oneLevel = pairedBootstrap([noisy[0]], [base], { resamples: 2000, seed }).se;
    const twoLevel = pairedBootstrap(noisy, [base], { resamples: 2000, seed }).se;
    expect(twoLevel).toBeGreaterThan(0);
    expect(Number.isFinite(oneLevel)).toBe(true);
  });

  it('Holm: step-down, monotone, order kept', () => {
    const adj = holm([0.04, 0.01, 0.03]);
    // sorted 0.01, 0.03, 0.04 → 3·0.01 = 0.03, max(0.03, 2·0.03) = 0.06, max(0.06, 0.04) = 0.06
    expect(adj[1]).toBeCloseTo(0.03, 15);
    expect(adj[2]).toBeCloseTo(0.06, 15);
    expect(adj[0]).toBeCloseTo(0.06, 15);
    expect(holm([0.5, 0.9])).toEqual([1, 1]);
    expect(holm([])).toEqual([]);
    expect(() => holm([1.5])).toThrow(/outside/);
  });

  it('normal quantiles and the MDD at 80 % power', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 8);
    expect(normalQuantile(0.8)).toBeCloseTo(0.8416212335729143, 8);
    expect(normalQuantile(1e-6)).toBeCloseTo(-4.753424308822899, 7);
    expect(minimumDetectableDifference(0.01)).toBeCloseTo(0.028015852, 8);
    expect(minimumDetectableDifference(0.01, 0.05 / 3)).toBeGreaterThan(minimumDetectableDifference(0.01));
  });

  it('compareOnCell: one method against two baselines on a file', () => {
    const f = sampleFile(new Rng(seed ^ 5));
    const rows = compareOnCell(f, 'aos', ['tecoa', 'aos'], 'mnist/test', 24 / 255, { resamples: 500, seed });
    expect(rows.map((r) => r.baseline)).toEqual(['tecoa', 'aos']);
    expect(rows[1].difference).toBe(0);
    for (const r of rows) {
      expect(r.pHolm).toBeGreaterThanOrEqual(r.p);
      expect(r.mdd80).toBeGreaterThan(0);
    }
  });
});
