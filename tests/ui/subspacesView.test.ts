/**
 * What the Subspaces panel draws (src/ui/subspaces/data.ts): heat-map colours that show change (the difference from
 * the first measured step, symmetric about 0; or the map's own range), with a legend naming the scale; and which
 * source the panel shows when the user has not chosen (the live run).
 */
import { describe, expect, it } from 'vitest';
import { heatScaled, shownSource, type HeatData } from '../../src/ui/subspaces/data';
import { definedCount } from '../../src/ui/finetune/UPlotChart';

const data: HeatData = { steps: [0, 5, 10], rows: [[40, 60], [38.5, 61], [37, 62.2]] };

describe('heat-map scales', () => {
  it('change: each angle minus the same angle at the first step, range symmetric about 0', () => {
    const s = heatScaled(data, 'change');
    expect(s.diverging).toBe(true);
    expect(s.rows[0]).toEqual([0, 0]);
    expect(s.rows[2][0]).toBeCloseTo(-3, 12);
    expect(s.rows[2][1]).toBeCloseTo(2.2, 12);
    expect(s.lo).toBeCloseTo(-3, 12);
    expect(s.hi).toBeCloseTo(3, 12);
    expect(s.legend).toBe('change from step 0 (°)');
  });

  it('change of a single column is 0 on a ±0.5° scale (never a zero-width range)', () => {
    const s = heatScaled({ steps: [4], rows: [[10, 20]] }, 'change');
    expect(s.rows).toEqual([[0, 0]]);
    expect([s.lo, s.hi]).toEqual([-0.5, 0.5]);
    expect(s.legend).toContain('step 4');
  });

  it('fit: the map’s own range; angle: 0–90°; both say so in the legend', () => {
    const fit = heatScaled(data, 'fit');
    expect([fit.lo, fit.hi]).toEqual([37, 62.2]);
    expect(fit.legend).toContain('range');
    const flat = heatScaled({ steps: [1], rows: [[12, 12]] }, 'fit');
    expect([flat.lo, flat.hi]).toEqual([11.5, 12.5]);
    const abs = heatScaled(data, 'angle');
    expect([abs.lo, abs.hi]).toEqual([0, 90]);
    expect(abs.legend).toContain('0–90°');
  });

  it('a step whose spectrum is longer than the first one has no change value (NaN), and does not widen the range', () => {
    const s = heatScaled({ steps: [0, 1], rows: [[10], [9, 50]] }, 'change');
    expect(s.rows[1][0]).toBeCloseTo(-1, 12);
    expect(Number.isNaN(s.rows[1][1])).toBe(true);
    expect(s.hi).toBeCloseTo(1, 12);
  });
});

describe('what the Subspaces panel shows', () => {
  const base = { chosen: null, hasRun: true, runLive: false, runSnapshots: 0, measured: false } as const;
  it('follows a live run by default, even after the current model was measured', () => {
    expect(shownSource({ ...base, runLive: true, measured: true })).toBe('run');
  });
  it('a choice stands; a run choice without a run falls back to the model', () => {
    expect(shownSource({ ...base, chosen: 'model', runLive: true })).toBe('model');
    expect(shownSource({ ...base, chosen: 'run', hasRun: false })).toBe('model');
  });
  it('a run restored after a reload (not live) is shown when it has snapshots and nothing was measured', () => {
    expect(shownSource({ ...base, runSnapshots: 3 })).toBe('run');
    expect(shownSource({ ...base, runSnapshots: 3, measured: true })).toBe('model');
    expect(shownSource({ ...base })).toBe('model');
  });
});

describe('charts', () => {
  it('counts the set values of a series (one value: drawn as a point)', () => {
    expect(definedCount([null, 2, undefined as unknown as null])).toBe(1);
    expect(definedCount(undefined)).toBe(0);
  });
});
