/**
 * A cache of one entry (no React, no stores): `get(key, build)` returns the entry of `key`, building it (once, even
 * for calls that overlap) when the cache holds another key or nothing; the entry it replaces is released. For what
 * is costly to build and holds GPU memory — the Subspaces panel's frozen `FineTuneModel` (its gradient graphs) and
 * probe (src/engine/geometry.ts) — so a second measurement of the same model reuses them, and at most one is held.
 *
 * `clear()` releases the entry (the model changed, the GPU device was lost); a build that fails caches nothing.
 * `builds` / `releases` count what it did (tests and e2e read them: a second `get` of the same key builds nothing).
 */
export class SingleCache<V> {
  private entry: { key: string; value: Promise<V> } | null = null;
  builds = 0;
  releases = 0;

  constructor(private readonly release: (v: V) => void | Promise<void> = () => undefined) {}

  /** The key held now (null: none). */
  get key(): string | null {
    return this.entry?.key ?? null;
  }

  /** The entry of `key`: the cached one, or `build()`'s (the previous entry released first). */
  get(key: string, build: () => Promise<V>): Promise<V> {
    if (this.entry?.key === key) return this.entry.value;
    void this.clear();
    this.builds++;
    const value = build();
    const entry = { key, value };
    this.entry = entry;
    value.catch(() => {
      if (this.entry === entry) this.entry = null;
    });
    return value;
  }

  /** Releases the entry held (if any); resolves when its release has run (errors ignored). */
  async clear(): Promise<void> {
    const e = this.entry;
    if (!e) return;
    this.entry = null;
    let v: V;
    try {
      v = await e.value;
    } catch {
      return; // never built: nothing to release
    }
    this.releases++;
    try {
      await this.release(v);
    } catch {
      // a lost device's buffers are gone already
    }
  }
}
