/**
 * The content-addressed model cache (src/models/cache.ts) on its in-memory store: hit, miss, a changed file noticed
 * by its new hash, revalidation by ETag and by Last-Modified, LRU eviction under the byte cap, a corrupted entry
 * refetched with a message, the index surviving a reopen, and a file larger than the cap not stored.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { memoryStore, ModelCache, urlSourceKey, type MemoryStore } from '../../src/models/cache';
import { cachedFetch, sameVersion } from '../../src/models/cachedFetch';
import { ModelLoadError } from '../../src/models/errors';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function randomBytes(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (Math.random() * 256) | 0;
  return b;
}

interface Served { bytes: Uint8Array; etag?: string; lastModified?: string }

/** A fake server: files by URL, every request logged as `METHOD url`. */
function server(files: Map<string, Served>) {
  const log: string[] = [];
  const f = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input);
    const method = init?.method ?? 'GET';
    log.push(`${method} ${url}`);
    const s = files.get(url);
    if (!s) return new Response('not found', { status: 404 });
    const headers: Record<string, string> = { 'content-length': String(s.bytes.byteLength) };
    if (s.etag) headers.etag = s.etag;
    if (s.lastModified) headers['last-modified'] = s.lastModified;
    return new Response(method === 'HEAD' ? null : (s.bytes.slice() as Uint8Array<ArrayBuffer>), { status: 200, headers });
  }) as typeof fetch;
  return { fetch: f, log, gets: (url: string) => log.filter((l) => l === `GET ${url}`).length };
}

const U = 'https://models.test/clip/onnx/vision_model.onnx';

