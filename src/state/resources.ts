/**
 * Run state of the data and model panels: what the engine has loaded or built, and its progress and errors.
 * Written by src/engine/ only; components read it. Separate from the experiment configuration and the UI state.
 */
import { create } from 'zustand';
import type { DataManifest, ImageDataset } from '../data/bundle';
import type { FolderDataset } from '../data/folder';
import type { ClipConfig } from '../onnx/clip/config';

export type LoadStatus = 'idle' | 'loading' | 'ready' | 'error';

export interface Load<T> {
  status: LoadStatus;
  value: T | null;
  error: string | null;
  /** What is loaded or loading (e.g. `fashion-mnist/test`). */
  key: string | null;
  /** Progress note while loading. */
  progress?: string;
}

export const idle = <T>(): Load<T> => ({ status: 'idle', value: null, error: null, key: null });

export interface TowerSummary {
  tower: 'vision' | 'text';
  /** ONNX file size. */
  bytes: number;
  opset: number;
  nodes: number;
  /** Op type → count, most frequent first. */
  ops: Array<[string, number]>;
  inputs: string[];
  outputs: string[];
  params: number;
  /** Weight precision from the initializers' dtypes ('fp32', 'fp16', 'int8 + fp32', …). */
  precision?: string;
  /** Nodes the autodiff has no gradient rule for, after folding constants at batch 1 (empty: fully covered). */
  notDifferentiable?: string[];
  /** Nodes checked for the coverage (after folding). */
  checkedNodes?: number;
}

/** One file of the model folder: where its bytes came from and their hash. */
export interface ModelFileInfo {
  name: string;
  bytes: number;
  sha256: string;
  /**
   * 'cache': the browser's model cache (revalidated); 'network': downloaded; 'bundled': the app's own files;
   * 'local': a file on the user's machine (picker or drop).
   */
  from: 'cache' | 'network' | 'bundled' | 'local';
  /** For URL loads: hit / miss / changed / unchanged / corrupted (src/models/cache.ts). */
  status?: 'hit' | 'miss' | 'changed' | 'unchanged' | 'corrupted';
  previousHash?: string;
  /** For bundled files: the hash metrics.json records (null: not listed). */
  expectedSha256?: string | null;
  message?: string;
}

export interface ModelSummary {
  kind: 'bundled' | 'random-init' | 'remote' | 'local';
  title: string;
  /** Where it came from (path, URL, or "built in this browser"). */
  origin: string;
  config: ClipConfig;
  params: { vision: number; text: number; total: number };
  towers: TowerSummary[];
  /** Facts the user should know (why a fallback is shown, what is not loaded yet). */
  notes: string[];
  /** The files read, with their hashes and where they came from (absent for a model built in the browser). */
  files?: ModelFileInfo[];
  /** The bundled model's metrics.json (its training record and zero-shot accuracies), when present. */
  metrics?: unknown;
}

export interface PromptRow {
  className: string;
  synonyms: string[];
  prompts: Array<{ text: string; tokens: number; truncated: boolean }>;
}

export interface RemoteFetch {
  status: 'idle' | 'fetching' | 'done' | 'error' | 'cancelled';
  url: string | null;
  received: number;
  capBytes: number;
  message: string | null;
}

export interface ResourceState {
  manifest: Load<DataManifest>;
  split: Load<ImageDataset>;
  folder: Load<FolderDataset>;
  model: Load<ModelSummary>;
  prompts: Load<PromptRow[]>;
  remote: RemoteFetch;
  patch: (p: Partial<Omit<ResourceState, 'patch'>>) => void;
}

export const useResourceStore = create<ResourceState>()((set) => ({
  manifest: idle(),
  split: idle(),
  folder: idle(),
  model: idle(),
  prompts: idle(),
  remote: { status: 'idle', url: null, received: 0, capBytes: 0, message: null },
  patch: (p) => set(p),
}));
