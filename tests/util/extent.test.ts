import { describe, expect, it } from 'vitest';
import { extent } from '../../src/util/extent';

describe('extent: the smallest and largest of many numbers', () => {
  it('min and max, from a start value, and of nothing', () => {
    expect(extent([3, -1, 2])).toEqual({ lo: -1, hi: 3 });
    expect(extent([3, 2], { lo: 0, hi: -Infinity })).toEqual({ lo: 0, hi: 3 });
    expect(extent([])).toEqual({ lo: Infinity, hi: -Infinity });
  });

  it('a million values (a spread into Math.min overflows the stack here)', () => {
    const v = Array.from({ length: 1_000_000 }, (_, i) => Math.sin(i));
    expect(() => Math.min(...v)).toThrow(RangeError);
    const r = extent(v);
    expect(r.lo).toBeCloseTo(-1, 6);
    expect(r.hi).toBeCloseTo(1, 6);
  });
});
