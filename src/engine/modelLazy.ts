/**
 * The model engine loaded on first use: it brings the CLIP builder, the ONNX codec and the tokenizer, which the
 * other panels do not need at start.
 */
import type { ExperimentConfig } from '../experiment';
import type { ModelSummary } from '../state/resources';
import type { LocalFilesInput } from './localModel';
import type { LocalLoadOptions } from './model';

const engine = () => import('./model');

export async function showModel(model: ExperimentConfig['model'], seed: number): Promise<void> {
  return (await engine()).showModel(model, seed);
}

export async function computePrompts(classes: readonly string[], templates: number, synonyms: number): Promise<void> {
  (await engine()).computePrompts(classes, templates, synonyms);
}

export async function approveModelFetch(): Promise<void> {
  return (await engine()).approveModelFetch();
}

export async function cancelModelFetch(): Promise<void> {
  (await engine()).cancelModelFetch();
}

export async function loadLocalModel(input: LocalFilesInput, options?: LocalLoadOptions): Promise<ModelSummary | null> {
  return (await engine()).loadLocalModel(input, options);
}

export async function unloadLocalModel(): Promise<void> {
  return (await engine()).unloadLocalModel();
}

const cacheEngine = () => import('./modelCache');

export async function refreshModelCache(): Promise<void> {
  return (await cacheEngine()).refreshModelCache();
}

export async function clearModelCache(): Promise<void> {
  return (await cacheEngine()).clearModelCache();
}

export async function setModelCacheCap(mib: number): Promise<void> {
  return (await cacheEngine()).setModelCacheCap(mib);
}

export async function cachedUnder(folder: string): Promise<{ files: number; bytes: number }> {
  return (await cacheEngine()).cachedUnder(folder);
}

export async function recentLocalModels(): Promise<import('../models/cache').LocalModelRecord[]> {
  return (await engine()).recentLocalModels();
}

export async function forgetLocalModel(id: string): Promise<void> {
  return (await engine()).forgetLocalModel(id);
}

export async function reopenLocalModel(id: string, options?: LocalLoadOptions): Promise<ModelSummary | null> {
  return (await engine()).reopenLocalModel(id, options);
}
