/**
 * UI state: which panel is open, the colour theme, notices about imported configurations and the pending
 * confirmation of a model download. Not part of the experiment configuration, not run state.
 */
import { create } from 'zustand';

/** 'start' first: the guided start is what a new user opens on (src/ui/panels/StartPanel.tsx). */
export const PANEL_IDS = ['start', 'model', 'data', 'attack', 'finetune', 'subspaces', 'runs', 'results', 'selftest'] as const;
export type PanelId = (typeof PANEL_IDS)[number];

export function isPanelId(s: string | null | undefined): s is PanelId {
  return typeof s === 'string' && (PANEL_IDS as readonly string[]).includes(s);
}

export type Theme = 'system' | 'light' | 'dark';

/** The outcome of restoring a configuration from a link or a file, shown until dismissed. */
export interface ImportNotice {
  source: 'link' | 'file';
  ok: boolean;
  headline: string;
  lines: string[];
}

/** A model download waiting for the user's confirmation (nothing is fetched before `approve`). */
export interface ModelFetchRequest {
  url: string;
  /** Absolute URL it resolves to. */
  resolved: string;
  maxMB: number;
  sameOrigin: boolean;
  from: 'link' | 'file' | 'panel';
}

export interface UiState {
  panel: PanelId;
  theme: Theme;
  notice: ImportNotice | null;
  modelFetchRequest: ModelFetchRequest | null;
  setPanel: (p: PanelId) => void;
  setTheme: (t: Theme) => void;
  setNotice: (n: ImportNotice | null) => void;
  requestModelFetch: (r: ModelFetchRequest | null) => void;
}

export const useUiStore = create<UiState>()((set) => ({
  panel: 'start',
  theme: 'system',
  notice: null,
  modelFetchRequest: null,
  setPanel: (panel) => set({ panel }),
  setTheme: (theme) => set({ theme }),
  setNotice: (notice) => set({ notice }),
  requestModelFetch: (modelFetchRequest) => set({ modelFetchRequest }),
}));
