/**
 * Import of a run's JSON export (src/storage/runImport.ts), as untrusted input: export → import → export gives the
 * same text; malformed, hostile and oversized files are refused with a message naming the problem; unknown and
 * prototype-altering keys are dropped; an imported run cannot be resumed and is not marked interrupted at start-up.
 */
import { describe, expect, it } from 'vitest';
import type { StepMetrics } from '../../src/methods/loop';
import { canApply, MAX_METRICS, runToJson, type RunRecord } from '../../src/storage/runRecord';
import { MAX_ARRAY, MAX_RUN_FILE_CHARS, parseRunFile, RUN_FILE_FORMAT } from '../../src/storage/runImport';
import { MemoryRunStorage, recoverInterrupted } from '../../src/storage/runs';
import { finishedRecord as record, metric } from './fixtures';

/** A run with every kind of metric field: validation, angles, spectra, a geometry snapshot, a diverged (NaN) loss. */
function fullRun(id = 'run-abc-123456'): RunRecord {
  const metrics: StepMetrics[] = [];
  for (let s = 1; s <= 10; s++) {
    metrics.push(metric(s, {
      trainRobustAccuracy: s / 20,
      angles: { advClean: 10 + s, imageText: 60 - s },
      spectra: { advClean: [1, 2, 3], imageText: [40, 50] },
      ...(s % 5 === 0 ? { val: { clean: 0.5 + s / 100, robust: 0.1 + s / 100, attack: 'PGD-10 L∞', warnings: [] } } : {}),
      ...(s === 10 ? { geometry: { step: 10, images: 2, views: 1, perClass: 1, dim: 4, classNames: ['a', 'b'], labels: [0, 1], textClasses: [0, 1], spectra: { advClean: [1.5] }, groups: { advClean: [[1, 2], [3, 4]] }, points: { x: [0.1, 0.2], y: [0.3, 0.4], kind: ['clean', 'text'], cls: [0, 1], group: [0, 0], member: [0, 0] } } as never } : {}),
      ...(s === 7 ? { loss: NaN, gradNorm: Infinity } : {}),
    }));
  }
  return record(id, { metrics });
}

/** The exported object, for editing into hostile variants. */
const exported = (r: RunRecord = fullRun()) => JSON.parse(runToJson(r)) as Record<string, unknown> & { metrics: Array<Record<string, unknown>> };
const refusal = (o: unknown) => {
  const r = parseRunFile(typeof o === 'string' ? o : JSON.stringify(o), 'x.json', 5);
  expect(r.ok).toBe(false);
  return r.ok ? '' : r.reason;
};

describe('run import: round trip', () => {
  it('export → import → export gives the same text, with an imported mark that is never exported', () => {
    const text = runToJson(fullRun());
    const r = parseRunFile(text, 'mine.json', 1234);
    if (!r.ok) throw new Error(r.reason);
    expect(r.warnings).toEqual([]);
    expect(r.run.imported).toEqual({ at: 1234, file: 'mine.json' });
    expect(runToJson(r.run)).toBe(text);
    expect(Number.isNaN(r.run.metrics[6].loss)).toBe(true);
    expect(r.run.metrics[9].val?.robust).toBeCloseTo(0.2);
  });

  it('through the run storage too, and twice', async () => {
    const text = runToJson(fullRun());
    const st = new MemoryRunStorage();
    const r = parseRunFile(text, 'mine.json');
    if (!r.ok) throw new Error(r.reason);
    const stored = await st.put(r.run);
    expect(runToJson((await st.get(stored.id))!)).toBe(text);
    const again = parseRunFile(runToJson(stored));
    expect(again.ok && runToJson(again.run)).toBe(text);
  });

  it('an imported run cannot be resumed, stopped or paused, and is left alone at start-up even if it was running', async () => {
    const r = parseRunFile(runToJson(record('run-x', { status: 'running', checkpointStep: 3 })));
    if (!r.ok) throw new Error(r.reason);
    expect(canApply(r.run, 'resume')).toBe(false);
    expect(canApply(r.run, 'stop')).toBe(false);
    expect(canApply(r.run, 'pause')).toBe(false);
    expect(canApply({ ...r.run, imported: undefined }, 'pause')).toBe(true);
    const st = new MemoryRunStorage();
    await st.put(r.run);
    const [after] = await recoverInterrupted(st, 99);
    expect(after.status).toBe('running');
    expect(runToJson(after)).toBe(runToJson(r.run));
  });
});

