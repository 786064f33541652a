/**
 * Fine-tuning runs (zustand; written by src/engine/fineTune.ts, read by the Fine-tune, Runs and Subspaces panels):
 * every run record of this browser (src/storage/runRecord.ts: experiment config, status, the whole StepMetrics of
 * every step), the run this page drives, what the engine is doing right now, and the run options.
 *
 *   const runs = useRunsStore((s) => s.runs);                 // newest first
 *   const active = useRunsStore((s) => s.runs.find((r) => r.id === s.activeRunId));
 *   active?.metrics.at(-1)?.angles                              // StepMetrics as the loop reported them
 */
import { create } from 'zustand';
import { DEFAULT_RUN_OPTIONS, type RunOptions, type RunRecord } from '../storage/runRecord';
import type { DamagedRun } from '../storage/runs';

export type { RunOptions, RunRecord, RunStatus } from '../storage/runRecord';

/** What the engine does for the active run now (not persisted). */
export interface LiveState {
  runId: string;
  phase: 'preparing' | 'training' | 'checkpointing' | 'idle';
  /** Pause or stop asked for: acts after the step in flight. */
  pauseRequested: boolean;
  stopRequested: boolean;
  note: string | null;
}

/**
 * Where the first step of a loop spends its time (it builds graphs and compiles shaders on top of the step itself):
 * seconds per phase so far, and the phase it is in now (null once the step is done).
 */
export interface FirstStepProgress {
  runId: string;
  step: number;
  current: string | null;
  seconds: Record<string, number>;
}

/** A run prepared before it is asked for (src/engine/prepareRun.ts): where it stands. */
export interface RunPreparationStatus {
  status: 'preparing' | 'ready' | 'failed';
  /** Seconds the preparation took (ready, failed) or has taken when last reported (preparing). */
  seconds: number;
  error: string | null;
}

export interface RunsState {
  /** Every run, newest first. */
  runs: RunRecord[];
  /** Stored records that failed the record checks (shown apart: raw export and delete only). */
  damaged: DamagedRun[];
  /** The run this page is driving or drove last (shown by the Fine-tune panel). */
  activeRunId: string | null;
  live: LiveState | null;
  /** Runs ticked for comparison in the Runs panel. */
  compare: string[];
  options: RunOptions;
  /** Where runs are kept: 'indexeddb', 'memory' (with why), or not loaded yet. */
  storage: { status: 'loading' | 'ready'; kind: 'indexeddb' | 'memory' | null; note: string | null };
  /** An error of the last action that did not belong to a run (e.g. start refused). */
  error: string | null;
  /**
   * What a freshly loaded page restored from storage (src/storage/runRestore.ts): the run it made active (null: none
   * could be read) and the note the Fine-tune panel shows while that run is the one shown.
   */
  restored: { runId: string | null; note: string } | null;
  /** The active run's first step, phase by phase (src/engine/fineTune.ts reports it; not persisted). */
  firstStep: FirstStepProgress | null;
  /** The guided start's prepared run (not persisted; null: none asked for). */
  preparation: RunPreparationStatus | null;
  patch: (p: Partial<Omit<RunsState, 'patch' | 'upsert' | 'remove' | 'toggleCompare' | 'setOptions'>>) => void;
  /** Adds or replaces a record (kept newest first). */
  upsert: (r: RunRecord) => void;
  remove: (id: string) => void;
  toggleCompare: (id: string, on?: boolean) => void;
  setOptions: (o: Partial<RunOptions>) => void;
}

const newestFirst = (a: RunRecord, b: RunRecord) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1);

const OPTIONS_KEY = 'aos-workbench-run-options';

/** Run options as last set in this browser (validated field by field; defaults otherwise). */
function savedOptions(): RunOptions {
  const out: RunOptions = { ...DEFAULT_RUN_OPTIONS };
  try {
    const raw = typeof localStorage !== 'undefined' ? JSON.parse(localStorage.getItem(OPTIONS_KEY) ?? '{}') as Record<string, unknown> : {};
    for (const k of Object.keys(out) as Array<keyof RunOptions>) {
      const v = raw[k];
      if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 3600) out[k] = v;
    }
  } catch {
    // unreadable: defaults
  }
  return out;
}

export const useRunsStore = create<RunsState>()((set) => ({
  runs: [],
  damaged: [],
  activeRunId: null,
  live: null,
  compare: [],
  options: savedOptions(),
  storage: { status: 'loading', kind: null, note: null },
  error: null,
  restored: null,
  firstStep: null,
  preparation: null,
  patch: (p) => set(p),
  upsert: (r) => set((s) => {
    const i = s.runs.findIndex((x) => x.id === r.id);
    if (i < 0) return { runs: [...s.runs, r].sort(newestFirst) };
    const runs = s.runs.slice();
    runs[i] = r;
    return { runs };
  }),
  remove: (id) => set((s) => ({
    runs: s.runs.filter((r) => r.id !== id), compare: s.compare.filter((c) => c !== id),
    activeRunId: s.activeRunId === id ? null : s.activeRunId,
  })),
  toggleCompare: (id, on) => set((s) => {
    const has = s.compare.includes(id), want = on ?? !has;
    if (want === has) return {};
    return { compare: want ? [...s.compare, id] : s.compare.filter((c) => c !== id) };
  }),
  setOptions: (o) => set((s) => {
    const options = { ...s.options, ...o };
    try {
      localStorage.setItem(OPTIONS_KEY, JSON.stringify(options));
    } catch {
      // private mode or no storage: kept for this page only
    }
    return { options };
  }),
}));

/** The active run's record (or null). */
export function activeRun(s: Pick<RunsState, 'runs' | 'activeRunId'>): RunRecord | null {
  return s.activeRunId ? s.runs.find((r) => r.id === s.activeRunId) ?? null : null;
}

// Development builds: the store on `window.__aosRuns` for inspection (devtools, e2e diagnostics).
if (typeof window !== 'undefined' && import.meta.env?.DEV) (window as unknown as { __aosRuns: typeof useRunsStore }).__aosRuns = useRunsStore;
