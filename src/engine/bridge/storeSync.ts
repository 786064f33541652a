/**
 * Keeps the zustand stores of the page and of the engine Worker equal: each side sends the top-level keys a local
 * `set` changed (functions excepted) as a patch, and applies the other side's patches without sending them back.
 *
 * Why replicate stores rather than translate every engine call into bespoke events: the engine modules already
 * report progress, results, errors and device loss by writing these stores, and the page already renders them;
 * replicating the writes moves the compute into the Worker without a second, parallel description of the state.
 * Each key has one writer in practice (the engine writes run state, the page writes settings; `runs.activeRunId`
 * and `runs.compare` both, never at once). A key written on both sides at the same moment ends as the later patch
 * on each side: last writer wins per key, per side.
 */

/** The part of a zustand store this needs. */
export interface SyncedStore {
  getState(): object;
  setState(partial: Record<string, unknown>): void;
  subscribe(listener: (state: object, prev: object) => void): () => void;
}

export interface StorePatch {
  store: string;
  patch: Record<string, unknown>;
}

export interface StoreSyncOptions {
  /** Keys a side keeps to itself (e.g. the page's decoded dataset preview, which the engine never reads). */
  localKeys?: Readonly<Record<string, readonly string[]>>;
  /** A patch could not be cloned: which key, and why (the key then stays out of sync). */
  onError?: (store: string, key: string, e: unknown) => void;
}

export interface StoreSync {
  /** Applies a patch from the other side (sends nothing back). */
  apply(p: StorePatch): void;
  /** The current state of every store, as one patch per store (a new side starts from it). */
  snapshot(): StorePatch[];
  stop(): void;
}

function changedKeys(state: object, prev: object, local: readonly string[]): Record<string, unknown> | null {
  let out: Record<string, unknown> | null = null;
  for (const [k, v] of Object.entries(state)) {
    if (typeof v === 'function' || local.includes(k) || (prev as Record<string, unknown>)[k] === v) continue;
    (out ??= {})[k] = v;
  }
  return out;
}

/** Replicates `stores` through `send` (which must keep order with the commands: the same message port). */
export function syncStores(stores: Readonly<Record<string, SyncedStore>>, send: (p: StorePatch) => void, options: StoreSyncOptions = {}): StoreSync {
  let applying = false;
  const local = (name: string) => options.localKeys?.[name] ?? [];
  const trySend = (p: StorePatch) => {
    try {
      send(p);
    } catch (e) {
      // One key that does not clone must not hold back the others: send them one by one.
      for (const [k, v] of Object.entries(p.patch)) {
        try {
          send({ store: p.store, patch: { [k]: v } });
        } catch (e2) {
          options.onError?.(p.store, k, e2 ?? e);
        }
      }
    }
  };
  const stops = Object.entries(stores).map(([name, store]) => store.subscribe((state, prev) => {
    if (applying) return;
    const patch = changedKeys(state, prev, local(name));
    if (patch) trySend({ store: name, patch });
  }));
  return {
    apply(p) {
      const store = stores[p.store];
      if (!store) return;
      applying = true;
      try {
        store.setState(p.patch);
      } finally {
        applying = false;
      }
    },
    snapshot: () => Object.entries(stores).flatMap(([name, store]) => {
      const patch = changedKeys(store.getState(), {}, local(name));
      return patch ? [{ store: name, patch }] : [];
    }),
    stop: () => stops.forEach((s) => s()),
  };
}