describe('run import: untrusted files', () => {
  it('ignores unknown keys (with a warning) and never copies prototype-altering keys', () => {
    const base = runToJson(fullRun());
    const hostile = base
      .replace('{\n "format"', '{\n "__proto__": { "polluted": 1 },\n "constructor": { "prototype": { "polluted": 2 } },\n "extra": [1, 2],\n "format"')
      .replace('"step": 1,', '"step": 1,\n  "__proto__": { "polluted": 3 }, "surprise": "x",');
    const r = parseRunFile(hostile);
    if (!r.ok) throw new Error(r.reason);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(r.run)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(r.run.metrics[0])).toBe(Object.prototype);
    expect(Object.prototype.hasOwnProperty.call(r.run, '__proto__')).toBe(false);
    expect((r.run as unknown as Record<string, unknown>).extra).toBeUndefined();
    expect(r.warnings.join('\n')).toMatch(/"?__proto__"?: forbidden key/);
    expect(r.warnings.join('\n')).toMatch(/extra: unknown key; ignored/);
    expect(r.warnings.join('\n')).toMatch(/metrics\[0\]\.surprise: unknown key; ignored/);
    expect(runToJson(r.run)).toBe(base);
  });

  it('refuses what is not a run file', () => {
    expect(refusal('not json {')).toMatch(/not valid JSON/);
    expect(refusal('[1, 2]')).toMatch(/an array, not a run/);
    expect(refusal({ ...exported(), format: 'aos-workbench-experiment' })).toMatch(/"format" is "aos-workbench-experiment", not "aos-workbench-run-1"/);
    const { format: _f, ...noFormat } = exported();
    expect(refusal(noFormat)).toMatch(/"format" is missing/);
    expect(RUN_FILE_FORMAT).toBe('aos-workbench-run-1');
  });

  it('refuses wrong types, out-of-range values and missing fields, naming the field', () => {
    const e = () => exported();
    let o = e(); o.metrics[2].loss = 'low'; expect(refusal(o)).toMatch(/^metrics\[2\]\.loss: expected a number, found a string/);
    o = e(); (o.metrics[4].val as Record<string, unknown>).clean = 2; expect(refusal(o)).toMatch(/^metrics\[4\]\.val\.clean: 2 is above 1/);
    o = e(); o.metrics[0].step = -1; expect(refusal(o)).toMatch(/^metrics\[0\]\.step: -1 is below 0/);
    o = e(); o.metrics[0].step = 1.5; expect(refusal(o)).toMatch(/whole number/);
    o = e(); o.status = 'hacked'; expect(refusal(o)).toMatch(/^status: expected one of "running"/);
    o = e(); o.method = 'evil'; expect(refusal(o)).toMatch(/^method: expected one of/);
    o = e(); o.id = '../../etc'; expect(refusal(o)).toMatch(/^id: expected 1–64 letters/);
    o = e(); o.name = 'x'.repeat(201); expect(refusal(o)).toMatch(/^name: a string of 201 characters; at most 200/);
    o = e(); delete (o as Record<string, unknown>).metrics; expect(refusal(o)).toMatch(/^metrics: missing/);
    o = e(); o.createdAt = '2025'; expect(refusal(o)).toMatch(/^createdAt: expected a number/);
    o = e(); (o.fineTune as Record<string, unknown>).batchSize = 0; expect(refusal(o)).toMatch(/^fineTune\.batchSize: 0 is below 1/);
    o = e(); (o.fineTune as Record<string, unknown>).method = 'aos'; expect(refusal(o)).toMatch(/differs from fineTune\.method/);
    o = e(); o.config = 'x'; expect(refusal(o)).toMatch(/^config: expected an object/);
    o = e(); (o.dataset as Record<string, unknown>).classes = [1]; expect(refusal(o)).toMatch(/^dataset\.classes\[0\]: expected a string/);
  });

  it('refuses oversized files: too many metrics, huge arrays, too long, too deep', () => {
    const many = record('run-many', { metrics: Array.from({ length: MAX_METRICS + 1 }, (_, i) => metric(i)) });
    expect(refusal(runToJson(many))).toMatch(new RegExp(`^metrics: ${MAX_METRICS + 1} entries; a run keeps at most ${MAX_METRICS}`));
    const o = exported();
    o.metrics[9].geometry = { points: { x: new Array(MAX_ARRAY + 1).fill(0) } };
    expect(refusal(o)).toMatch(new RegExp(`^metrics\\[9\\]\\.geometry\\.points\\.x: an array of ${MAX_ARRAY + 1} entries`));
    expect(refusal(' '.repeat(MAX_RUN_FILE_CHARS + 1))).toMatch(/characters long; at most \d+ are read/);
    expect(refusal(`{"format":"aos-workbench-run-1","x":${'['.repeat(50)}${']'.repeat(50)}}`)).toMatch(/nests 51 levels deep; at most 10/);
    const wide = exported();
    wide.metrics[0].terms = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`t${i}`, 1]));
    expect(refusal(wide)).toMatch(/^metrics\[0\]\.terms: has 300 keys/);
  });
});
