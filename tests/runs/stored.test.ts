/**
 * Records read back from storage pass the same field checks as an imported run file (src/storage/runImport.ts
 * `readStoredRun`): records written by older versions or damaged ones are listed apart (`damaged()`, with the field
 * that failed) and never reach the panels, can be deleted, and leave the good runs — including one whose loss
 * diverged to NaN/Infinity, and the newer per-step fields — as they were.
 */
import { describe, expect, it } from 'vitest';
import { MemoryRunStorage, recoverInterrupted } from '../../src/storage/runs';
import { readStoredRun } from '../../src/storage/runImport';
import type { RunRecord } from '../../src/storage/runRecord';
import { finishedRecord, metric } from './fixtures';

const asStored = (o: unknown) => o as RunRecord;

describe('stored run records are checked on the way out', () => {
  it('old-version and damaged records are listed apart with the failing field; good ones load unchanged', async () => {
    const s = new MemoryRunStorage();
    const good = finishedRecord('good1', {
      metrics: [
        metric(1, { termGradNorms: { ce: 2.3, advClean: 0.01 }, ridge: 0.024 }),
        metric(2, { loss: NaN, gradNorm: Infinity, nonFinite: true, terms: { ce: NaN } }),
      ],
    });
    await s.put(good);
    await s.put(asStored({ ...finishedRecord('old1'), fineTune: { batchSize: 8 } })); // an older version's record
    await s.put(asStored({ ...finishedRecord('spectra1'), metrics: [metric(1, { probeSpectra: { advClean: 'xyz' } as never })] }));
    await s.put(asStored({ ...finishedRecord('proto1'), metrics: [{ ...metric(1), lr: 'fast' }] }));
    await s.put(asStored({ ...finishedRecord('geom1'), metrics: [metric(1, { geometry: { step: 4 } as never })] }));
    await s.put(asStored({ ...finishedRecord('geom2'), metrics: [metric(1, { geometry: { step: 4, images: 1e12, views: 1, perClass: 1, dim: 4, labels: [], textClasses: [], classNames: [], spectra: {}, points: { x: [] } } as never })] }));
    const runs = await s.list();
    expect(runs.map((r) => r.id)).toEqual(['good1']);
    expect(runs[0].metrics[0].termGradNorms).toEqual({ ce: 2.3, advClean: 0.01 });
    expect(runs[0].metrics[0].ridge).toBe(0.024);
    expect(runs[0].metrics[1].nonFinite).toBe(true);
    expect(Number.isNaN(runs[0].metrics[1].loss)).toBe(true);
    expect(runs[0].metrics[1].gradNorm).toBe(Infinity);
    const damaged = await s.damaged();
    expect(damaged.map((d) => d.id).sort()).toEqual(['geom1', 'geom2', 'old1', 'proto1', 'spectra1']);
    const why = Object.fromEntries(damaged.map((d) => [d.id, d.reason]));
    expect(why.old1).toMatch(/^fineTune\.method: /);
    expect(why.spectra1).toMatch(/^metrics\[0\]\.probeSpectra\.advClean: /);
    expect(why.proto1).toMatch(/^metrics\[0\]\.lr: expected an object/);
    expect(why.geom1).toMatch(/^metrics\[0\]\.geometry\.images: expected a number/);
    expect(why.geom2).toMatch(/^metrics\[0\]\.geometry\.images: 1000000000000 is above 4096/);
    // The raw record is kept for its export; deleting removes it.
    expect((damaged.find((d) => d.id === 'old1')!.raw as { fineTune: unknown }).fineTune).toEqual({ batchSize: 8 });
    await s.delete('old1');
    expect((await s.damaged()).map((d) => d.id).sort()).toEqual(['geom1', 'geom2', 'proto1', 'spectra1']);
    // get() of a damaged record answers null, never a half-checked object; start-up recovery skips it.
    expect(await s.get('proto1')).toBeNull();
    expect((await recoverInterrupted(s)).map((r) => r.id)).toEqual(['good1']);
  });

  it('readStoredRun never throws, whatever it is given', () => {
    for (const v of [null, 42, 'run', [], { id: 'x' }, { __proto__: { polluted: true } }, Object.create(null)]) {
      const r = readStoredRun(v);
      expect(r.ok).toBe(false);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('a checkpoint and the record naming it are written together', async () => {
    const s = new MemoryRunStorage();
    const r = finishedRecord('ck1', { checkpointStep: null, checkpointBytes: 0 });
    await s.put(r);
    const stored = await s.putCheckpointAndRecord({ id: 'ck1', step: 7, bytes: Uint8Array.of(1, 2, 3) }, { ...r, checkpointStep: 7, checkpointBytes: 3 });
    expect(stored.checkpointStep).toBe(7);
    expect((await s.get('ck1'))!.checkpointStep).toBe(7);
    expect((await s.getCheckpoint('ck1'))!.step).toBe(7);
    await expect(s.putCheckpointAndRecord({ id: 'other', step: 1, bytes: new Uint8Array(1) }, r)).rejects.toThrow(/checkpoint of other with the record of ck1/);
  });
});

describe('records stored before the one-vocabulary config (format 1)', () => {
  it('load with today\'s names: the experiment config upgraded as a version-1 link, the loop config\'s prompt set and ridge', () => {
    const v1Experiment = {
      name: 'old', seed: 3, model: { source: 'bundled', url: '', maxMB: 256 }, data: { dataset: 'fashion-mnist', evalSplit: 'val', trainLimit: 64 },
      method: { kind: 'tecoa', aos: { lambda1: 1, lambda2: 1, lambda3: 1, augmentations: 4, synonyms: 3, templates: 8, distance: 'residual', ridgeFromSpectrum: true, ridge: 0.025, rank1Ablation: false }, tecoa: { promptEnsemble: false }, pmgAft: { alpha: 1, beta: 1 }, fare: { loss: 'l2-squared' } },
      train: { towers: 'both', optimizer: 'adamw', lr: 1e-4, textLrMultiplier: 0.1, weightDecay: 1e-4, batchSize: 2, advEpsilon: 4 / 255, advSteps: 1 },
      attack: { type: 'pgd-linf', epsilon: 1 / 255, steps: 10, alpha: 0.25 / 255, restarts: 1, targetClass: null, cwConfidence: 0 },
      budget: { steps: 400, evalEvery: 2, maxMinutes: 0 },
    };
    const base = finishedRecord('v1run');
    const oldFineTune: Record<string, unknown> = { ...base.fineTune, method: 'tecoa', tecoa: { promptEnsemble: false }, aos: { ...base.fineTune.aos, templates: 8, synonyms: 3, ridge: 'auto' } };
    delete oldFineTune.prompts;
    delete (oldFineTune.aos as Record<string, unknown>).ridgeFromSpectrum;
    const r = readStoredRun({ ...base, method: 'tecoa', config: v1Experiment, fineTune: oldFineTune });
    expect(r.ok, r.ok ? '' : r.reason).toBe(true);
    if (!r.ok) return;
    expect(r.run.config.fineTune).toMatchObject({ method: 'tecoa', towers: 'vision', steps: 400, evalEvery: 2, batchSize: 2, prompts: { templates: 1, synonyms: 1 }, attack: { eps: 4 / 255, steps: 1 } });
    expect(r.run.fineTune.prompts).toEqual({ templates: 1, synonyms: 1 });
    expect(r.run.fineTune.aos).toMatchObject({ ridgeFromSpectrum: true, ridge: 0.025 });
    expect(r.run.fineTune.aos).not.toHaveProperty('templates');
    expect(r.run.fineTune).not.toHaveProperty('tecoa');
  });
});
