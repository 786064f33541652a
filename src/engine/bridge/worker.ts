/**
 * The engine Worker (a module Worker: Vite's `worker.format` is 'es', so the engine's lazy chunks split as on the
 * page). It owns the GPUDevice and everything that computes: model loading (decoding, folding, autodiff, sessions),
 * attacks, fine-tuning, geometry and run storage. The page talks to it through comlink (./api.ts commands) and the
 * replicated stores (./storeSync.ts): store patches travel as plain `{ aosStorePatch }` messages on the same port as
 * comlink's, so a command and the store writes before it arrive in order.
 */
import * as Comlink from 'comlink';
import { EngineRoot } from '../root';
import { createEngineApi } from './api';
import { LOCAL_KEYS, sharedStores } from './stores';
import { syncStores, type StorePatch } from './storeSync';

// The Worker's global scope (the project's TypeScript lib is the DOM's, not WebWorker's): comlink's endpoint shape.
const scope = self as unknown as Comlink.Endpoint;

const sync = syncStores(sharedStores(), (p) => scope.postMessage({ aosStorePatch: p }), {
  localKeys: LOCAL_KEYS,
  onError: (store, key, e) => console.error(`engine worker: ${store}.${key} could not be sent to the page: ${String((e as Error)?.message ?? e)}`),
});

// Registered before comlink's listener (which ignores messages that are not its own).
scope.addEventListener('message', (ev) => {
  const p = ((ev as MessageEvent).data as { aosStorePatch?: StorePatch } | null)?.aosStorePatch;
  if (p) sync.apply(p);
});

// The Worker's one engine root: it owns every controller for the Worker's lifetime.
Comlink.expose(createEngineApi(new EngineRoot({ devHooks: Boolean(import.meta.env?.DEV) })), scope);