describe('ModelCache', () => {
  it('miss downloads and stores by sha256; a reload (reopened index) is a hit with no GET', async () => {
    const bytes = randomBytes(5000);
    const srv = server(new Map([[U, { bytes, etag: '"v1"' }]]));
    const store = memoryStore();
    const cache = await ModelCache.open(store);
    const a = await cachedFetch(U, { cache, maxBytes: 1e6, fetch: srv.fetch });
    expect(a.status).toBe('miss');
    expect(a.from).toBe('network');
    expect(a.sha256).toBe(sha(bytes));
    expect(store.blobs.has(sha(bytes))).toBe(true);
    expect(cache.source(urlSourceKey(U))?.validators.etag).toBe('"v1"');

    const reopened = await ModelCache.open(store);
    const progress: number[] = [];
    const b = await cachedFetch(U, { cache: reopened, maxBytes: 1e6, fetch: srv.fetch, onProgress: (n) => progress.push(n) });
    expect(b.status).toBe('hit');
    expect(b.from).toBe('cache');
    expect(b.requests).toEqual(['HEAD']);
    expect(Array.from(b.bytes)).toEqual(Array.from(bytes));
    expect(srv.gets(U)).toBe(1);
    expect(progress.at(-1)).toBe(5000);
    expect(reopened.urlsUnder('https://models.test/clip').map((r) => r.key)).toEqual([urlSourceKey(U)]);
    expect(reopened.urlsUnder('https://models.test/cli/')).toEqual([]);
  });

  it('a changed file on the server is noticed: new hash, message, and the new bytes are cached', async () => {
    const v1 = randomBytes(3000), v2 = randomBytes(3000);
    const files = new Map([[U, { bytes: v1, etag: '"v1"' } as Served]]);
    const srv = server(files);
    const cache = await ModelCache.open(memoryStore());
    await cachedFetch(U, { cache, maxBytes: 1e6, fetch: srv.fetch });
    files.set(U, { bytes: v2, etag: '"v2"' });
    const r = await cachedFetch(U, { cache, maxBytes: 1e6, fetch: srv.fetch });
    expect(r.status).toBe('changed');
    expect(r.from).toBe('network');
    expect(r.previousHash).toBe(sha(v1));
    expect(r.sha256).toBe(sha(v2));
    expect(r.message).toMatch(/changed on the server since it was cached: sha256 [0-9a-f]{12}… → [0-9a-f]{12}…/);
    expect(cache.source(urlSourceKey(U))?.hash).toBe(sha(v2));
    const again = await cachedFetch(U, { cache, maxBytes: 1e6, fetch: srv.fetch });
    expect(again.status).toBe('hit');
    expect(again.sha256).toBe(sha(v2));
  });

  it('Last-Modified + size revalidate when there is no ETag; without validators it downloads and compares hashes', async () => {
    const bytes = randomBytes(1000);
    const files = new Map([[U, { bytes, lastModified: 'Wed, 25 Nov 2026 10:00:00 GMT' } as Served]]);
    const srv = server(files);
    const cache = await ModelCache.open(memoryStore());
    await cachedFetch(U, { cache, maxBytes: 1e6, fetch: srv.fetch });
    expect((await cachedFetch(U, { cache, maxBytes: 1e6, fetch: srv.fetch })).status).toBe('hit');
    files.set(U, { bytes, lastModified: 'Wed, 25 Nov 2026 11:00:00 GMT' });
    const touched = await cachedFetch(U, { cache, maxBytes: 1e6, fetch: srv.fetch });
    expect(touched.status).toBe('unchanged');
    expect(touched.from).toBe('network');
    // No validators: never a HEAD, always a GET, and the hash says whether it changed.
    files.set(U, { bytes });
    const cache2 = await ModelCache.open(memoryStore());
    await cachedFetch(U, { cache: cache2, maxBytes: 1e6, fetch: srv.fetch });
    const r = await cachedFetch(U, { cache: cache2, maxBytes: 1e6, fetch: srv.fetch });
    expect(r.requests).toEqual(['GET']);
    expect(r.status).toBe('unchanged');
    expect(sameVersion({ etag: '"a"', lastModified: null, contentLength: 5 }, { etag: '"a"', lastModified: null, contentLength: 6 })).toBe(false);
    expect(sameVersion({ etag: null, lastModified: null, contentLength: 5 }, { etag: null, lastModified: null, contentLength: 5 })).toBe(null);
  });

  it('evicts least-recently-used blobs to stay under the byte cap', async () => {
    const store = memoryStore();
    const cache = await ModelCache.open(store, { maxBytes: 2500 });
    const a = randomBytes(1000), b = randomBytes(1000), c = randomBytes(1000);
    await cache.put('url:a', a);
    await cache.put('url:b', b);
    expect((await cache.read(sha(a))).ok).toBe(true); // a is now more recent than b
    const put = await cache.put('url:c', c);
    expect(put.evicted).toEqual([sha(b)]);
    expect(cache.usage()).toMatchObject({ bytes: 2000, blobs: 2, sources: 2, maxBytes: 2500 });
    expect(cache.source('url:b')).toBe(null);
    expect(store.blobs.has(sha(b))).toBe(false);
    expect(cache.lruOrder()).toEqual([sha(a), sha(c)]);
    // Lowering the cap evicts down to it; a file larger than the cap is not stored.
    expect(await cache.setMaxBytes(1000)).toEqual([sha(a)]);
    const big = await cache.put('url:big', randomBytes(1001));
    expect(big.stored).toBe(false);
    expect(big.note).toMatch(/more than the cache cap/);
    expect(cache.usage().bytes).toBe(1000);
    // The same bytes under two sources are stored once.
    await cache.put('url:c2', c);
    expect(cache.usage()).toMatchObject({ blobs: 1, sources: 2 });
    await cache.clear();
    expect(cache.usage()).toMatchObject({ bytes: 0, blobs: 0, sources: 0 });
    expect(store.blobs.size).toBe(0);
  });

  it('a corrupted entry is detected on read, dropped, and refetched with a clear message', async () => {
    const bytes = randomBytes(4000);
    const srv = server(new Map([[U, { bytes, etag: '"v1"' }]]));
    const store: MemoryStore = memoryStore();
    const cache = await ModelCache.open(store);
    await cachedFetch(U, { cache, maxBytes: 1e6, fetch: srv.fetch });
    const stored = store.blobs.get(sha(bytes))!;
    stored[100] ^= 0xff; // one flipped byte in browser storage
    const r = await cachedFetch(U, { cache, maxBytes: 1e6, fetch: srv.fetch });
    expect(r.status).toBe('corrupted');
    expect(r.from).toBe('network');
    expect(r.requests).toEqual(['HEAD', 'GET']);
    expect(r.message).toMatch(/vision_model\.onnx: the cached copy is corrupted: .* hash to sha256 [0-9a-f]{12}…, not the [0-9a-f]{12}… they were stored under .*; downloaded again/);
    expect(Array.from(r.bytes)).toEqual(Array.from(bytes));
    // Stored again intact: the next load is a hit.
    expect((await cachedFetch(U, { cache, maxBytes: 1e6, fetch: srv.fetch })).status).toBe('hit');
    // A blob missing from storage (e.g. cleared by the browser) is also refetched.
    store.blobs.clear();
    const gone = await cachedFetch(U, { cache, maxBytes: 1e6, fetch: srv.fetch });
    expect(gone.status).toBe('corrupted');
    expect(gone.message).toMatch(/disappeared from browser storage/);
  });

  it('errors: 404 is missing-file, the size cap holds for cached and downloaded bytes', async () => {
    const bytes = randomBytes(2000);
    const srv = server(new Map([[U, { bytes, etag: '"v1"' }]]));
    const cache = await ModelCache.open(memoryStore());
    const e = await cachedFetch('https://models.test/clip/nothing.json', { cache, maxBytes: 1e6, fetch: srv.fetch }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ModelLoadError);
    expect((e as ModelLoadError).code).toBe('missing-file');
    await expect(cachedFetch(U, { cache, maxBytes: 1000, fetch: srv.fetch })).rejects.toThrow(/size cap/);
    await cachedFetch(U, { cache, maxBytes: 1e6, fetch: srv.fetch });
    await expect(cachedFetch(U, { cache, maxBytes: 1000, fetch: srv.fetch })).rejects.toThrow(/size cap/);
  });
});

