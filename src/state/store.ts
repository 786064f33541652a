/**
 * Serialisable UI and experiment state (zustand, one slice per concern). Compute modules write progress here;
 * React components only read it.
 */
import { create } from 'zustand';
import type { AdapterSummary } from '../gpu/device';
import type { CheckReport } from '../gpu/kernelCheck';

export interface GpuSlice {
  gpuStatus: 'idle' | 'acquiring' | 'ready' | 'error' | 'lost';
  adapter: AdapterSummary | null;
  gpuError: string | null;
  setGpu: (p: Partial<Pick<GpuSlice, 'gpuStatus' | 'adapter' | 'gpuError'>>) => void;
}

export interface SelfTestSlice {
  selfTestStatus: 'idle' | 'running' | 'done' | 'error';
  selfTestSeed: number | null;
  reports: CheckReport[];
  selfTestTotal: number;
  startSelfTest: (seed: number, total: number) => void;
  addReport: (r: CheckReport) => void;
  finishSelfTest: (status: 'done' | 'error') => void;
}

export type AppState = GpuSlice & SelfTestSlice;

export const useAppStore = create<AppState>()((set) => ({
  gpuStatus: 'idle',
  adapter: null,
  gpuError: null,
  setGpu: (p) => set(p),

  selfTestStatus: 'idle',
  selfTestSeed: null,
  reports: [],
  selfTestTotal: 0,
  startSelfTest: (seed, total) => set({ selfTestStatus: 'running', selfTestSeed: seed, reports: [], selfTestTotal: total }),
  addReport: (r) => set((s) => ({ reports: [...s.reports, r] })),
  finishSelfTest: (status) => set({ selfTestStatus: status }),
}));
