/**
 * A content-addressed cache of model files in the browser (Cache Storage), with an in-memory store for Node and for
 * pages without Cache Storage. React-free.
 *
 *  - Blobs are keyed by the sha256 of their bytes; a blob is verified (re-hashed) every time it is read, and a blob
 *    whose bytes no longer hash to its key is dropped with a message saying so (the caller then downloads again).
 *  - An index maps a source (a URL, or a local file's name + size + lastModified) to the hash of the bytes it gave
 *    last time and the HTTP validators it came with (ETag, Last-Modified, Content-Length).
 *  - The cache is bounded: least-recently-used blobs are evicted until the total is under the cap (and the sources
 *    pointing at them forgotten). A file larger than the cap is not stored.
 *
 * `cachedFetch(url, …)` (./cachedFetch.ts) is the URL path: with a cached copy whose validators a HEAD request confirms, the bytes come
 * from the cache (no body is downloaded); otherwise the file is downloaded (streamed, capped, progress) and its hash
 * says whether it changed since the cached copy.
 */
import { sha256Hex } from './sha256';
import { formatBytes } from './source';

export interface CacheValidators {
  etag: string | null;
  lastModified: string | null;
  contentLength: number | null;
}

export interface SourceRecord {
  /** `url:<url>` or `file:<name>|<size>|<lastModified>`. */
  key: string;
  hash: string;
  size: number;
  validators: CacheValidators;
  /** Clock value when stored (monotone counter of the index). */
  storedAt: number;
}

export interface BlobRecord {
  hash: string;
  size: number;
  /** Clock value of the last read or write (least recently used = smallest). */
  lastUsed: number;
}

export interface CacheIndex {
  version: 1;
  clock: number;
  blobs: Record<string, BlobRecord>;
  sources: Record<string, SourceRecord>;
  /** Recent models loaded from local files (absent in indexes written before them). */
  locals?: Record<string, LocalModelRecord>;
}

/** A local file of a recent local model: its path in the folder or drop, its blob, and its File identity. */
export interface LocalModelFile {
  path: string;
  sha256: string;
  size: number;
  lastModified: number;
}

/** A model folder loaded from local files, kept so a reload can reopen it from the cache without picking files. */
export interface LocalModelRecord {
  /** The model's key (`local:` + every file's `file:` key, src/engine/localModel.ts `localModelKey`). */
  id: string;
  /** The folder's name, or a label of loose files. */
  name: string;
  files: LocalModelFile[];
  bytes: number;
  /** Date.now() when stored. */
  savedAt: number;
  /** Index clock when stored or last reopened (most recent first in the list). */
  used: number;
}

export type LocalReadResult = { ok: true; record: LocalModelRecord; bytes: Map<string, Uint8Array> } | { ok: false; reason: string };

/** Where the bytes and the index live. */
export interface CacheStore {
  readonly kind: 'cache-storage' | 'memory';
  getBlob(hash: string): Promise<Uint8Array | null>;
  putBlob(hash: string, bytes: Uint8Array): Promise<void>;
  deleteBlob(hash: string): Promise<void>;
  readIndex(): Promise<string | null>;
  writeIndex(json: string): Promise<void>;
  /** The hashes of every stored blob (to find blobs no index entry points at). */
  listBlobs(): Promise<string[]>;
  clear(): Promise<void>;
}

/** Blobs in a Map (tests reach in to corrupt one). */
export interface MemoryStore extends CacheStore {
  readonly blobs: Map<string, Uint8Array>;
  index: string | null;
}

export function memoryStore(): MemoryStore {
  const blobs = new Map<string, Uint8Array>();
  const s: MemoryStore = {
    kind: 'memory',
    blobs,
    index: null,
    async getBlob(hash) { return blobs.get(hash) ?? null; },
    async putBlob(hash, bytes) { blobs.set(hash, bytes.slice()); },
    async deleteBlob(hash) { blobs.delete(hash); },
    async readIndex() { return s.index; },
    async writeIndex(json) { s.index = json; },
    async listBlobs() { return [...blobs.keys()]; },
    async clear() { blobs.clear(); s.index = null; },
  };
  return s;
}

export const CACHE_STORAGE_NAME = 'aos-model-cache-v1';

/**
 * Cache Storage (window or worker; secure contexts only). Entries live under synthetic same-origin URLs that no
 * server answers: `/__aos-model-cache/blob/<sha256>` and `/__aos-model-cache/index.json`.
 */
