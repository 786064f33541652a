/**
 * The model cache's cap, a browser preference kept in the page's localStorage (`aos.modelCache.maxMiB`): read and
 * written on the page, handed to the engine Worker (which has no localStorage) when it starts and on every change.
 */
export const CAP_KEY = 'aos.modelCache.maxMiB';
export const MIN_CACHE_MIB = 1;
export const MAX_CACHE_MIB = 65_536;

/** The cap stored in this browser, in MiB (null: none, invalid, or no localStorage here). */
export function storedCapMiB(): number | null {
  try {
    const v = Number(globalThis.localStorage?.getItem(CAP_KEY) ?? NaN);
    if (Number.isFinite(v) && v >= MIN_CACHE_MIB && v <= MAX_CACHE_MIB) return v;
  } catch { /* no localStorage */ }
  return null;
}

/** Stores the cap (a no-op where there is no localStorage: the Worker, where the page stores it). */
export function storeCapMiB(mib: number): void {
  try { globalThis.localStorage?.setItem(CAP_KEY, String(mib)); } catch { /* not persisted */ }
}