describe('ModelCache: redirects, index writes, orphans (issue #17)', () => {
  /** A fetch whose answers come from `to` (the URL a redirect ended at). */
  const redirecting = (bytes: Uint8Array, to: string) => (async () => {
    const res = new Response(bytes.slice() as Uint8Array<ArrayBuffer>, { status: 200, headers: { 'content-length': String(bytes.byteLength) } });
    Object.defineProperty(res, 'url', { value: to });
    return res;
  }) as unknown as typeof fetch;

  it('a redirect is held to the host policy: an https CDN hop passes; http, or a remote host sending to this machine, is refused', async () => {
    const bytes = randomBytes(100);
    const ok = await cachedFetch(U, { cache: await ModelCache.open(memoryStore()), maxBytes: 1e6, fetch: redirecting(bytes, 'https://cdn.models.test/blobs/abc') });
    expect(ok.bytes).toEqual(bytes);
    for (const [to, why] of [['http://evil.test/clip.onnx', /plain http/], ['http://127.0.0.1:8080/admin', /redirected to this machine/], ['https://user:pw@cdn.test/x', /credentials/], ['file:///etc/passwd', /must use https/]] as const) {
      const cache = await ModelCache.open(memoryStore());
      const e = await cachedFetch(U, { cache, maxBytes: 1e6, fetch: redirecting(bytes, to) }).catch((x: unknown) => x);
      expect(e, to).toBeInstanceOf(ModelLoadError);
      expect(String((e as Error).message), to).toMatch(why);
      expect(String((e as Error).message), to).toContain('redirected to');
      expect(cache.usage().blobs, `${to}: nothing is cached`).toBe(0);
    }
  });

  it('an index write that fails is reported (not swallowed), and clears when a later write succeeds', async () => {
    const store = memoryStore();
    let fail = true;
    const flaky = { ...store, async writeIndex(json: string) { if (fail) throw new Error('QuotaExceededError'); store.index = json; } };
    const cache = await ModelCache.open(flaky);
    const put = await cache.put(urlSourceKey(U), randomBytes(50));
    expect(put.stored).toBe(true);
    expect(cache.usage().indexWriteError).toMatch(/index could not be saved \(QuotaExceededError\).*downloaded again after a reload/);
    fail = false;
    await cache.put(urlSourceKey(`${U}.2`), randomBytes(60));
    expect(cache.usage().indexWriteError).toBeNull();
  });

  it('blobs no index entry points at (an interrupted or refused index write) are deleted when the cache opens', async () => {
    const store: MemoryStore = memoryStore();
    const cache = await ModelCache.open(store);
    const kept = await cache.put(urlSourceKey(U), randomBytes(70));
    const orphan = randomBytes(80);
    store.blobs.set(sha(orphan), orphan.slice()); // stored, but the index write that would list it never happened
    const reopened = await ModelCache.open(store);
    expect(reopened.usage().orphansRemoved).toBe(1);
    expect([...store.blobs.keys()]).toEqual([kept.hash]);
    expect((await reopened.read(kept.hash)).ok).toBe(true);
  });
});
