/**
 * The page's end of the engine Worker (./worker.ts): starts it, replicates the shared stores both ways
 * (./storeSync.ts), and gives the commands (./api.ts) as comlink's typed remote. The page's root
 * (src/engine/pageRoot.ts) makes one connection; it starts the Worker on first use, so a page that never computes
 * never starts it.
 *
 * A Worker that fails to start or dies reports through the app store's GPU slice (the engine's status line).
 */
import * as Comlink from 'comlink';
import { useAppStore } from '../../state/store';
import { storedCapMiB } from '../modelCacheCap';
import type { EngineApi } from './api';
import { LOCAL_KEYS, sharedStores } from './stores';
import { syncStores, type StorePatch } from './storeSync';

export interface EngineClient {
  api: Comlink.Remote<EngineApi>;
  worker: Worker;
}

function connect(): EngineClient {
  const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'aos-engine' });
  const sync = syncStores(sharedStores(), (p) => worker.postMessage({ aosStorePatch: p }), {
    localKeys: LOCAL_KEYS,
    onError: (store, key, e) => console.error(`engine: ${store}.${key} could not be sent to the Worker: ${String((e as Error)?.message ?? e)}`),
  });
  worker.addEventListener('message', (ev: MessageEvent) => {
    const p = (ev.data as { aosStorePatch?: StorePatch } | null)?.aosStorePatch;
    if (p) sync.apply(p);
  });
  worker.addEventListener('error', (ev: ErrorEvent) => {
    useAppStore.getState().setGpu({ gpuStatus: 'error', gpuError: `the engine Worker failed: ${ev.message || 'it could not be started'}` });
  });
  // The Worker starts from the page's state (settings, configuration, run options), before any command.
  for (const p of sync.snapshot()) worker.postMessage({ aosStorePatch: p });
  const api = Comlink.wrap<EngineApi>(worker);
  void api.setPreferences({ modelCacheMiB: storedCapMiB() });
  return { api, worker };
}

/** The page's connection to its engine Worker. */
export interface EngineConnection {
  /** The Worker and its commands (started on first call). */
  client(): EngineClient;
  /** The commands. */
  engine(): Comlink.Remote<EngineApi>;
  /** A cancel id for a command that takes one, wired to `signal` (aborting it sends the `cancel` command). */
  cancelIdFor(signal: AbortSignal | undefined): string | undefined;
}

export function createEngineConnection(): EngineConnection {
  let client: EngineClient | undefined;
  let cancelIds = 0;
  const self: EngineConnection = {
    client: () => (client ??= connect()),
    engine: () => self.client().api,
    cancelIdFor(signal) {
      if (!signal) return undefined;
      const id = `c${++cancelIds}`;
      signal.addEventListener('abort', () => void self.engine().cancel(id), { once: true });
      return id;
    },
  };
  return self;
}
