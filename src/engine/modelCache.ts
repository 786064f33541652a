/**
 * The workbench's one model cache (src/models/cache.ts): Cache Storage in the browser, memory elsewhere; the cap is a
 * browser preference (./modelCacheCap.ts: the page's localStorage, default 1024 MiB), not part of an experiment. Publishes
 * its usage to src/state/modelCache.ts. One controller per engine root: it opens the cache once for its lifetime.
 */
import { DEFAULT_CACHE_BYTES, defaultStore, memoryStore, ModelCache } from '../models/cache';
import { formatBytes } from '../models/source';
import { useModelCacheStore } from '../state/modelCache';
import { MAX_CACHE_MIB, MIN_CACHE_MIB, storeCapMiB, storedCapMiB } from './modelCacheCap';

const MiB = 1 << 20;
export { MAX_CACHE_MIB, MIN_CACHE_MIB };

const message = (e: unknown): string => String((e as Error)?.message ?? e);

function publish(c: ModelCache, p: { note?: string | null; error?: string | null; busy?: boolean } = {}): void {
  const u = c.usage();
  // A failed index write outranks "no error": the cache still works for this page, but forgets on reload.
  const error = p.error ?? u.indexWriteError ?? (p.error === null ? null : undefined);
  const patch = { kind: u.kind, bytes: u.bytes, blobs: u.blobs, sources: u.sources, maxBytes: u.maxBytes, busy: false, ...p };
  if (error !== undefined) patch.error = error;
  useModelCacheStore.getState().patch(patch);
}

export type ModelCacheController = ReturnType<typeof createModelCacheController>;

export function createModelCacheController() {
  let opening: Promise<ModelCache> | null = null;
  /**
   * The cap the page read from its localStorage, handed to the engine Worker before the cache opens and on every
   * change (src/engine/bridge/api.ts); null: read localStorage here (Node tests, or a page without the Worker).
   */
  let pageCapMiB: number | null = null;

  function setPageCapMiB(mib: number | null): void {
    pageCapMiB = mib;
  }

  function storedCapBytes(): number {
    const mib = pageCapMiB ?? storedCapMiB();
    return mib !== null ? mib * MiB : DEFAULT_CACHE_BYTES;
  }

  /** The cache (opened once). Falls back to memory when Cache Storage cannot be opened. */
  function modelCache(): Promise<ModelCache> {
    opening ??= (async () => {
      const maxBytes = storedCapBytes();
      let c: ModelCache;
      let error: string | null = null;
      try {
        c = await ModelCache.open(defaultStore(), { maxBytes });
      } catch (e) {
        error = `Cache Storage could not be opened (${message(e)}): models are cached in memory for this page only`;
        c = await ModelCache.open(memoryStore(), { maxBytes });
      }
      const orphans = c.usage().orphansRemoved;
      publish(c, { error, note: orphans ? `${orphans} stored file${orphans === 1 ? '' : 's'} no cache entry pointed at (an interrupted save) ${orphans === 1 ? 'was' : 'were'} removed.` : null });
      return c;
    })();
    return opening;
  }

  async function refreshModelCache(): Promise<void> {
    publish(await modelCache());
  }

  async function clearModelCache(): Promise<void> {
    const c = await modelCache();
    useModelCacheStore.getState().patch({ busy: true });
    const before = c.usage();
    try {
      await c.clear();
      publish(c, { note: `Cleared ${before.blobs} file${before.blobs === 1 ? '' : 's'} (${formatBytes(before.bytes)}): the next load downloads again.` });
    } catch (e) {
      publish(c, { error: `clearing the cache failed: ${message(e)}` });
    }
  }

  async function setModelCacheCap(mib: number): Promise<void> {
    if (!(mib >= MIN_CACHE_MIB && mib <= MAX_CACHE_MIB)) {
      useModelCacheStore.getState().patch({ error: `the cache cap must be between ${MIN_CACHE_MIB} and ${MAX_CACHE_MIB} MiB` });
      return;
    }
    const c = await modelCache();
    storeCapMiB(mib);
    pageCapMiB = mib;
    const evicted = await c.setMaxBytes(mib * MiB);
    publish(c, { error: null, note: evicted.length ? `${evicted.length} least recently used file${evicted.length === 1 ? '' : 's'} evicted to fit ${mib} MiB.` : null });
  }

  /** How many files (and bytes) under a model folder URL the cache holds. */
  async function cachedUnder(folder: string): Promise<{ files: number; bytes: number }> {
    const list = (await modelCache()).urlsUnder(folder);
    return { files: list.length, bytes: list.reduce((a, s) => a + s.size, 0) };
  }

  return { setPageCapMiB, modelCache, refreshModelCache, clearModelCache, setModelCacheCap, cachedUnder };
}