export function cacheStorageStore(name = CACHE_STORAGE_NAME): CacheStore {
  const origin = (globalThis as { location?: Location }).location?.origin ?? 'http://localhost';
  const url = (p: string) => `${origin}/__aos-model-cache/${p}`;
  const open = () => caches.open(name);
  return {
    kind: 'cache-storage',
    async getBlob(hash) {
      const r = await (await open()).match(url(`blob/${hash}`));
      return r ? new Uint8Array(await r.arrayBuffer()) : null;
    },
    async putBlob(hash, bytes) {
      await (await open()).put(url(`blob/${hash}`), new Response(bytes as Uint8Array<ArrayBuffer>, { headers: { 'content-type': 'application/octet-stream' } }));
    },
    async deleteBlob(hash) { await (await open()).delete(url(`blob/${hash}`)); },
    async readIndex() {
      const r = await (await open()).match(url('index.json'));
      return r ? r.text() : null;
    },
    async writeIndex(json) {
      await (await open()).put(url('index.json'), new Response(json, { headers: { 'content-type': 'application/json' } }));
    },
    async listBlobs() {
      const prefix = url('blob/');
      return (await (await open()).keys()).map((r) => r.url).filter((u) => u.startsWith(prefix)).map((u) => u.slice(prefix.length));
    },
    async clear() { await caches.delete(name); },
  };
}

/** Cache Storage where the page has it, else memory (lost on reload; the UI says which). */
export function defaultStore(): CacheStore {
  return typeof caches !== 'undefined' && typeof caches.open === 'function' ? cacheStorageStore() : memoryStore();
}

export const DEFAULT_CACHE_BYTES = 1024 ** 3;

export const urlSourceKey = (url: string): string => `url:${url}`;
export const fileSourceKey = (name: string, f: { size: number; lastModified: number }): string => `file:${name}|${f.size}|${f.lastModified}`;

export type ReadResult = { ok: true; bytes: Uint8Array } | { ok: false; reason: string };

export interface PutResult {
  hash: string;
  stored: boolean;
  /** Hashes evicted to make room. */
  evicted: string[];
  /** Why the bytes were not stored (larger than the cap, storage refused them). */
  note?: string;
}

export interface CacheUsage {
  kind: CacheStore['kind'];
  bytes: number;
  blobs: number;
  sources: number;
  maxBytes: number;
  /** Why the last index write failed (the cache then works for this page but forgets on reload); null when it succeeded. */
  indexWriteError: string | null;
  /** Blobs found in storage with no index entry (a write interrupted or refused), deleted when the cache opened. */
  orphansRemoved: number;
}

const emptyIndex = (): CacheIndex => ({ version: 1, clock: 0, blobs: {}, sources: {} });

function parseIndex(json: string | null): CacheIndex {
  if (!json) return emptyIndex();
  try {
    const x = JSON.parse(json) as CacheIndex;
    if (x && x.version === 1 && typeof x.clock === 'number' && x.blobs && x.sources) return x;
  } catch { /* a broken index is replaced */ }
  return emptyIndex();
}

export class ModelCache {
  private writes: Promise<void> = Promise.resolve();

  private constructor(readonly store: CacheStore, private index: CacheIndex, private cap: number) {}

  static async open(store: CacheStore = defaultStore(), options: { maxBytes?: number } = {}): Promise<ModelCache> {
    const maxBytes = options.maxBytes ?? DEFAULT_CACHE_BYTES;
    if (!(maxBytes >= 0)) throw new RangeError(`maxBytes must be ≥ 0, got ${maxBytes}`);
    const c = new ModelCache(store, parseIndex(await store.readIndex()), maxBytes);
    await c.removeOrphans();
    if (c.totalBytes() > maxBytes) await c.evict(maxBytes, null);
    return c;
  }

  get maxBytes(): number { return this.cap; }

  private totalBytes(): number {
    let n = 0;
    for (const b of Object.values(this.index.blobs)) n += b.size;
    return n;
  }

  usage(): CacheUsage {
    return {
      kind: this.store.kind, bytes: this.totalBytes(), blobs: Object.keys(this.index.blobs).length, sources: Object.keys(this.index.sources).length,
      maxBytes: this.cap, indexWriteError: this.indexWriteError, orphansRemoved: this.orphansRemoved,
    };
  }

