/**
 * The Subspaces panel's state (zustand; written by src/engine/geometry.ts and the panel's controls): the probe
 * settings, the measurement of the current model (a `GeometrySnapshot`, plain data), and what the panel shows.
 * Fine-tuning runs' snapshots live in their metrics (src/state/runs.ts, `StepMetrics.geometry` / `.spectra`).
 */
import { create } from 'zustand';
import type { GeometrySnapshot } from '../methods/geometry';
import { DEFAULT_PROBE_SETTINGS, type ProbeSettings } from '../methods/probeSettings';

/** How the heat maps colour their cells (src/ui/subspaces/data.ts `heatScaled`). */
export type HeatScale = 'change' | 'fit' | 'angle';

export interface GeometryMeasurement {
  status: 'idle' | 'running' | 'done' | 'error';
  /** Progress note while running. */
  note: string | null;
  error: string | null;
  snapshot: GeometrySnapshot | null;
  /** What was measured: model title and key, dataset and split. */
  model: { key: string; title: string; kind: string } | null;
  data: { id: string; name: string; split: string } | null;
  /** Dataset indices of the probe images (for the image strip). */
  indices: number[];
}

export interface GeometryState {
  settings: ProbeSettings;
  /** Fine-tuning runs measure the probe every this many steps (0: never). */
  every: number;
  measurement: GeometryMeasurement;
  /**
   * What the panel shows: the current model's measurement, or the active run (at `step`; null = its latest); null =
   * not chosen: the live run while one runs (src/ui/subspaces/data.ts `shownSource`).
   */
  source: 'model' | 'run' | null;
  step: number | null;
  /** Heat map source: the probe snapshots or the training batches' spectra (AoS: every step). */
  heatSource: 'probe' | 'batch';
  /** Heat-map colours: change from the first measured step, each map's own range, or the fixed 0–90°. */
  heatScale: HeatScale;
  patch: (p: Partial<Omit<GeometryState, 'patch' | 'setSettings'>>) => void;
  setSettings: (p: Partial<ProbeSettings>) => void;
}

export const idleMeasurement = (): GeometryMeasurement => ({ status: 'idle', note: null, error: null, snapshot: null, model: null, data: null, indices: [] });

export const useGeometryStore = create<GeometryState>()((set) => ({
  settings: { ...DEFAULT_PROBE_SETTINGS, classes: [...DEFAULT_PROBE_SETTINGS.classes] },
  every: 5,
  measurement: idleMeasurement(),
  source: null,
  step: null,
  heatSource: 'probe',
  heatScale: 'change',
  patch: (p) => set(p),
  setSettings: (p) => set((s) => ({ settings: { ...s.settings, ...p } })),
}));
