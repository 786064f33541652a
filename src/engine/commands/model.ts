/**
 * The Model panel's commands, run by the engine Worker (src/engine/bridge): showing the configured model, prompts,
 * URL downloads after confirmation, local folders and the model cache. Results arrive in the resource and model-cache
 * stores. A local folder is walked here on the page (picker FileList or a drop's entries) into Files with their
 * paths: entries do not cross to a Worker, Files do.
 */
import { proxy } from 'comlink';
import type { ExperimentConfig } from '../../experiment';
import type { LocalModelRecord } from '../../models/cache';
import type { ModelSummary } from '../../state/resources';
import type { EngineConnection } from '../bridge/client';
import { toPathedFiles, type LocalFilesInput } from '../localModel';
import { MAX_CACHE_MIB, MIN_CACHE_MIB, storeCapMiB } from '../modelCacheCap';
import type { LocalLoadOptions } from '../model';

/** A local load's options on the page: the progress callback crosses as a comlink proxy, the signal as `cancel`. */
export type PageLocalLoadOptions = Pick<LocalLoadOptions, 'precision' | 'onProgress' | 'signal'>;

export type ModelCommands = ReturnType<typeof modelCommands>;

export function modelCommands({ engine, cancelIdFor }: EngineConnection) {
  const request = (o: PageLocalLoadOptions) => ({ precision: o.precision, cancelId: cancelIdFor(o.signal) });
  const progress = (o: PageLocalLoadOptions) => (o.onProgress ? proxy(o.onProgress) : undefined);

  return {
    showModel(model: ExperimentConfig['model'], seed: number): Promise<void> {
      return engine().showModel(model, seed);
    },

    computePrompts(classes: readonly string[], templates: number, synonyms: number): Promise<void> {
      return engine().computePrompts(classes, templates, synonyms);
    },

    approveModelFetch(): Promise<void> {
      return engine().approveModelFetch();
    },

    cancelModelFetch(): Promise<void> {
      return engine().cancelModelFetch();
    },

    async loadLocalModel(input: LocalFilesInput, options: PageLocalLoadOptions = {}): Promise<ModelSummary | null> {
      return engine().loadLocalModel(toPathedFiles(input), request(options), progress(options));
    },

    async reopenLocalModel(id: string, options: PageLocalLoadOptions = {}): Promise<ModelSummary | null> {
      return engine().reopenLocalModel(id, request(options), progress(options));
    },

    unloadLocalModel(): Promise<void> {
      return engine().unloadLocalModel();
    },

    recentLocalModels(): Promise<LocalModelRecord[]> {
      return engine().recentLocalModels();
    },

    forgetLocalModel(id: string): Promise<void> {
      return engine().forgetLocalModel(id);
    },

    refreshModelCache(): Promise<void> {
      return engine().refreshModelCache();
    },

    clearModelCache(): Promise<void> {
      return engine().clearModelCache();
    },

    /** Sets the cap (stored in the page's localStorage here: the Worker has none). */
    setModelCacheCap(mib: number): Promise<void> {
      if (mib >= MIN_CACHE_MIB && mib <= MAX_CACHE_MIB) storeCapMiB(mib);
      return engine().setModelCacheCap(mib);
    },

    cachedUnder(folder: string): Promise<{ files: number; bytes: number }> {
      return engine().cachedUnder(folder);
    },
  };
}
