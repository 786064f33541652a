/**
 * Per-term gradient norms, clip factor and distinct images in stored runs: an older record without them still
 * loads (and exports); a record with them round-trips through JSON and gets CSV columns.
 */
import { describe, expect, it } from 'vitest';
import { metricsToCsv, runToJson } from '../../src/storage/runRecord';
import { parseRunFile } from '../../src/storage/runImport';
import { gradNormColumns } from '../../src/ui/finetune/series';
import { finishedRecord, metric } from './fixtures';

describe('run records: gradient norms', () => {
  it('an older record without termGradNorms / clipFactor / distinctImages still loads, charts and exports', () => {
    const old = finishedRecord('run-old-000001', { metrics: [metric(1), metric(2)] });
    const json = JSON.parse(runToJson(old)) as { metrics: Array<Record<string, unknown>> };
    for (const m of json.metrics) expect(m.termGradNorms).toBeUndefined();
    const r = parseRunFile(JSON.stringify(json), 'old.json', 1);
    if (!r.ok) throw new Error(r.reason);
    expect(r.warnings).toEqual([]);
    expect(r.run.metrics).toHaveLength(2);
    const g = gradNormColumns(r.run.metrics);
    expect(g.keys).toEqual([]);
    expect(g.columns.at(-1)).toEqual([null, null]);
    const csv = metricsToCsv(r.run.metrics).split('\n');
    expect(csv[0]).toContain('clipFactor');
    expect(csv[1].split(',').length).toBe(csv[0].split(',').length);
  });

  it('a record with them round-trips and exports them as CSV columns', () => {
    const rec = finishedRecord('run-new-000002', {
      metrics: [metric(1, { termGradNorms: { ce: 0.5, klOriginal: 0.02 }, clipFactor: 0.8, distinctImages: 8 }), metric(2, { termGradNorms: { ce: 0.4, klOriginal: 0 }, clipFactor: 1, distinctImages: 16 })],
    });
    const text = runToJson(rec);
    const r = parseRunFile(text, 'new.json', 1);
    if (!r.ok) throw new Error(r.reason);
    expect(r.warnings).toEqual([]);
    expect(r.run.metrics[0].termGradNorms).toEqual({ ce: 0.5, klOriginal: 0.02 });
    expect(r.run.metrics[1].distinctImages).toBe(16);
    expect(runToJson(r.run)).toBe(text);
    const [head, row1] = metricsToCsv(r.run.metrics).split('\n');
    const cols = head.split(','), vals = row1.split(',');
    expect(vals[cols.indexOf('gradNorm.ce')]).toBe('0.5');
    expect(vals[cols.indexOf('gradNorm.klOriginal')]).toBe('0.02');
    expect(vals[cols.indexOf('clipFactor')]).toBe('0.8');
    expect(vals[cols.indexOf('distinctImages')]).toBe('8');
    // Log scale: a zero norm is no point.
    expect(gradNormColumns(r.run.metrics).columns[3]).toEqual([0.02, null]);
  });
});
