/**
 * The attack playground's state in the engine (one per playground controller: src/engine/attack.ts makes it): the model slots, the
 * run tokens and abort controllers of the single and batch attacks, and the one GPU job queue that all of them use
 * (sessions hold their own buffers: two jobs must not interleave). What the panel shows is in src/state/attack.ts.
 */
import { useAttackStore, type BatchRun, type CompareState, type SingleRun } from '../../state/attack';
import type { DataController } from '../data';
import type { GpuController } from '../engine';
import type { FineTuneController } from '../fineTune';
import type { ModelController } from '../model';
import type { RunsController } from '../runs';
import { createJobQueue, type JobQueue } from './queue';
import type { Prepared } from './slot';

/** The engine root's controllers the playground uses (fine-tuning loads on first use: the compare slot's runs). */
export interface PlaygroundDeps {
  gpu: GpuController;
  data: DataController;
  model: ModelController;
  runs: RunsController;
  fineTune: () => Promise<FineTuneController>;
}

export interface PlaygroundState {
  deps: PlaygroundDeps;
  serial: JobQueue;
  /** The model under attack, and the one being built (its key) while it is. */
  prepared: Prepared | null;
  preparing: { key: string; promise: Promise<Prepared | null> } | null;
  /** The compare slot's fine-tuned model; its token makes older selections' reports stale. */
  comparePrepared: Prepared | null;
  compareToken: number;
  /** Bumped by every `preparePlayground`: older preparations stop reporting. */
  generation: number;
  /** Whether the engine was set (by the user, or to the adapter's default once). */
  engineChosen: boolean;
  singleAbort: AbortController | null;
  batchAbort: AbortController | null;
  /** The fine-tuned model's batch run (./compareBatch.ts). */
  compareBatchAbort: AbortController | null;
  /** Run tokens: a new image, model or run makes the older run's reports stale. */
  singleToken: number;
  batchToken: number;
  imageCounter: number;
}

export function createPlaygroundState(deps: PlaygroundDeps): PlaygroundState {
  return {
    deps, serial: createJobQueue(), prepared: null, preparing: null, comparePrepared: null, compareToken: 0, generation: 0,
    engineChosen: false, singleAbort: null, batchAbort: null, compareBatchAbort: null, singleToken: 0, batchToken: 0, imageCounter: 0,
  };
}

export const message = (e: unknown): string => String((e as Error)?.message ?? e);
export const store = () => useAttackStore.getState();
export const patch = (p: Parameters<ReturnType<typeof store>['patch']>[0]) => store().patch(p);
export const patchSingleNow = (p: Partial<SingleRun>) => patch({ single: { ...store().single, ...p } });
export const patchBatchNow = (p: Partial<BatchRun>) => patch({ batch: { ...store().batch, ...p } });
export const patchCompare = (c: Partial<CompareState>) => patch({ compare: { ...store().compare, ...c } });

function abortError(): Error {
  const e = new Error('stopped');
  e.name = 'AbortError';
  return e;
}

/** Stops the single-image attack, the batch run, or both (default). */
export function stopAttack(st: PlaygroundState, which: 'single' | 'batch' | 'both' = 'both'): void {
  if (which !== 'batch') {
    st.singleAbort?.abort(abortError());
    st.singleAbort = null;
  }
  if (which !== 'single') {
    st.batchAbort?.abort(abortError());
    st.batchAbort = null;
  }
}
