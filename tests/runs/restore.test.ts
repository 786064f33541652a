/**
 * Which stored run a reloaded page shows (src/storage/runRestore.ts), from records read back through the storage's
 * checks: the latest own run, imported ones only when nothing else, and a plain note when records are damaged or
 * written by an older version (they never become the active run).
 */
import { describe, expect, it } from 'vitest';
import { runToRestore } from '../../src/storage/runRestore';
import { MemoryRunStorage, recoverInterrupted } from '../../src/storage/runs';
import type { RunRecord } from '../../src/storage/runRecord';
import { finishedRecord, metric, record } from './fixtures';

describe('restoring the run a reloaded page shows', () => {
  it('picks the most recently updated own run, and says what it restored', () => {
    const older = finishedRecord('a', { updatedAt: 5000, createdAt: 100 });
    const newer = record('b', { status: 'interrupted', step: 3, updatedAt: 9000, createdAt: 50 });
    const r = runToRestore([older, newer], []);
    expect(r.id).toBe('b');
    expect(r.note).toContain('run b (interrupted, step 3 of 10)');
  });

  it('prefers the runs trained here over imported ones, but shows an imported one when it is all there is', () => {
    const imported = finishedRecord('imp', { updatedAt: 99_999, imported: { at: 1, file: 'x.json' } });
    const own = finishedRecord('own', { updatedAt: 10 });
    expect(runToRestore([imported, own], []).id).toBe('own');
    const only = runToRestore([imported], []);
    expect(only.id).toBe('imp');
    expect(only.note).toContain('imported');
  });

  it('nothing stored: no run, no note', () => {
    expect(runToRestore([], [])).toEqual({ id: null, note: null });
  });

  it('damaged and old-version records are named in the note and never chosen', async () => {
    const s = new MemoryRunStorage();
    await s.put(finishedRecord('good', { updatedAt: 10 }));
    // Newer than the good one, but from an older version: it must not become the active run.
    await s.put({ ...finishedRecord('old', { updatedAt: 10_000 }), fineTune: { batchSize: 8 } } as unknown as RunRecord);
    const runs = await recoverInterrupted(s, 20_000);
    const r = runToRestore(runs, await s.damaged());
    expect(r.id).toBe('good');
    expect(r.note).toMatch(/1 stored record could not be read \(written by an older version or damaged: old, fineTune\.method: /);
    expect(r.note).toContain('Runs panel');
  });

  it('only damaged records: no run, and the note says why', () => {
    const r = runToRestore([], [{ id: 'x', reason: 'metrics[0].lr: expected an object' }, { id: 'y', reason: 'status: unknown' }]);
    expect(r.id).toBeNull();
    expect(r.note).toContain('2 stored records could not be read');
    expect(r.note).toContain('x, metrics[0].lr');
  });

  it('a run left running by a closed page comes back interrupted, with its metrics, as the active run', async () => {
    const s = new MemoryRunStorage();
    await s.put(record('live', { status: 'running', step: 2, metrics: [metric(1), metric(2)], checkpointStep: 2, updatedAt: 3000 }));
    const runs = await recoverInterrupted(s, 4000);
    const r = runToRestore(runs, await s.damaged());
    expect(r.id).toBe('live');
    const restored = runs.find((x) => x.id === r.id)!;
    expect(restored.status).toBe('interrupted');
    expect(restored.metrics.map((m) => m.step)).toEqual([1, 2]);
    expect(r.note).toContain('interrupted, step 2 of 10');
  });
});
