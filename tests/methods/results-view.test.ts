/** The Results panel's pure side (src/methods/resultsView.ts) on a synthetic v1 file and on hostile texts. */
import { describe, expect, it } from 'vitest';
import { decodeBits, encodeBits, validateResults } from '../../src/methods/results';
import {
  accuracyCurves, cellKey, cellStat, cellTests, defaultReference, drillDown, formatEps, looksLikeResults, MAX_RESULTS_DEPTH,
  MAX_RESULTS_FILE_BYTES, readResultsText, resultsTable, runsWithCell, tradeoffPoints,
} from '../../src/methods/resultsView';
import { SYNTHETIC_IMAGES, SYNTHETIC_SETS, syntheticResults } from '../helpers/syntheticResults';

const file = syntheticResults();
const text = JSON.stringify(file);

describe('results view', () => {
  it('the synthetic fixture is a valid v1 file and reads back unchanged', () => {
    expect(validateResults(JSON.parse(text))).toEqual(file);
    const r = readResultsText(text);
    expect(r.ok && r.file).toEqual(file);
    expect(looksLikeResults(JSON.stringify(file, null, 2))).toBe(true);
    expect(looksLikeResults('{"argv": [], "rows": []}')).toBe(false);
  });

  it('refuses hostile text with a reason naming what is wrong, never throwing', () => {
    const bad = (t: string) => { const r = readResultsText(t); expect(r.ok).toBe(false); return r.ok ? '' : r.reason; };
    expect(bad('{"schema": ')).toMatch(/not JSON/);
    expect(bad('['.repeat(MAX_RESULTS_DEPTH + 1) + ']'.repeat(MAX_RESULTS_DEPTH + 1))).toMatch(/nests 41 levels/);
    expect(bad(' '.repeat(MAX_RESULTS_FILE_BYTES + 1))).toMatch(/read up to/);
    const wrongVersion = JSON.parse(text); wrongVersion.version = 3;
    expect(bad(JSON.stringify(wrongVersion))).toMatch(/\$\.version: unsupported version 3/);
    const badBits = JSON.parse(text); badBits.runs[3].cells[2].correct = 'A'.repeat(8);
    expect(bad(JSON.stringify(badBits))).toMatch(/\$\.runs\[3\]\.cells\[2\]\.correct/);
    const proto = text.replace('"notes":', '"__proto__": {"polluted": 1}, "notes":');
    expect(bad(proto)).toMatch(/\$\.__proto__: unknown field/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('table: every method × set × column, mean over seeds with a t-interval; one run: Wilson over the images', () => {
    const t = resultsTable(file);
    expect(t.methods).toEqual(['none', 'tecoa', 'fare', 'aos']);
    expect(t.sets).toEqual(SYNTHETIC_SETS);
    expect(t.eps.map(formatEps)).toEqual(['clean', '4/255', '8/255', '16/255']);
    expect(t.cells.size).toBe(4 * 2 * 4);
    const aos = cellStat(file, 'aos', 'mnist/test', 8 / 255)!;
    const byHand = file.runs.filter((r) => r.method === 'aos').map((r) => {
      const c = r.cells.find((x) => x.set === 'mnist/test' && x.eps === 8 / 255)!;
      return decodeBits(c.correct, c.n).reduce((a, b) => a + b, 0) / c.n;
    });
    expect(aos.perRun).toEqual(byHand);
    expect(aos.mean).toBeCloseTo(byHand.reduce((a, b) => a + b) / 3, 12);
    expect(aos.interval).toBe('seeds');
    expect(aos.lo).toBeLessThanOrEqual(aos.mean);
    expect(aos.hi).toBeGreaterThanOrEqual(aos.mean);
    const none = cellStat(file, 'none', 'mnist/test', 0)!;
    expect(none.interval).toBe('images');
    expect(none.hi - none.lo).toBeGreaterThan(0.05); // 120 images: a wide interval
    expect(cellStat(file, 'aos', 'digits/test', 0)).toBeNull();
  });

  it('curves: accuracy falls with ε for every method', () => {
    const curves = accuracyCurves(resultsTable(file), 'fashion-mnist/test');
    expect(curves.map((c) => c.method)).toEqual(['none', 'tecoa', 'fare', 'aos']);
    for (const c of curves) {
      expect(c.points.map((p) => p.eps)).toEqual([0, 4 / 255, 8 / 255, 16 / 255]);
      expect(c.points[3].mean).toBeLessThan(c.points[0].mean);
    }
  });

  it('trade-off: a point per run with both cells, equal to the table\'s per-run accuracies; none at ε = 0 or for a missing set', () => {
    const pts = tradeoffPoints(file, 'mnist/test', 8 / 255);
    const withBoth = file.runs.filter((r) => r.cells.some((c) => c.set === 'mnist/test' && c.eps === 0) && r.cells.some((c) => c.set === 'mnist/test' && c.eps === 8 / 255));
    expect(pts.map((p) => p.runId)).toEqual(withBoth.map((r) => r.id));
    for (const m of ['tecoa', 'fare', 'aos']) {
      const own = pts.filter((p) => p.method === m);
      expect(own.map((p) => p.clean)).toEqual(cellStat(file, m, 'mnist/test', 0)!.perRun);
      expect(own.map((p) => p.robust)).toEqual(cellStat(file, m, 'mnist/test', 8 / 255)!.perRun);
    }
    expect(tradeoffPoints(file, 'mnist/test', 0)).toEqual([]);
    expect(tradeoffPoints(file, 'no-such/set', 8 / 255)).toEqual([]);
  });

  it('paired tests: AoS against each other method, Holm-adjusted, reproducible; a mismatched method is skipped with why', () => {
    expect(defaultReference(file)).toBe('aos');
    const t = cellTests(file, 'aos', 'fashion-mnist/test', 8 / 255, 500);
    expect(t.rows.map((r) => r.baseline)).toEqual(['none', 'tecoa', 'fare']);
    for (const r of t.rows) {
      expect(r.pHolm).toBeGreaterThanOrEqual(r.p);
      expect(r.ci95[0]).toBeLessThanOrEqual(r.ci95[1]);
      expect(r.mdd80).toBeGreaterThan(0);
    }
    // AoS vs no defence at 8/255: 58 % against 38 % by construction, a clear difference.
    expect(t.rows[0].difference).toBeGreaterThan(0.1);
    expect(t.rows[0].pHolm).toBeLessThan(0.05);
    expect(cellTests(file, 'aos', 'fashion-mnist/test', 8 / 255, 500)).toEqual(t);
    const short = structuredClone(file);
    const c = short.runs.find((r) => r.method === 'fare')!.cells.find((x) => x.set === 'fashion-mnist/test' && x.eps === 8 / 255)!;
    c.n = 100; c.correct = encodeBits(new Array(100).fill(1));
    for (const r of short.runs.filter((x) => x.method === 'fare')) r.cells = r.cells.map((x) => (x.set === c.set && x.eps === c.eps ? c : x));
    const s = cellTests(short, 'aos', 'fashion-mnist/test', 8 / 255, 200);
    expect(s.rows.map((r) => r.baseline)).toEqual(['none', 'tecoa']);
    expect(s.skipped).toEqual([{ method: 'fare', why: '100 images, the reference 120: not the same images' }]);
  });

  it('drill-down: two runs image by image; categories add up; a run without the cell is named', () => {
    const d = drillDown(file, 'aos-seed0', 'tecoa-seed0', 'mnist/test', 16 / 255);
    expect(d.n).toBe(SYNTHETIC_IMAGES);
    expect(d.both + d.neither + d.onlyA.length + d.onlyB.length).toBe(SYNTHETIC_IMAGES);
    for (const side of [d.a, d.b]) expect(side.robust + side.broken + side.wrong).toBe(SYNTHETIC_IMAGES);
    expect(d.a.robust).toBe(d.both + d.onlyA.length);
    for (const i of d.onlyA) expect([d.a.outcomes[i], d.b.outcomes[i]]).toEqual(['robust', d.b.outcomes[i] === 'wrong' ? 'wrong' : 'broken']);
    // Clean column: nothing is 'broken'.
    const clean = drillDown(file, 'none', 'fare-seed1', 'fashion-mnist/test', 0);
    expect(clean.a.broken).toBe(0);
    expect(runsWithCell(file, 'mnist/test', 0).length).toBe(10);
    expect(() => drillDown(file, 'aos-seed0', 'nope', 'mnist/test', 0)).toThrow(/no run 'nope'/);
    expect(() => drillDown(file, 'aos-seed0', 'none', 'digits/test', 0)).toThrow(/has no cell digits\/test/);
    expect(resultsTable(file).cells.get(cellKey('aos', 'mnist/test', 16 / 255))!.perRun[0]).toBeCloseTo(d.a.robust / SYNTHETIC_IMAGES, 12);
  });
});
