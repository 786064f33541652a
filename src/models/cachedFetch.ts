/**
 * The model cache's URL path (./cache.ts): with a cached copy whose validators a HEAD request confirms, the bytes
 * come from the cache (no body is downloaded); otherwise the file is downloaded (streamed, capped, progress) and its
 * hash says whether it changed since the cached copy.
 */
import { ModelLoadError } from './errors';
import { sha256Hex } from './sha256';
import { checkRedirect, formatBytes, readStream } from './source';
import { urlSourceKey, type CacheValidators, type ModelCache } from './cache';

export function validatorsOf(res: Response): CacheValidators {
  const n = res.headers.get('content-encoding') ? NaN : Number(res.headers.get('content-length') ?? NaN);
  return {
    etag: res.headers.get('etag'),
    lastModified: res.headers.get('last-modified'),
    contentLength: Number.isFinite(n) && n >= 0 ? n : null,
  };
}

/**
 * Whether a HEAD response describes the same version of the file as the cached copy: the same ETag when both have
 * one, else the same Last-Modified and Content-Length. Null: the validators cannot tell.
 */
export function sameVersion(cached: CacheValidators, now: CacheValidators): boolean | null {
  if (cached.etag && now.etag) return cached.etag === now.etag && (cached.contentLength === null || now.contentLength === null || cached.contentLength === now.contentLength);
  if (cached.lastModified && now.lastModified) {
    return cached.lastModified === now.lastModified && (cached.contentLength === null || now.contentLength === null || cached.contentLength === now.contentLength);
  }
  return null;
}

export type CachedFetchStatus =
  /** From the cache: the server confirmed the cached version (HEAD validators). */
  | 'hit'
  /** Not cached before: downloaded. */
  | 'miss'
  /** Downloaded; its bytes differ from the cached copy (a new hash). */
  | 'changed'
  /** Downloaded (the validators could not confirm the cached copy), and the bytes are the cached ones. */
  | 'unchanged'
  /** The cached copy failed its check: downloaded again. */
  | 'corrupted';

export interface CachedFetchResult {
  url: string;
  bytes: Uint8Array;
  sha256: string;
  from: 'cache' | 'network';
  status: CachedFetchStatus;
  /** Hash of the cached copy this replaced ('changed') or that failed ('corrupted'). */
  previousHash?: string;
  /** One line for the user (changed, corrupted, not cached, evicted). */
  message?: string;
  /** Requests made: 'HEAD' and/or 'GET'. */
  requests: Array<'HEAD' | 'GET'>;
}

export interface CachedFetchOptions {
  /** Null: no cache (plain download). */
  cache: ModelCache | null;
  /** Size cap for this file (bytes). */
  maxBytes: number;
  fetch?: typeof fetch;
  signal?: AbortSignal;
  onProgress?: (loaded: number, total: number | null) => void;
  /** Name for messages (default: the URL's last path segments). */
  name?: string;
}

/**
 * Fetches `url` through the cache: HEAD to revalidate a cached copy (kept when its ETag, or Last-Modified and size,
 * are unchanged), else GET (streamed, capped, no credentials) and store under the bytes' hash. 404/410 throw
 * ModelLoadError('missing-file'), other statuses 'http'.
 */
export async function cachedFetch(url: string, o: CachedFetchOptions): Promise<CachedFetchResult> {
  const f = o.fetch ?? globalThis.fetch.bind(globalThis);
  const name = o.name ?? url;
  const init: RequestInit = { credentials: 'omit', redirect: 'follow', referrerPolicy: 'no-referrer', cache: 'no-store', signal: o.signal };
  const key = urlSourceKey(url);
  const rec = o.cache?.source(key) ?? null;
  const requests: CachedFetchResult['requests'] = [];
  let corrupted: string | null = null;
  const call = async (method: 'HEAD' | 'GET'): Promise<Response> => {
    requests.push(method);
    let res: Response;
    try {
      res = await f(url, { ...init, method });
    } catch (e) {
      if (o.signal?.aborted) throw new ModelLoadError('aborted', `${name}: aborted`, name);
      throw new ModelLoadError('http', `${name}: could not reach ${url} (${(e as Error)?.message ?? e})`, name);
    }
    // Where a redirect ended is held to the host policy of the URL asked for (src/models/source.ts checkRedirect):
    // a hub's CDN hop passes; a jump to http, or from a remote host to this machine, does not.
    if (res.url && res.url !== url) {
      try {
        checkRedirect(url, res.url);
      } catch (e) {
        await res.body?.cancel().catch(() => undefined);
        throw new ModelLoadError('http', `${name}: ${url} redirected to ${res.url.slice(0, 200)}, which the model host policy refuses (${(e as Error)?.message ?? e})`, name);
      }
    }
    return res;
  };

  if (rec && o.cache && (rec.validators.etag || rec.validators.lastModified)) {
    const head = await call('HEAD');
    if (head.ok && sameVersion(rec.validators, validatorsOf(head))) {
      const r = await o.cache.read(rec.hash);
      if (r.ok) {
        if (r.bytes.byteLength > o.maxBytes) throw new ModelLoadError('too-large', `${name} is ${formatBytes(r.bytes.byteLength)}, over the size cap of ${formatBytes(o.maxBytes)}`, name);
        o.onProgress?.(r.bytes.byteLength, r.bytes.byteLength);
        return { url, bytes: r.bytes, sha256: rec.hash, from: 'cache', status: 'hit', requests };
      }
      corrupted = r.reason;
    }
  }

  const res = await call('GET');
  if (res.status === 404 || res.status === 410) {
    await res.body?.cancel().catch(() => undefined);
    throw new ModelLoadError('missing-file', `${name} is missing: ${url} answered ${res.status}`, name);
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined);
    throw new ModelLoadError('http', `${name}: ${url} answered HTTP ${res.status} ${res.statusText}`.trim(), name);
  }
  const v = validatorsOf(res);
  const bytes = res.body
    ? await readStream(res.body, name, url, v.contentLength, { maxBytes: o.maxBytes, signal: o.signal, onProgress: o.onProgress })
    : new Uint8Array(await res.arrayBuffer());
  if (bytes.byteLength > o.maxBytes) throw new ModelLoadError('too-large', `${name} is ${formatBytes(bytes.byteLength)}, over the size cap of ${formatBytes(o.maxBytes)}`, name);
  const hash = await sha256Hex(bytes);
  const notes: string[] = [];
  let status: CachedFetchStatus = 'miss';
  let previousHash: string | undefined;
  if (corrupted) {
    status = 'corrupted';
    previousHash = rec!.hash;
    notes.push(`${name}: ${corrupted}; downloaded again`);
  } else if (rec) {
    previousHash = rec.hash;
    status = rec.hash === hash ? 'unchanged' : 'changed';
    if (status === 'changed') notes.push(`${name} changed on the server since it was cached: sha256 ${rec.hash.slice(0, 12)}… → ${hash.slice(0, 12)}…`);
  }
  if (o.cache) {
    const put = await o.cache.put(key, bytes, v, hash);
    if (put.note) notes.push(`${name}: ${put.note}`);
    if (put.evicted.length) notes.push(`${put.evicted.length} older cached file${put.evicted.length === 1 ? '' : 's'} evicted to stay under the cache cap`);
  }
  return { url, bytes, sha256: hash, from: 'network', status, previousHash, message: notes.length ? notes.join('; ') : undefined, requests };
}
