/**
 * The stores the page and the engine Worker share (src/engine/bridge/storeSync.ts), by name. Each side imports its
 * own copy of these modules, so each has its own instances: this list is what ties them.
 */
import { useAppStore } from '../../state/store';
import { useAttackStore } from '../../state/attack';
import { useExperimentStore } from '../../state/experiment';
import { useGeometryStore } from '../../state/geometry';
import { useModelCacheStore } from '../../state/modelCache';
import { useResourceStore } from '../../state/resources';
import { useRunsStore } from '../../state/runs';
import { useUiStore } from '../../state/ui';
import type { SyncedStore } from './storeSync';

export function sharedStores(): Record<string, SyncedStore> {
  return {
    app: useAppStore, attack: useAttackStore, experiment: useExperimentStore, geometry: useGeometryStore,
    modelCache: useModelCacheStore, resources: useResourceStore, runs: useRunsStore, ui: useUiStore,
  } as unknown as Record<string, SyncedStore>;
}

/**
 * Keys each side keeps: the page's Data panel decodes its own dataset preview and image folder (src/engine/data.ts
 * on the page), and the engine loads the manifest for itself; cloning a decoded split across would cost the page
 * what the Worker saves it.
 */
export const LOCAL_KEYS: Readonly<Record<string, readonly string[]>> = {
  resources: ['manifest', 'split', 'folder'],
};
