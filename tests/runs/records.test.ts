/**
 * Run records without a GPU: the run state machine, storage round trips (the in-memory storage the Node side
 * uses; IndexedDB is exercised by e2e/finetune.spec.ts), recovery of runs left 'running' as 'interrupted', the
 * bound on stored metrics, progress / ETA, and the CSV and JSON exports.
 */
import { describe, expect, it } from 'vitest';
import type { StepMetrics } from '../../src/methods/loop';
import {
  boundMetrics, canApply, lastVal, metricsToCsv, metricsUpTo, nextStatus, RUN_STATUSES, runProgress, runToJson,
  RunTransitionError, type RunEvent,
} from '../../src/storage/runRecord';
import { MemoryRunStorage, recoverInterrupted } from '../../src/storage/runs';
import { metric, record } from './fixtures';

describe('run state machine', () => {
  it('allows exactly the documented transitions', () => {
    const allowed: Record<string, string> = {
      'running:pause': 'paused', 'running:stop': 'stopped', 'running:finish': 'done', 'running:fail': 'error', 'running:interrupt': 'interrupted', 'running:reload': 'interrupted',
      'paused:resume': 'running', 'paused:stop': 'stopped', 'paused:reload': 'paused', 'paused:fail': 'error', 'paused:interrupt': 'interrupted',
      'interrupted:resume': 'running', 'interrupted:stop': 'stopped', 'interrupted:reload': 'interrupted',
      'error:resume': 'running', 'error:stop': 'stopped', 'error:reload': 'error', 'stopped:reload': 'stopped', 'done:reload': 'done',
    };
    const events: RunEvent[] = ['pause', 'resume', 'stop', 'finish', 'fail', 'interrupt', 'reload'];
    for (const s of RUN_STATUSES) {
      for (const e of events) {
        const want = allowed[`${s}:${e}`];
        if (want) expect(nextStatus(s, e), `${s} + ${e}`).toBe(want);
        else expect(() => nextStatus(s, e), `${s} + ${e}`).toThrow(RunTransitionError);
      }
    }
  });

  it('resume needs a checkpoint; finished runs cannot be resumed or paused', () => {
    expect(canApply({ status: 'paused', checkpointStep: null }, 'resume')).toBe(false);
    expect(canApply({ status: 'paused', checkpointStep: 3 }, 'resume')).toBe(true);
    expect(canApply({ status: 'interrupted', checkpointStep: 0 }, 'resume')).toBe(true);
    expect(canApply({ status: 'done', checkpointStep: 10 }, 'resume')).toBe(false);
    expect(canApply({ status: 'stopped', checkpointStep: 10 }, 'resume')).toBe(false);
    expect(canApply({ status: 'running', checkpointStep: 2 }, 'resume')).toBe(false);
    expect(canApply({ status: 'done', checkpointStep: 10 }, 'pause')).toBe(false);
  });
});

