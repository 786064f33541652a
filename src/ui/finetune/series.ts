/**
 * Chart data from run metrics (pure): one x array of steps and one y array per series, with null where a step
 * has no value (validation every k steps), as uPlot takes them.
 */
import type { StepMetrics } from '../../methods/loop';
import type { RunRecord } from '../../storage/runRecord';

export type Columns = Array<Array<number | null>>;

/** Loss terms' display names (the loop's keys; unweighted values). */
export const TERM_NAMES: Record<string, string> = {
  ce: 'CE (adversarial)', advClean: 'd(adv, clean image)', imageText: 'd(image, text)', advText: 'd(adv, clean text)',
  klOriginal: 'KL → pre-trained', klClean: 'KL → clean', fare: 'FARE ‖φ(x+δ) − φ₀(x)‖²',
};

export const ANGLE_NAMES: Record<string, string> = {
  advClean: 'adv ↔ clean image', imageText: 'image ↔ text', advText: 'adv ↔ clean text',
};

/** Colours of series by position (colour-blind friendly). */
export const PALETTE = ['#3b5bdb', '#e8590c', '#2f9e44', '#ae3ec9', '#c92a2a', '#1098ad', '#f08c00', '#5c940d', '#862e9c', '#495057'];

export function keysOf(metrics: readonly StepMetrics[], field: 'terms' | 'angles'): string[] {
  const out: string[] = [];
  for (const m of metrics) for (const k of Object.keys(m[field] ?? {})) if (!out.includes(k)) out.push(k);
  return out;
}

export function lossColumns(metrics: readonly StepMetrics[]): { columns: Columns; terms: string[] } {
  const terms = keysOf(metrics, 'terms');
  const showTotal = terms.length !== 1;
  const columns: Columns = [metrics.map((m) => m.step)];
  if (showTotal) columns.push(metrics.map((m) => m.loss));
  for (const t of terms) columns.push(metrics.map((m) => m.terms?.[t] ?? null));
  return { columns, terms: showTotal ? ['__total', ...terms] : terms };
}

export function accuracyColumns(metrics: readonly StepMetrics[]): Columns {
  return [
    metrics.map((m) => m.step),
    metrics.map((m) => m.val?.clean ?? null),
    metrics.map((m) => m.val?.robust ?? null),
    metrics.map((m) => m.trainRobustAccuracy ?? null),
  ];
}

/** Images per second of each step (batch / step seconds) and the vision learning rate. */
export function throughputColumns(metrics: readonly StepMetrics[], batchSize: number): Columns {
  return [
    metrics.map((m) => m.step),
    metrics.map((m) => (m.seconds > 0 ? batchSize / m.seconds : null)),
    metrics.map((m) => m.lr?.vision ?? null),
  ];
}

/**
 * Per-term gradient norms (embedding space; ≤ 0 or missing → null, for a log scale) and the clip factor (last
 * column). Older runs without them give no term columns and a clip factor of null.
 */
export function gradNormColumns(metrics: readonly StepMetrics[]): { columns: Columns; keys: string[] } {
  const keys: string[] = [];
  for (const m of metrics) for (const k of Object.keys(m.termGradNorms ?? {})) if (!keys.includes(k)) keys.push(k);
  const pos = (v: number | undefined) => (v !== undefined && Number.isFinite(v) && v > 0 ? v : null);
  return {
    columns: [metrics.map((m) => m.step), metrics.map((m) => pos(m.gradNorm)), ...keys.map((k) => metrics.map((m) => pos(m.termGradNorms?.[k]))), metrics.map((m) => m.clipFactor ?? null)],
    keys,
  };
}

export function angleColumns(metrics: readonly StepMetrics[]): { columns: Columns; keys: string[] } {
  const keys = keysOf(metrics, 'angles');
  return { columns: [metrics.map((m) => m.step), ...keys.map((k) => metrics.map((m) => m.angles?.[k] ?? null))], keys };
}

export const COMPARE_METRICS = {
  loss: { label: 'loss (total)', get: (m: StepMetrics) => m.loss, range: undefined },
  clean: { label: 'clean val accuracy', get: (m: StepMetrics) => m.val?.clean ?? null, range: [0, 1] as [number, number] },
  robust: { label: 'robust val accuracy', get: (m: StepMetrics) => m.val?.robust ?? null, range: [0, 1] as [number, number] },
  trainRobust: { label: 'training robust accuracy', get: (m: StepMetrics) => m.trainRobustAccuracy ?? null, range: [0, 1] as [number, number] },
} as const;
export type CompareMetric = keyof typeof COMPARE_METRICS;

/** Several runs on one step axis: the union of their steps, null where a run has no value. */
export function compareColumns(runs: readonly RunRecord[], metric: CompareMetric): Columns {
  const get = COMPARE_METRICS[metric].get;
  const steps = [...new Set(runs.flatMap((r) => r.metrics.map((m) => m.step)))].sort((a, b) => a - b);
  const index = new Map(steps.map((s, i) => [s, i]));
  const cols: Columns = [steps];
  for (const r of runs) {
    const col: Array<number | null> = new Array(steps.length).fill(null);
    for (const m of r.metrics) col[index.get(m.step)!] = get(m);
    cols.push(col);
  }
  return cols;
}

export const pct = (v: number | null | undefined, digits = 1): string => (v === null || v === undefined || !Number.isFinite(v) ? '–' : `${(100 * v).toFixed(digits)} %`);

export function duration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '–';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}
