/** What the subspace panels draw, derived from a run's metrics or a measurement (pure functions, no React). */
import type { GeometryPair, GeometrySnapshot, Spectra } from '../../methods/geometry';
import type { StepMetrics } from '../../methods/loop';

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
