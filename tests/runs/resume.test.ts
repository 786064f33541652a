/**
 * A run interrupted after its last checkpoint resumes exactly: the record goes 'running' → 'interrupted' (page
 * gone), a fresh loop from the original weights + the stored checkpoint takes the same next step as the
 * uninterrupted run (loss, terms, passes, weights bit for bit), and the metrics kept are those up to the
 * checkpoint. The fine-tuned weights read from a checkpoint without a GPU equal the model's. Tiny random CLIP
 * from tests/methods/setup.ts, on Dawn.
 */
import { describe, expect, it } from 'vitest';
import { withGpu } from '../helpers/gpu';
import { defaultConfig } from '../../src/experiment';
import { checkpointWeights } from '../../src/storage/checkpointWeights';
import { canApply, DEFAULT_RUN_OPTIONS, metricsUpTo, nextStatus, type RunRecord } from '../../src/storage/runRecord';
import { MemoryRunStorage, recoverInterrupted } from '../../src/storage/runs';
import { freshSeed } from '../../src/util/random';
import { cfg, testConfig, testLoop } from '../methods/setup';

const seed = freshSeed();
console.log(`runs/resume seed ${seed} (AOS_SEED=${seed} replays)`);

const bits = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('resume after an interruption', () => {
  it('gives the same next step as the run that was not interrupted', async () => {
    await withGpu(async (ctx) => {
      const config = testConfig('tecoa', { seed, evalEvery: 2, steps: 8 });
      const st = new MemoryRunStorage();
      const a = await testLoop(ctx, config, { weightsSeed: seed });
      let r: RunRecord = {
        id: 'r1', name: 'resume test', method: 'tecoa', config: defaultConfig(), fineTune: config, notes: [], options: { ...DEFAULT_RUN_OPTIONS },
        dataset: { id: 'synthetic', name: 'synthetic', trainSplit: 'train', valSplit: 'val', trainImages: 32, valImages: 4, classes: [] },
        model: { key: 'test', title: 'tiny', kind: 'random-init' }, status: 'running', message: null, error: null, metrics: [], thinned: 0,
        step: 0, totalSteps: 8, checkpointStep: null, checkpointBytes: 0, trainSeconds: 0, createdAt: 1, updatedAt: 1, adapter: null,
      };
      await st.put(r);
      // Two steps, a checkpoint, one more step whose checkpoint never gets written, then the page goes away.
      for (let i = 0; i < 2; i++) r = { ...r, metrics: [...r.metrics, await a.trainStep()], step: a.step };
      const bytes = await a.checkpoint({ runId: r.id });
      await st.putCheckpoint({ id: r.id, step: a.step, bytes });
      r = await st.put({ ...r, checkpointStep: a.step, checkpointBytes: bytes.length });
      const next = await a.trainStep();
      await st.put({ ...r, metrics: [...r.metrics, next], step: a.step });
      const weightsA = await a.model.weights();

      const [found] = await recoverInterrupted(st, 2);
      expect(found.status).toBe('interrupted');
      expect(found.step).toBe(3);
      expect(canApply(found, 'resume')).toBe(true);

      // Resume as the engine does: a loop from the original weights, the stored checkpoint, metrics up to it.
      const ck = (await st.getCheckpoint(found.id))!;
      const b = await testLoop(ctx, found.fineTune, { weightsSeed: seed });
      await b.resume(ck.bytes);
      expect(b.step).toBe(2);
      const kept = metricsUpTo(found.metrics, ck.step);
      expect(kept.map((m) => m.step)).toEqual([1, 2]);
      expect(nextStatus(found.status, 'resume')).toBe('running');
      const again = await b.trainStep();
      expect(again.step).toBe(3);
      expect(again.loss).toBe(next.loss);
      expect(again.terms).toEqual(next.terms);
      expect(again.passes).toEqual(next.passes);
      for (const [name, t] of weightsA) expect(bits((await b.model.weights()).get(name)!.data as Float32Array).equals(bits(t.data as Float32Array)), name).toBe(true);

      // The fine-tuned weights of a checkpoint, read on the CPU, are the model's at that step.
      const ckNow = await b.checkpoint();
      const { weights, step } = checkpointWeights(cfg, ckNow);
      expect(step).toBe(3);
      const wb = await b.model.weights();
      expect([...weights.keys()].sort()).toEqual([...wb.keys()].sort());
      for (const [name, t] of wb) {
        expect(weights.get(name)!.dims, name).toEqual(t.dims);
        expect(bits(weights.get(name)!.data as Float32Array).equals(bits(t.data as Float32Array)), name).toBe(true);
      }
      // And they differ from the step-2 checkpoint's (the step changed them).
      const w2 = checkpointWeights(cfg, ck.bytes).weights;
      expect([...wb].some(([name, t]) => !bits(w2.get(name)!.data as Float32Array).equals(bits(t.data as Float32Array)))).toBe(true);
      expect(() => checkpointWeights({ ...cfg, projectionDim: cfg.projectionDim * 2 }, ckNow)).toThrow(/parameters/);
      for (const l of [a, b]) await l.model.release();
    });
  });
});