describe('run storage (in memory)', () => {
  it('round-trips records and checkpoints, lists newest first, deletes both', async () => {
    const st = new MemoryRunStorage();
    const a = record('a', { createdAt: 1, metrics: [metric(1), metric(2, { val: { clean: 0.5, robust: 0.25, attack: 'PGD-2', warnings: [] } })], step: 2 });
    const b = record('b', { createdAt: 2, status: 'paused' });
    await st.put(a);
    await st.put(b);
    expect((await st.list()).map((r) => r.id)).toEqual(['b', 'a']);
    expect(await st.get('a')).toEqual(a);
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => i % 251);
    await st.putCheckpoint({ id: 'a', step: 2, bytes });
    bytes[0] = 99; // the stored copy is not the caller's array
    const ck = await st.getCheckpoint('a');
    expect(ck?.step).toBe(2);
    expect(ck?.bytes[0]).toBe(0);
    expect(ck?.bytes.length).toBe(1000);
    // A new checkpoint replaces the old one (one per run).
    await st.putCheckpoint({ id: 'a', step: 5, bytes: new Uint8Array(10) });
    expect((await st.getCheckpoint('a'))?.step).toBe(5);
    await expect(st.putCheckpoint({ id: 'nope', step: 1, bytes: new Uint8Array(1) })).rejects.toThrow(/no run/);
    await st.delete('a');
    expect(await st.get('a')).toBeNull();
    expect(await st.getCheckpoint('a')).toBeNull();
    expect((await st.list()).map((r) => r.id)).toEqual(['b']);
  });

  it('marks runs left running as interrupted (resumable only with a checkpoint); other tabs\' runs and other statuses stay', async () => {
    const st = new MemoryRunStorage();
    await st.put(record('with', { step: 7, checkpointStep: 5 }));
    await st.put(record('without', { step: 1 }));
    await st.put(record('elsewhere'));
    await st.put(record('paused', { status: 'paused', checkpointStep: 3 }));
    await st.put(record('done', { status: 'done', checkpointStep: 10 }));
    const out = await recoverInterrupted(st, 5000, (id) => id === 'elsewhere');
    const by = new Map(out.map((r) => [r.id, r]));
    expect(by.get('with')!.status).toBe('interrupted');
    expect(by.get('with')!.message).toMatch(/checkpoint of step 5/);
    expect(by.get('with')!.updatedAt).toBe(5000);
    expect(canApply(by.get('with')!, 'resume')).toBe(true);
    expect(by.get('without')!.status).toBe('interrupted');
    expect(canApply(by.get('without')!, 'resume')).toBe(false);
    expect(by.get('elsewhere')!.status).toBe('running');
    expect(by.get('paused')!.status).toBe('paused');
    expect(by.get('done')!.status).toBe('done');
    expect((await st.get('with'))!.status).toBe('interrupted');
  });

  it('bounds stored metrics: thinned past the cap keeping the first, the newest cap/2 and validated steps; heavy fields only on the newest', async () => {
    const val = { clean: 0.5, robust: 0.2, attack: 'PGD', warnings: [] };
    const metrics = Array.from({ length: 1000 }, (_, i) => ({ ...metric(i + 1, i % 50 === 0 ? { val } : {}), geometry: { points: [i] } }) as unknown as StepMetrics);
    const { metrics: kept, dropped } = boundMetrics(metrics, 600, 20);
    expect(kept.length).toBeLessThanOrEqual(600);
    expect(kept.length + dropped).toBe(1000);
    expect(kept[0].step).toBe(1);
    expect(kept.at(-1)!.step).toBe(1000);
    const steps = kept.map((m) => m.step);
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
    for (let s = 701; s <= 1000; s++) expect(steps).toContain(s); // the newest cap/2 steps are never thinned
    for (const m of metrics.filter((x) => x.val)) expect(steps).toContain(m.step);
    const withGeometry = kept.filter((m) => (m as unknown as { geometry?: unknown }).geometry !== undefined);
    expect(withGeometry.map((m) => m.step)).toEqual(Array.from({ length: 20 }, (_, i) => 981 + i));
    expect((metrics[0] as unknown as { geometry?: unknown }).geometry).toBeDefined(); // the input is not modified
    // All validated: still bounded.
    const allVal = Array.from({ length: 300 }, (_, i) => metric(i + 1, { val }));
    expect(boundMetrics(allVal, 100).metrics.length).toBeLessThanOrEqual(100);
    // The storage applies the bound and counts what went.
    const st = new MemoryRunStorage();
    const stored = await st.put(record('big', { metrics: Array.from({ length: 5000 }, (_, i) => metric(i + 1)) }));
    expect(stored.metrics.length).toBeLessThanOrEqual(4000);
    expect(stored.thinned).toBe(5000 - stored.metrics.length);
  });

  it('metrics of a resumed run stop at the checkpoint; last validation; progress and ETA', () => {
    const ms = [metric(1), metric(2, { val: { clean: 0.75, robust: 0.5, attack: '', warnings: [] } }), metric(3), metric(4)];
    expect(metricsUpTo(ms, 2).map((m) => m.step)).toEqual([1, 2]);
    expect(lastVal({ metrics: ms })).toEqual({ clean: 0.75, robust: 0.5, attack: '', warnings: [] });
    expect(lastVal({ metrics: [metric(1)] })).toBeNull();
    const r = record('p', { metrics: ms, step: 4, totalSteps: 10 });
    const p = runProgress(r);
    expect(p.fraction).toBeCloseTo(0.4);
    expect(p.imagesPerSecond).toBeCloseTo(8 / 2); // batch 8, 2 s per step
    expect(p.passesPerSecond).toBeCloseTo(4 / 2);
    expect(p.etaSeconds).toBeCloseTo(6 * 2);
    expect(runProgress(record('q')).etaSeconds).toBeNull();
  });
});

describe('exports', () => {
  it('CSV: one row per step, the union of terms, per-term gradient norms and angles as columns, empty cells where a step has no value', () => {
    const ms = [
      metric(1, { terms: { ce: 1.5, advClean: 0.25 }, angles: { advClean: 12.5 } }),
      metric(2, { terms: { ce: 1.25, imageText: 0.5 }, val: { clean: 0.75, robust: 0.5, attack: 'PGD-2', warnings: [] } }),
    ];
    const lines = metricsToCsv(ms).trimEnd().split('\n');
    const head = lines[0].split(',');
    expect(head).toEqual(['step', 'loss', 'term.ce', 'term.advClean', 'term.imageText', 'lr.vision', 'lr.text', 'gradNorm', 'clipFactor', 'distinctImages', 'trainRobustAccuracy',
      'val.clean', 'val.robust', 'angle.advClean', 'passes.vision', 'passes.text', 'seconds']);
    expect(lines).toHaveLength(3);
    const row = (i: number) => Object.fromEntries(lines[i].split(',').map((v, j) => [head[j], v]));
    expect(row(1)).toMatchObject({ step: '1', 'term.ce': '1.5', 'term.advClean': '0.25', 'term.imageText': '', 'val.clean': '', 'angle.advClean': '12.5', 'passes.vision': '4' });
    expect(row(2)).toMatchObject({ step: '2', 'term.advClean': '', 'term.imageText': '0.5', 'val.clean': '0.75', 'val.robust': '0.5', 'angle.advClean': '' });
    expect(metricsToCsv([metric(1, { loss: Number.NaN })]).split('\n')[1].split(',')[1]).toBe('');
  });

  it('JSON: the whole record with its format tag; typed arrays become plain arrays', () => {
    const r = record('j', { metrics: [{ ...metric(1), spectra: { advClean: Float32Array.of(1, 2) } } as unknown as StepMetrics] });
    const back = JSON.parse(runToJson(r));
    expect(back.format).toBe('aos-workbench-run-1');
    expect(back.id).toBe('j');
    expect(back.config).toEqual(r.config);
    expect(back.metrics[0].spectra.advClean).toEqual([1, 2]);
  });
});
