/** What the subspace panels draw, derived from a run's metrics or a measurement (pure functions, no React). */
import type { GeometryPair, GeometrySnapshot, Spectra } from '../../methods/geometry';
import type { StepMetrics } from '../../methods/loop';
import type { HeatScale } from '../../state/geometry';

/** Every probe snapshot of a run's metrics (the step-0 one first), by step. */
export function runSnapshots(metrics: readonly StepMetrics[]): GeometrySnapshot[] {
  const out = new Map<number, GeometrySnapshot>();
  for (const m of metrics) {
    if (m.geometryBefore) out.set(m.geometryBefore.step, m.geometryBefore);
    if (m.geometry) out.set(m.geometry.step, m.geometry);
  }
  return [...out.values()].sort((a, b) => a.step - b.step);
}

export interface HeatData {
  steps: number[];
  /** Per step, the spectrum (degrees by angle index). */
  rows: number[][];
}

/**
 * Spectra over training for one pair: 'probe' = the probe's snapshots (step 0 and every `every` steps, also where
 * old snapshots were dropped from the record); 'batch' = the training batches' spectra (AoS: every step).
 */
export function heatData(metrics: readonly StepMetrics[], source: 'probe' | 'batch', pair: GeometryPair): HeatData {
  const byStep = new Map<number, number[]>();
  const put = (step: number, s: Spectra | undefined) => {
    const v = s?.[pair];
    if (v && v.length) byStep.set(step, v);
  };
  for (const m of metrics) {
    if (source === 'probe') {
      put(m.geometryBefore?.step ?? -1, m.geometryBefore?.spectra);
      put(m.step, m.probeSpectra ?? m.geometry?.spectra);
    } else put(m.step, m.spectra);
  }
  byStep.delete(-1);
  const steps = [...byStep.keys()].sort((a, b) => a - b);
  return { steps, rows: steps.map((s) => byStep.get(s)!) };
}

/** Whether a run reports its training batches' spectra (AoS, every step; the other methods repeat the probe's). */
export const hasBatchSpectra = (method: string | undefined, metrics: readonly StepMetrics[]) => method === 'aos' && metrics.some((m) => m.spectra);

/** The snapshot at a step, or the latest at or before it (null step: the latest). */
export function snapshotAt(snaps: readonly GeometrySnapshot[], step: number | null): GeometrySnapshot | null {
  if (!snaps.length) return null;
  if (step === null) return snaps[snaps.length - 1];
  let best: GeometrySnapshot | null = null;
  for (const s of snaps) if (s.step <= step) best = s;
  return best ?? snaps[0];
}

export const fmtDeg = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '—' : `${v.toFixed(v < 10 ? 2 : 1)}°`);
export const fmtPct = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '—' : `${(v * 100).toFixed(0)} %`);

/**
 * How a heat map colours its cells. 'change' (the default): each angle minus the same angle at the first measured
 * step, on a diverging scale symmetric about 0 — fine-tuning moves angles by a few degrees, which a fixed 0–90°
 * scale draws as one flat colour; 'fit': the angles over the map's own range; 'angle': the fixed 0–90°.
 */
export type { HeatScale };

export interface HeatScaled {
  /** Per column, the values the colours show (degrees, or degrees of change). */
  rows: number[][];
  lo: number;
  hi: number;
  /** Colours diverge about 0 (change) rather than run from small to large angles. */
  diverging: boolean;
  /** What the colour bar shows, for its legend. */
  legend: string;
}

/** The values, range and legend of a heat map under a scale (pure: the panel draws what this returns). */
export function heatScaled(data: HeatData, scale: HeatScale): HeatScaled {
  if (scale === 'change') {
    const base = data.rows[0] ?? [];
    const rows = data.rows.map((r) => r.map((v, i) => (base[i] === undefined ? NaN : v - base[i])));
    let m = 0;
    for (const r of rows) for (const v of r) if (Number.isFinite(v)) m = Math.max(m, Math.abs(v));
    // At least ±0.5° so that rounding noise at the first steps is not drawn as a strong change.
    const span = Math.max(0.5, m);
    return { rows, lo: -span, hi: span, diverging: true, legend: `change from step ${data.steps[0] ?? 0} (°)` };
  }
  if (scale === 'angle') return { rows: data.rows, lo: 0, hi: 90, diverging: false, legend: 'angle, 0–90° (°)' };
  let lo = Infinity, hi = -Infinity;
  for (const r of data.rows) for (const v of r) if (Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  if (!Number.isFinite(lo)) [lo, hi] = [0, 90];
  else if (!(hi > lo)) [lo, hi] = [Math.max(0, lo - 0.5), Math.min(90, lo + 0.5)];
  return { rows: data.rows, lo, hi, diverging: false, legend: 'angle, this map’s range (°)' };
}

/**
 * What the Subspaces panel shows. A choice the user made stands (a run only while there is one); without one the
 * panel follows a run that trains here now, else shows a measurement of the current model if there is one, else the
 * active run when it has snapshots (a run restored after a reload), else the current model's (empty) view.
 */
export function shownSource(o: { chosen: 'model' | 'run' | null; hasRun: boolean; runLive: boolean; runSnapshots: number; measured: boolean }): 'model' | 'run' {
  if (o.chosen === 'run') return o.hasRun ? 'run' : 'model';
  if (o.chosen === 'model') return 'model';
  if (o.hasRun && o.runLive) return 'run';
  if (o.measured) return 'model';
  return o.hasRun && o.runSnapshots > 0 ? 'run' : 'model';
}
