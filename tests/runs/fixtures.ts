/** Run records and step metrics for the runs tests. */
import { defaultConfig } from '../../src/experiment';
import { defaultFineTuneConfig } from '../../src/methods/config';
import type { StepMetrics } from '../../src/methods/loop';
import { DEFAULT_RUN_OPTIONS, type RunRecord } from '../../src/storage/runRecord';

export function metric(step: number, o: Partial<StepMetrics> = {}): StepMetrics {
  return {
    step, lr: { vision: 1e-4, text: 1e-5 }, loss: 2 - step / 100, terms: { ce: 2 - step / 100 }, gradNorm: 0.5,
    stepPasses: { vision: 4, text: 0 }, passes: { vision: 4 * step, text: 0 }, seconds: 2, ...o,
  };
}

/** A run as it is created (running, no checkpoint yet). */
export function record(id: string, o: Partial<RunRecord> = {}): RunRecord {
  const fineTune = { ...defaultFineTuneConfig('tecoa'), batchSize: 8, steps: 10 };
  return {
    id, name: `run ${id}`, method: 'tecoa', config: defaultConfig(), fineTune, notes: [], options: { ...DEFAULT_RUN_OPTIONS },
    dataset: { id: 'fashion-mnist', name: 'Fashion-MNIST', trainSplit: 'train', valSplit: 'val', trainImages: 64, valImages: 4, classes: ['a', 'b'] },
    model: { key: 'bundled', title: 'Bundled tiny CLIP', kind: 'bundled' }, status: 'running', message: null, error: null,
    metrics: [], thinned: 0, step: 0, totalSteps: 10, checkpointStep: null, checkpointBytes: 0, trainSeconds: 0,
    createdAt: 1000, updatedAt: 1000, adapter: null, ...o,
  };
}

/** A finished run with a checkpoint, as exported. */
export function finishedRecord(id: string, o: Partial<RunRecord> = {}): RunRecord {
  return record(id, {
    notes: ['a note'], status: 'done', message: 'finished', step: 10, checkpointStep: 10, checkpointBytes: 5e6, trainSeconds: 20,
    updatedAt: 2000, adapter: 'SwiftShader', backend: 'exec', ...o,
  });
}
