import { describe, expect, it } from 'vitest';
import { validate } from '../../src/util/validate';

describe('validate: |actual − ref| ≤ atol + rtol·|ref| per element', () => {
  it('a scalar atol: the first mismatches and the worst element are reported', () => {
    const ok = validate([1, 2.0000005], [1, 2], 1e-6, 0, 'x');
    expect(ok.ok).toBe(true);
    const bad = validate([1, 2.1, 3], [1, 2, 3.5], 1e-3, 0.01, 'x');
    expect(bad.ok).toBe(false);
    expect(bad.mismatches).toBe(2);
    expect(bad.worst).toEqual({ index: 2, actual: 3, ref: 3.5 });
    expect(bad.message).toMatch(/^x: 2\/3 mismatches .*\n {2}\[1\] got 2\.1, want 2/);
  });

  it('a per-element atol judges each element by its own bound', () => {
    const r = validate([0.5, 10.5], [0, 10], [1, 0.1], 0, 'y');
    expect(r.ok).toBe(false);
    expect(r.mismatches).toBe(1);
    expect(r.message).toMatch(/atol per element, up to 1\.00e\+0/);
    expect(r.message).toMatch(/\[1\] got 10\.5, want 10 \(\|diff\| 5\.00e-1, atol 1\.00e-1\)/);
    expect(validate([0.5, 10.05], [0, 10], [1, 0.1], 0).ok).toBe(true);
    // Long arrays (an optimiser's state): no spread of the atol array into Math.max (it overflowed Chromium's stack).
    const n = 2_000_000;
    const big = validate(new Float32Array(n), new Float32Array(n), new Float32Array(n).fill(1e-6), 0, 'long');
    expect(big.message).toBe('long: ok (max |diff| 0.00e+0, atol per element, up to 1.00e-6, rtol 0)');
  });

  it('lengths that differ (of actual, ref or atol) are one clear failure', () => {
    expect(validate([1], [1, 2], 0, 0, 'z').message).toBe('z: length 1 != reference length 2');
    expect(validate([1, 2], [1, 2], [0], 0, 'z').message).toBe('z: length 2 != reference length 2 (atol: 1)');
  });

  it('NaN matches only NaN', () => {
    expect(validate([NaN], [NaN], 0, 0).ok).toBe(true);
    expect(validate([0], [NaN], 1, 0).ok).toBe(false);
    expect(validate([NaN], [0], 1, 0).ok).toBe(false);
  });
});
