import { describe, expect, it } from 'vitest';
import { parseResults, validateResults } from '../../src/methods/results';
import { CURVE_LIMITS, curveFromSteps, validateCurve } from '../../src/methods/resultsCurve';
import { syntheticCurve, syntheticResults } from '../helpers/syntheticResults';

const steps = (n: number) => Array.from({ length: n }, (_, i) => ({
  step: i + 1, loss: 3 - i / n, terms: { ce: 2 - i / n, advClean: 1 }, gradNorm: 2 + i, termGradNorms: { ce: 1.5 }, clipFactor: 1 / (2 + i),
}));

describe('training curves in the results file (v2)', () => {
  it('builds columns from the loop metrics, every step while they fit', () => {
    const c = curveFromSteps(steps(40));
    expect(c.step).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(c.loss[0]).toBe(3);
    expect(c.terms.ce).toHaveLength(40);
    expect(c.terms.advClean[39]).toBe(1);
    expect(c.termGradNorms.ce).toHaveLength(40);
    expect(c.clipFactor[1]).toBeCloseTo(1 / 3, 5);
  });

  it('thins long runs to at most maxPoints, keeping the last step; non-finite values become null', () => {
    const s = steps(1000);
    s[10].loss = NaN;
    const c = curveFromSteps(s, 100);
    expect(c.step.length).toBeLessThanOrEqual(100);
    expect(c.step.at(-1)).toBe(1000);
    expect(c.loss[c.step.indexOf(11)]).toBeNull();
    for (let i = 1; i < c.step.length; i++) expect(c.step[i]).toBeGreaterThan(c.step[i - 1]);
  });

  it('round-trips through the validator; a v1 file without curves still loads and one with them is refused', () => {
    const f = syntheticResults({ curves: true });
    const back = parseResults(JSON.stringify(f));
    const run = back.runs.find((r) => r.id === 'aos-seed1')!;
    expect(run.curve!.step).toHaveLength(40);
    expect(run.curve).toEqual(f.runs.find((r) => r.id === 'aos-seed1')!.curve);
    expect(back.runs.find((r) => r.method === 'none')!.curve).toBeUndefined();
    const v1 = syntheticResults();
    v1.version = 1;
    expect(validateResults(JSON.parse(JSON.stringify(v1))).version).toBe(1);
    const v1WithCurve = JSON.parse(JSON.stringify(f));
    v1WithCurve.version = 1;
    expect(() => validateResults(v1WithCurve)).toThrow(/\$\.runs\[1\]\.curve: unknown field/);
  });

  it('names the bad field, and refuses oversized columns before reading them', () => {
    const bad = (mut: (c: Record<string, unknown>) => void) => {
      const c = JSON.parse(JSON.stringify(syntheticCurve('aos', 0))) as Record<string, unknown>;
      mut(c);
      return () => validateCurve('$.runs[2].curve', c);
    };
    expect(bad((c) => ((c.loss as unknown[])[3] = 'x'))).toThrow(/\$\.runs\[2\]\.curve\.loss\[3\]: expected a finite number or null/);
    expect(bad((c) => (c.gradNorm as unknown[]).pop())).toThrow(/\$\.runs\[2\]\.curve\.gradNorm: 39 entries, expected 40/);
    expect(bad((c) => ((c.step as number[])[5] = 3))).toThrow(/\$\.runs\[2\]\.curve\.step\[5\]: steps must increase/);
    expect(bad((c) => (c.extra = 1))).toThrow(/\$\.runs\[2\]\.curve\.extra: unknown field/);
    expect(bad((c) => ((c.terms as Record<string, unknown>)['bad name'] = []))).toThrow(/\$\.runs\[2\]\.curve\.terms\.bad name/);
    expect(bad((c) => (c.termGradNorms = JSON.parse('{"__proto__": []}')))).toThrow(/forbidden key/);
    expect(bad((c) => (c.terms = Object.fromEntries(Array.from({ length: CURVE_LIMITS.terms + 1 }, (_, i) => [`t${i}`, []]))))).toThrow(/terms: 33 terms, at most 32/);
    // A sparse array of huge length: refused by its length, nothing is allocated per entry.
    expect(bad((c) => (c.step = new Array(10_000_000)))).toThrow(/\$\.runs\[2\]\.curve\.step: 10000000 entries, at most 4096/);
    expect(bad((c) => (c.step = []))).toThrow(/no steps/);
  });
});