  /** Blob hashes from least to most recently used. */
  lruOrder(): string[] {
    return Object.values(this.index.blobs).sort((a, b) => a.lastUsed - b.lastUsed).map((b) => b.hash);
  }

  source(key: string): SourceRecord | null {
    const r = this.index.sources[key];
    return r && this.index.blobs[r.hash] ? r : null;
  }

  has(hash: string): boolean { return !!this.index.blobs[hash]; }

  /** Cached URL sources under a folder URL (e.g. a model folder), with their sizes. */
  urlsUnder(folder: string): SourceRecord[] {
    const prefix = urlSourceKey(folder.endsWith('/') ? folder : `${folder}/`);
    return Object.values(this.index.sources).filter((s) => s.key.startsWith(prefix) && this.index.blobs[s.hash]);
  }

  private indexWriteError: string | null = null;
  private orphansRemoved = 0;

  /**
   * Writes the index (serialised: one write at a time, in order). A failure (quota, storage revoked) does not fail
   * the load that caused it — the bytes are in hand — but is kept in `usage().indexWriteError` for the UI, and the
   * blobs it leaves unindexed are removed at the next open (`removeOrphans`).
   */
  private persist(): Promise<void> {
    const json = JSON.stringify(this.index);
    this.writes = this.writes.then(() => this.store.writeIndex(json)).then(
      () => { this.indexWriteError = null; },
      (e: unknown) => { this.indexWriteError = `the cache index could not be saved (${String((e as Error)?.message ?? e).slice(0, 200)}): cached files will be downloaded again after a reload`; },
    );
    return this.writes;
  }

  /** Deletes stored blobs that no index entry points at: they take space and can never be read. */
  private async removeOrphans(): Promise<void> {
    let hashes: string[];
    try { hashes = await this.store.listBlobs(); } catch { return; }
    for (const h of hashes) {
      if (this.index.blobs[h]) continue;
      await this.store.deleteBlob(h).then(() => { this.orphansRemoved++; }, () => undefined);
    }
  }

  private async drop(hash: string): Promise<void> {
    delete this.index.blobs[hash];
    for (const [k, s] of Object.entries(this.index.sources)) if (s.hash === hash) delete this.index.sources[k];
    await this.store.deleteBlob(hash).catch(() => undefined);
  }

  /** Evicts least-recently-used blobs (never `keep`) until the total is at most `limit`. */
  private async evict(limit: number, keep: string | null): Promise<string[]> {
    const out: string[] = [];
    let total = this.totalBytes();
    for (const hash of this.lruOrder()) {
      if (total <= limit) break;
      if (hash === keep) continue;
      total -= this.index.blobs[hash].size;
      await this.drop(hash);
      out.push(hash);
    }
    if (out.length) await this.persist();
    return out;
  }

  /** A new cap; evicts down to it. */
  async setMaxBytes(maxBytes: number): Promise<string[]> {
    if (!(maxBytes >= 0)) throw new RangeError(`maxBytes must be ≥ 0, got ${maxBytes}`);
    this.cap = maxBytes;
    return this.evict(maxBytes, null);
  }

  /** The bytes of a blob, verified against their hash; a corrupted or missing blob is dropped and said so. */
  async read(hash: string): Promise<ReadResult> {
    const rec = this.index.blobs[hash];
    if (!rec) return { ok: false, reason: `sha256 ${hash.slice(0, 12)}… is not in the cache` };
    let bytes: Uint8Array | null;
    try {
      bytes = await this.store.getBlob(hash);
    } catch (e) {
      await this.drop(hash);
      await this.persist();
      return { ok: false, reason: `the cached copy (sha256 ${hash.slice(0, 12)}…) could not be read (${(e as Error)?.message ?? e})` };
    }
    if (!bytes) {
      await this.drop(hash);
      await this.persist();
      return { ok: false, reason: `the cached copy (sha256 ${hash.slice(0, 12)}…) has disappeared from browser storage` };
    }
    const actual = await sha256Hex(bytes);
    if (actual !== hash || bytes.byteLength !== rec.size) {
      await this.drop(hash);
      await this.persist();
      return { ok: false, reason: `the cached copy is corrupted: its ${formatBytes(bytes.byteLength)} hash to sha256 ${actual.slice(0, 12)}…, not the ${hash.slice(0, 12)}… they were stored under (${formatBytes(rec.size)}); it was removed` };
    }
    rec.lastUsed = ++this.index.clock;
    await this.persist();
    return { ok: true, bytes };
  }

