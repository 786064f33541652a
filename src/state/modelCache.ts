/** The browser's model cache as the Model panel shows it (written by src/engine/modelCache.ts only). */
import { create } from 'zustand';

export interface ModelCacheView {
  /** 'cache-storage' (survives reloads) or 'memory' (this page only). */
  kind: 'cache-storage' | 'memory' | null;
  bytes: number;
  blobs: number;
  sources: number;
  maxBytes: number;
  busy: boolean;
  /** The last action's note (cleared, evicted, storage unavailable). */
  note: string | null;
  error: string | null;
}

export interface ModelCacheState extends ModelCacheView {
  patch: (p: Partial<ModelCacheView>) => void;
}

export const useModelCacheStore = create<ModelCacheState>()((set) => ({
  kind: null, bytes: 0, blobs: 0, sources: 0, maxBytes: 0, busy: false, note: null, error: null,
  patch: (p) => set(p),
}));
