/**
 * Fine-tuning run records (plain, serialisable data; no React, no GPU): the record type, the run state machine,
 * the bound on stored metrics, and the JSON / CSV exports. Persistence is in `runs.ts`; the live engine is
 * src/engine/fineTune.ts and the zustand slice src/state/runs.ts.
 */
import type { ExperimentConfig } from '../experiment/config';
import type { FineTuneConfig, MethodName } from '../methods/config';
import type { StepMetrics } from '../methods/loop';

export const RUN_STATUSES = ['running', 'paused', 'stopped', 'done', 'error', 'interrupted'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/**
 * What can happen to a run:
 *  - pause: the step in flight finishes, a checkpoint is kept, the run waits;
 *  - resume: continues from the kept checkpoint (same page: the live loop; after a reload: a loop rebuilt from the
 *    original model and the checkpoint — the next step is the one the run would have taken);
 *  - stop: ends the run for good (its last checkpoint stays, for exporting the model);
 *  - finish: the budget is spent; fail: an error; interrupt: the GPU device was lost;
 *  - reload: the page that ran it went away (a 'running' run becomes 'interrupted').
 */
export type RunEvent = 'pause' | 'resume' | 'stop' | 'finish' | 'fail' | 'interrupt' | 'reload';

const TRANSITIONS: Record<RunStatus, Partial<Record<RunEvent, RunStatus>>> = {
  running: { pause: 'paused', stop: 'stopped', finish: 'done', fail: 'error', interrupt: 'interrupted', reload: 'interrupted' },
  paused: { resume: 'running', stop: 'stopped', reload: 'paused', fail: 'error', interrupt: 'interrupted' },
  interrupted: { resume: 'running', stop: 'stopped', reload: 'interrupted' },
  error: { resume: 'running', stop: 'stopped', reload: 'error' },
  stopped: { reload: 'stopped' },
  done: { reload: 'done' },
};

export class RunTransitionError extends Error {
  constructor(readonly from: RunStatus, readonly event: RunEvent) {
    super(`a ${from} run cannot ${event}`);
    this.name = 'RunTransitionError';
  }
}

/** The status after `event`; throws a RunTransitionError when the event is not allowed. */
export function nextStatus(from: RunStatus, event: RunEvent): RunStatus {
  const to = TRANSITIONS[from]?.[event];
  if (!to) throw new RunTransitionError(from, event);
  return to;
}

/** Whether `event` may happen to the run now (resume also needs a checkpoint to continue from). */
export function canApply(r: Pick<RunRecord, 'status' | 'checkpointStep' | 'imported'>, event: RunEvent): boolean {
  if (r.imported && event !== 'reload') return false; // an imported run is a record only: no checkpoint, no loop
  if (!TRANSITIONS[r.status]?.[event]) return false;
  if (event === 'resume') return r.checkpointStep !== null;
  return true;
}

/** Settings of a run that are not part of the experiment configuration (how it is watched, not what it learns). */
export interface RunOptions {
  /** Images of the fixed validation batch (clean and robust accuracy). */
  valImages: number;
  /** PGD steps of the validation attack (ε = the training ε). */
  valAttackSteps: number;
  /** A checkpoint is written at least this often while running (and at every pause, stop and the end). */
  checkpointSeconds: number;
}

export const DEFAULT_RUN_OPTIONS: Readonly<RunOptions> = Object.freeze({ valImages: 32, valAttackSteps: 10, checkpointSeconds: 30 });

export interface RunRecord {
  id: string;
  name: string;
  method: MethodName;
  /** The experiment configuration the run was started with (what a shareable link carries). */
  config: ExperimentConfig;
  /** The loop's configuration mapped from it. */
  fineTune: FineTuneConfig;
  /** Settings of the experiment that were not taken as they are, and why. */
  notes: string[];
  options: RunOptions;
  dataset: { id: string; name: string; trainSplit: string; valSplit: string; trainImages: number; valImages: number; classes: string[] };
  model: { key: string; title: string; kind: string };
  status: RunStatus;
  /** One line about what the run does or why it stopped. */
  message: string | null;
  error: string | null;
  /** Metrics of every step, oldest first (bounded: see `boundMetrics`). */
  metrics: StepMetrics[];
  /** Steps whose metrics were thinned out to bound the record. */
  thinned: number;
  /** Steps done and the schedule's total. */
  step: number;
  totalSteps: number;
  /** Step of the stored checkpoint (null: none). */
  checkpointStep: number | null;
  checkpointBytes: number;
  /** Seconds spent training (over every session of the run). */
  trainSeconds: number;
  createdAt: number;
  updatedAt: number;
  /** The adapter it ran on (determinism holds per adapter). */
  adapter: string | null;
  /** Who ran the towers' graphs ('exec': our WGSL executor; 'webgpu', 'wasm', 'node-cpu': onnxruntime). */
  backend?: string;
  /** Set on a run read from an exported file (src/storage/runImport.ts): when and from which file. It has no checkpoint and cannot be resumed; never exported. */
  imported?: { at: number; file: string };
}

/** At most this many metric entries per run; older entries are thinned (every validated step is kept). */
export const MAX_METRICS = 4000;
/** Fields of StepMetrics that may be large (feature snapshots): kept only on the newest this many entries. */
export const HEAVY_FIELDS = ['geometry'] as const;
export const KEEP_HEAVY = 50;

/**
 * Bounds a run's metrics in place of a copy: heavy fields (`HEAVY_FIELDS`) stay only on the newest `keepHeavy`
 * entries; beyond `max` entries, every other entry of the older half without validation metrics is dropped (so
 * the curves keep their shape; the first and last steps stay, and validated steps stay while others can go). Returns the kept entries
 * and how many were dropped.
 */
export function boundMetrics(metrics: readonly StepMetrics[], max = MAX_METRICS, keepHeavy = KEEP_HEAVY): { metrics: StepMetrics[]; dropped: number } {
  let out = metrics.slice();
  let dropped = 0;
  const thin = (keepVal: boolean): StepMetrics[] => {
    const half = Math.floor(out.length / 2), next: StepMetrics[] = [];
    let drop = false;
    for (let i = 0; i < out.length; i++) {
      const m = out[i];
      if (i === 0 || i >= half || (keepVal && m.val)) next.push(m);
      else if ((drop = !drop)) dropped++;
      else next.push(m);
    }
    return next;
  };
  while (out.length > max) {
    let next = thin(true);
    if (next.length === out.length) next = thin(false);
    if (next.length === out.length) break;
    out = next;
  }
  const from = out.length - keepHeavy;
  for (let i = 0; i < from; i++) {
    const m = out[i] as unknown as Record<string, unknown>;
    if (HEAVY_FIELDS.some((f) => m[f] !== undefined)) {
      const copy = { ...m };
      for (const f of HEAVY_FIELDS) delete copy[f];
      out[i] = copy as unknown as StepMetrics;
    }
  }
  return { metrics: out, dropped };
}

/** The last validation metrics of a run (null before the first evaluation). */
export function lastVal(r: Pick<RunRecord, 'metrics'>): NonNullable<StepMetrics['val']> | null {
  for (let i = r.metrics.length - 1; i >= 0; i--) if (r.metrics[i].val) return r.metrics[i].val!;
  return null;
}

/** Metrics up to a step (a run resumed from a checkpoint continues after it: later metrics are replaced). */
export function metricsUpTo(metrics: readonly StepMetrics[], step: number): StepMetrics[] {
  return metrics.filter((m) => m.step <= step);
}

// ---------------------------------------------------------------------------------------------------------------
// Exports

/** The run as JSON: record (configuration, status, metrics), without checkpoint bytes nor the `imported` mark. */
export function runToJson(r: RunRecord): string {
  const { imported: _imported, ...rest } = r;
  return JSON.stringify({ format: 'aos-workbench-run-1', ...rest }, (_k, v: unknown) => (ArrayBuffer.isView(v) && !(v instanceof DataView) ? Array.from(v as unknown as ArrayLike<number>) : v), 1);
}

function csvCell(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * Metrics as CSV, one row per step: step, loss, each loss term (`term.NAME`), learning rates, ‖g‖, each term's
 * gradient norm (`gradNorm.NAME`, embedding space), the clip factor, distinct images seen, training robust accuracy, validation clean / robust accuracy, each principal angle (`angle.NAME`, degrees), passes,
 * seconds. Columns of terms and angles are the union over steps, in order of first appearance.
 */
export function metricsToCsv(metrics: readonly StepMetrics[]): string {
  const terms: string[] = [], angles: string[] = [], norms: string[] = [];
  for (const m of metrics) {
    for (const k of Object.keys(m.terms ?? {})) if (!terms.includes(k)) terms.push(k);
    for (const k of Object.keys(m.termGradNorms ?? {})) if (!norms.includes(k)) norms.push(k);
    for (const k of Object.keys(m.angles ?? {})) if (!angles.includes(k)) angles.push(k);
  }
  const head = ['step', 'loss', ...terms.map((t) => `term.${t}`), 'lr.vision', 'lr.text', 'gradNorm',
    ...norms.map((t) => `gradNorm.${t}`), 'clipFactor', 'distinctImages', 'trainRobustAccuracy',
    'val.clean', 'val.robust', ...angles.map((a) => `angle.${a}`), 'passes.vision', 'passes.text', 'seconds'];
  const rows = [head.map(csvCell).join(',')];
  for (const m of metrics) {
    rows.push([
      m.step, m.loss, ...terms.map((t) => m.terms?.[t]), m.lr?.vision, m.lr?.text, m.gradNorm,
      ...norms.map((t) => m.termGradNorms?.[t]), m.clipFactor, m.distinctImages, m.trainRobustAccuracy,
      m.val?.clean, m.val?.robust, ...angles.map((a) => m.angles?.[a]), m.passes?.vision, m.passes?.text, m.seconds,
    ].map(csvCell).join(','));
  }
  return rows.join('\n') + '\n';
}

/** A file name from a run's name (letters, digits, - and _). */
export function runFileBase(r: Pick<RunRecord, 'name' | 'method' | 'id'>): string {
  const base = (r.name || r.method).replace(/[^A-Za-z0-9_-]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 40) || 'run';
  return `${base}-${r.id.slice(-6)}`;
}

/** Throughput and time left of a run, from its latest steps. */
export interface RunProgress {
  /** step / totalSteps in [0, 1]. */
  fraction: number;
  /** Training images per second (batch / step seconds, validation included) over the last steps; null before a step. */
  imagesPerSecond: number | null;
  /** Vision-tower passes per second (the budget unit) over the last steps. */
  passesPerSecond: number | null;
  /** Seconds left at the recent pace; null before a step. */
  etaSeconds: number | null;
}

export function runProgress(r: Pick<RunRecord, 'metrics' | 'step' | 'totalSteps' | 'fineTune'>, window = 10): RunProgress {
  const fraction = r.totalSteps > 0 ? Math.min(1, r.step / r.totalSteps) : 0;
  const last = r.metrics.slice(-window).filter((m) => m.seconds > 0);
  if (!last.length) return { fraction, imagesPerSecond: null, passesPerSecond: null, etaSeconds: null };
  const secs = last.reduce((s, m) => s + m.seconds, 0);
  const passes = last.reduce((s, m) => s + (m.stepPasses?.vision ?? 0), 0);
  const perStep = secs / last.length;
  return {
    fraction, imagesPerSecond: (last.length * r.fineTune.batchSize) / secs, passesPerSecond: passes / secs,
    etaSeconds: Math.max(0, r.totalSteps - r.step) * perStep,
  };
}