  /** Stores bytes under their hash and points `key` at them (evicting least-recently-used blobs to fit). */
  async put(key: string, bytes: Uint8Array, validators: Partial<CacheValidators> = {}, hash?: string): Promise<PutResult> {
    const h = hash ?? await sha256Hex(bytes);
    const v: CacheValidators = { etag: validators.etag ?? null, lastModified: validators.lastModified ?? null, contentLength: validators.contentLength ?? null };
    if (bytes.byteLength > this.cap) {
      // Not stored; an older copy under this key is stale now.
      if (this.index.sources[key]) { delete this.index.sources[key]; await this.persist(); }
      return { hash: h, stored: false, evicted: [], note: `not cached: ${formatBytes(bytes.byteLength)} is more than the cache cap of ${formatBytes(this.cap)}` };
    }
    const clock = ++this.index.clock;
    if (!this.index.blobs[h]) {
      try {
        await this.store.putBlob(h, bytes);
      } catch (e) {
        return { hash: h, stored: false, evicted: [], note: `not cached: browser storage refused ${formatBytes(bytes.byteLength)} (${(e as Error)?.message ?? e})` };
      }
      this.index.blobs[h] = { hash: h, size: bytes.byteLength, lastUsed: clock };
    } else {
      this.index.blobs[h].lastUsed = clock;
    }
    this.index.sources[key] = { key, hash: h, size: bytes.byteLength, validators: v, storedAt: clock };
    const evicted = await this.evict(this.cap, h);
    await this.persist();
    return { hash: h, stored: true, evicted };
  }

  /** Recent local models whose blobs are all in the cache, most recently used first. */
  localModels(): LocalModelRecord[] {
    return Object.values(this.index.locals ?? {})
      .filter((r) => r.files.every((f) => this.index.blobs[f.sha256]))
      .sort((a, b) => b.used - a.used);
  }

  /**
   * Records a local model whose files were stored (`put` under their `file:` keys). Not recorded (null) when a file's
   * blob is not in the cache (over the cap, refused by storage).
   */
  async putLocalModel(r: Omit<LocalModelRecord, 'used' | 'bytes'>, limit = 8): Promise<LocalModelRecord | null> {
    if (!r.files.every((f) => this.index.blobs[f.sha256])) return null;
    const locals = (this.index.locals ??= {});
    const rec: LocalModelRecord = { ...r, files: r.files.map((f) => ({ ...f })), bytes: r.files.reduce((a, f) => a + f.size, 0), used: ++this.index.clock };
    locals[r.id] = rec;
    for (const old of Object.values(locals).sort((a, b) => b.used - a.used).slice(limit)) delete locals[old.id];
    await this.persist();
    return rec;
  }

  /**
   * A recent local model's bytes (path → bytes), every blob verified against its sha256. A missing or corrupted blob
   * drops the entry (and that blob) and says which file; nothing else changes.
   */
  async readLocalModel(id: string): Promise<LocalReadResult> {
    const rec = this.index.locals?.[id];
    if (!rec) return { ok: false, reason: 'this local model is no longer in the cache' };
    const bytes = new Map<string, Uint8Array>();
    for (const f of rec.files) {
      const r = await this.read(f.sha256);
      if (!r.ok) {
        await this.forgetLocalModel(id);
        return { ok: false, reason: `${f.path}: ${r.reason}. "${rec.name}" was removed from the recent local models: open its files again` };
      }
      bytes.set(f.path, r.bytes);
    }
    rec.used = ++this.index.clock;
    await this.persist();
    return { ok: true, record: rec, bytes };
  }

  /** Removes a recent local model (its blobs stay until evicted or cleared: other entries may share them). */
  async forgetLocalModel(id: string): Promise<boolean> {
    if (!this.index.locals?.[id]) return false;
    delete this.index.locals[id];
    await this.persist();
    return true;
  }

  async forget(key: string): Promise<void> {
    if (this.index.sources[key]) {
      delete this.index.sources[key];
      await this.persist();
    }
  }

  /** Empties the cache (blobs and index). */
  async clear(): Promise<void> {
    this.index = emptyIndex();
    await this.writes;
    await this.store.clear();
  }
}
