/**
 * Where a model folder's files come from: one interface over a URL base (a hub path such as
 * https://huggingface.co/<org>/<name>/resolve/main/), local files (a FileList / File[] from a picker or a drop) and
 * an in-memory Map of name → bytes. Node adds a directory (source.node.ts). Names are folder-relative paths in the
 * transformers.js layout ('config.json', 'onnx/vision_model.onnx').
 */
import { ModelLoadError } from './errors';

export interface FileStat {
  name: string;
  /** Bytes, or null when the source cannot tell before downloading (no content-length). */
  size: number | null;
}

export interface ReadOptions {
  /** Called as bytes arrive: loaded so far and the total when known. */
  onProgress?: (loaded: number, total: number | null) => void;
  /** Abort the read beyond this many bytes (the size cap). */
  maxBytes?: number;
  signal?: AbortSignal;
}

export interface ModelSource {
  readonly kind: 'url' | 'files' | 'map' | 'directory';
  /** For messages: the base URL, the directory, or "N local files". */
  readonly label: string;
  /** Every file name, when the source can list them (local sources); undefined for URLs. */
  list(): Promise<string[] | undefined>;
  /** The file's size, or null when the file does not exist. */
  stat(name: string, signal?: AbortSignal): Promise<FileStat | null>;
  /** The file's bytes, streamed (progress, size cap, abort). Throws ModelLoadError('missing-file') when absent. */
  read(name: string, options?: ReadOptions): Promise<Uint8Array>;
  /** Where the file is, for messages (its URL or path). */
  where(name: string): string;
}

const MiB = 1024 * 1024;

/** Bytes in human units (for messages and the UI). */
export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return 'unknown size';
  if (n < 1024) return `${n} B`;
  if (n < MiB) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 * MiB) return `${(n / MiB).toFixed(1)} MiB`;
  return `${(n / (1024 * MiB)).toFixed(2)} GiB`;
}

function aborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new ModelLoadError('aborted', `${what}: aborted`);
}

function tooLarge(name: string, where: string, size: number, max: number, known: boolean): ModelLoadError {
  return new ModelLoadError('too-large', `${name} (${where}) is ${known ? '' : 'more than '}${formatBytes(size)}, over the size cap of ${formatBytes(max)}; raise maxBytes to load it`, name);
}

/**
 * Reads a byte stream into one array: progress after each chunk, the cap enforced as bytes arrive (a missing or
 * lying content-length cannot get past it), and a stream that ends before the announced length reported as
 * truncated.
 */
export async function readStream(stream: ReadableStream<Uint8Array>, name: string, where: string, total: number | null,
  o: ReadOptions = {}): Promise<Uint8Array> {
  const max = o.maxBytes ?? Infinity;
  if (total !== null && total > max) {
    await stream.cancel().catch(() => undefined);
    throw tooLarge(name, where, total, max, true);
  }
  const reader = stream.getReader();
  let buf = new Uint8Array(total ?? 64 * 1024);
  let loaded = 0;
  o.onProgress?.(0, total);
  try {
    for (;;) {
      if (o.signal?.aborted) throw new ModelLoadError('aborted', `${name}: aborted after ${formatBytes(loaded)}`, name);
      let r: ReadableStreamReadResult<Uint8Array>;
      try {
        r = await reader.read();
      } catch (e) {
        if (o.signal?.aborted) throw new ModelLoadError('aborted', `${name}: aborted after ${formatBytes(loaded)}`, name);
        throw new ModelLoadError('truncated', `${name} (${where}): the transfer broke off after ${formatBytes(loaded)}${total !== null ? ` of ${formatBytes(total)}` : ''} (${(e as Error)?.message ?? e})`, name);
      }
      if (r.done) break;
      const chunk = r.value;
      if (loaded + chunk.length > max) throw tooLarge(name, where, loaded + chunk.length, max, false);
      if (loaded + chunk.length > buf.length) {
        const grown = new Uint8Array(Math.max(buf.length * 2, loaded + chunk.length));
        grown.set(buf.subarray(0, loaded));
        buf = grown;
      }
      buf.set(chunk, loaded);
      loaded += chunk.length;
      o.onProgress?.(loaded, total);
    }
  } catch (e) {
    await reader.cancel().catch(() => undefined);
    throw e;
  } finally {
    reader.releaseLock();
  }
  if (total !== null && loaded < total) {
    throw new ModelLoadError('truncated', `${name} (${where}): received ${formatBytes(loaded)} (${loaded} B) of the announced ${formatBytes(total)} (${total} B); the download is incomplete`, name);
  }
  return loaded === buf.length ? buf : buf.slice(0, loaded);
}

// ---------------------------------------------------------------------------------------------------------------
// URLs

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Checks a model URL: https, or plain http to this machine only (tests, a local server); no credentials. */
export function checkModelUrl(url: string | URL): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ModelLoadError('insecure-url', `'${String(url)}' is not an absolute URL (expected https://…)`);
  }
  if (u.username || u.password) throw new ModelLoadError('insecure-url', `model URLs must not carry credentials (${u.protocol}//…@${u.host})`);
  if (u.protocol === 'https:') return u;
  if (u.protocol === 'http:' && LOCAL_HOSTS.has(u.hostname)) return u;
  if (u.protocol === 'http:') {
    throw new ModelLoadError('insecure-url', `model URLs must use https: ${u.href} is plain http (allowed only for 127.0.0.1 and localhost)`);
  }
  throw new ModelLoadError('insecure-url', `model URLs must use https, got a ${u.protocol} URL (${u.href.slice(0, 80)})`);
}

/**
 * Where a redirect ended, held to the host policy of `checkModelUrl`, plus one rule of its own: a public host may not
 * send the request on to this machine (127.0.0.1, localhost), which a page could not have asked for directly without
 * the user typing it. A hub's hop to its https CDN passes. Throws ModelLoadError('insecure-url').
 */
export function checkRedirect(from: string, to: string): void {
  if (to === from) return;
  const target = checkModelUrl(to);
  let origin: URL | null = null;
  try { origin = new URL(from); } catch { /* checked by the caller */ }
  if (origin && !LOCAL_HOSTS.has(origin.hostname) && LOCAL_HOSTS.has(target.hostname)) {
    throw new ModelLoadError('insecure-url', `${origin.host} redirected to this machine (${target.host}), which a remote model host may not do`);
  }
}

/**
 * The folder URL of a model: a Hugging Face repo id ('org/name', optionally '@revision'), a hub page URL
 * (…/org/name, …/org/name/tree/rev[/sub]) or any folder URL (a trailing slash is added).
 */
export function resolveModelBase(input: string): string {
  const s = input.trim();
  const repo = /^([\w.-]+\/[\w.-]+)(?:@([\w./-]+))?$/.exec(s);
  if (repo && !s.includes('://')) return `https://huggingface.co/${repo[1]}/resolve/${repo[2] ?? 'main'}/`;
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    throw new ModelLoadError('insecure-url', `'${s}' is neither a URL nor a hub repo id (org/name)`);
  }
  if (u.hostname === 'huggingface.co' || u.hostname === 'hf.co') {
    const parts = u.pathname.split('/').filter(Boolean);
    if (parts.length === 2) u.pathname = `/${parts[0]}/${parts[1]}/resolve/main/`;
    else if (parts.length >= 4 && (parts[2] === 'tree' || parts[2] === 'blob')) u.pathname = `/${parts[0]}/${parts[1]}/resolve/${parts.slice(3).join('/')}`;
  }
  if (!u.pathname.endsWith('/')) u.pathname += '/';
  u.search = '';
  u.hash = '';
  return u.href;
}

export interface UrlSourceOptions {
  /** fetch to use (default globalThis.fetch). */
  fetch?: typeof fetch;
  /** Extra request headers (e.g. Authorization for a gated repo). */
  headers?: Record<string, string>;
}

/** Files under a folder URL; sizes from HEAD (content-length, or the hub's x-linked-size). */
export function urlSource(base: string | URL, options: UrlSourceOptions = {}): ModelSource {
  const root = checkModelUrl(resolveModelBase(String(base)));
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const urlOf = (name: string): string => {
    if (name.split('/').some((p) => p === '..' || p === '.' || p === '')) throw new ModelLoadError('missing-file', `bad file name '${name}'`, name);
    return new URL(name.split('/').map(encodeURIComponent).join('/'), root).href;
  };
  const request = async (name: string, method: 'HEAD' | 'GET', signal?: AbortSignal): Promise<Response> => {
    const url = urlOf(name);
    let res: Response;
    try {
      res = await doFetch(url, { method, headers: options.headers, signal, redirect: 'follow' });
    } catch (e) {
      if (signal?.aborted) throw new ModelLoadError('aborted', `${name}: aborted`, name);
      throw new ModelLoadError('http', `${name}: could not reach ${url} (${(e as Error)?.message ?? e})`, name);
    }
    // A redirect must not leave https (a hub's CDN is https), nor reach this machine from a remote host.
    if (res.url) {
      try {
        checkRedirect(url, res.url);
      } catch (e) {
        await res.body?.cancel().catch(() => undefined);
        throw e;
      }
    }
    return res;
  };
  const sizeOf = (res: Response): number | null => {
    if (res.headers.get('content-encoding')) return null;
    const v = res.headers.get('x-linked-size') ?? res.headers.get('content-length');
    const n = v === null ? NaN : Number(v);
    return Number.isFinite(n) && n >= 0 ? n : null;
  };
  return {
    kind: 'url',
    label: root.href,
    list: async () => undefined,
    where: urlOf,
    async stat(name, signal) {
      aborted(signal, name);
      const res = await request(name, 'HEAD', signal);
      if (res.status === 404 || res.status === 410) return null;
      if (res.status === 405 || res.status === 501) return { name, size: null };
      if (!res.ok) throw new ModelLoadError('http', `${name}: HEAD ${urlOf(name)} answered ${res.status} ${res.statusText}`.trim(), name);
      return { name, size: sizeOf(res) };
    },
    async read(name, o = {}) {
      aborted(o.signal, name);
      const res = await request(name, 'GET', o.signal);
      if (res.status === 404 || res.status === 410) {
        await res.body?.cancel().catch(() => undefined);
        throw new ModelLoadError('missing-file', `${name} is missing: ${urlOf(name)} answered ${res.status}`, name);
      }
      if (!res.ok) {
        await res.body?.cancel().catch(() => undefined);
        throw new ModelLoadError('http', `${name}: GET ${urlOf(name)} answered ${res.status} ${res.statusText}`.trim(), name);
      }
      const total = res.headers.get('content-encoding') ? null : (() => {
        const n = Number(res.headers.get('content-length') ?? NaN);
        return Number.isFinite(n) && n >= 0 ? n : null;
      })();
      if (!res.body) return new Uint8Array(await res.arrayBuffer());
      return readStream(res.body, name, urlOf(name), total, o);
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Local files and in-memory maps

/** A File with the path it had inside a picked or dropped folder. */
type PathedFile = File & { webkitRelativePath?: string; relativePath?: string; path?: string };

function cleanPath(p: string): string {
  return p.replace(/\\/g, '/').replace(/^(\.\/|\/)+/, '');
}

/** Strips a folder prefix every path shares (a picked directory's own name, or a nested repo folder). */
function stripCommonPrefix(paths: string[]): Map<string, string> {
  const out = new Map(paths.map((p) => [p, p]));
  for (;;) {
    const vals = [...out.values()];
    if (vals.length === 0 || vals.some((p) => !p.includes('/'))) return out;
    const first = vals[0].split('/')[0];
    if (!vals.every((p) => p.split('/')[0] === first)) return out;
    for (const [k, v] of out) out.set(k, v.slice(first.length + 1));
  }
}

/**
 * Finds `name` among folder-relative paths: exactly, else by file name alone when unique (a drop of loose files
 * loses the 'onnx/' folder).
 */
function lookup<T>(entries: Map<string, T>, name: string): T | undefined {
  const exact = entries.get(name);
  if (exact !== undefined) return exact;
  const base = name.split('/').pop()!;
  const hits = [...entries.entries()].filter(([p]) => p.split('/').pop() === base);
  return hits.length === 1 ? hits[0][1] : undefined;
}

/** Local files from an <input type=file> (webkitdirectory or multiple) or a drop. */
export function filesSource(files: FileList | readonly File[]): ModelSource {
  const arr = Array.from(files as ArrayLike<File>) as PathedFile[];
  const raw = arr.map((f) => cleanPath(f.webkitRelativePath || f.relativePath || f.path || f.name));
  const stripped = stripCommonPrefix(raw);
  const entries = new Map<string, File>();
  arr.forEach((f, i) => entries.set(stripped.get(raw[i])!, f));
  const get = (name: string): File | undefined => lookup(entries, name);
  return {
    kind: 'files',
    label: `${arr.length} local file${arr.length === 1 ? '' : 's'}`,
    list: async () => [...entries.keys()],
    where: (name) => `local file ${get(name)?.name ?? name}`,
    async stat(name) {
      const f = get(name);
      return f ? { name, size: f.size } : null;
    },
    async read(name, o = {}) {
      aborted(o.signal, name);
      const f = get(name);
      if (!f) throw new ModelLoadError('missing-file', `${name} is missing from the selected files`, name);
      return readStream(f.stream() as ReadableStream<Uint8Array>, name, `local file ${f.name}`, f.size, o);
    },
  };
}

export type InMemoryFiles = Map<string, Uint8Array | ArrayBuffer | string> | Record<string, Uint8Array | ArrayBuffer | string>;

/** Files held in memory (name → bytes or text), e.g. a folder built by src/onnx/clip. */
export function mapSource(files: InMemoryFiles, label = 'in-memory files'): ModelSource {
  const entries = new Map<string, Uint8Array>();
  for (const [k, v] of files instanceof Map ? files : Object.entries(files)) {
    entries.set(cleanPath(k), typeof v === 'string' ? new TextEncoder().encode(v) : v instanceof Uint8Array ? v : new Uint8Array(v));
  }
  const get = (name: string): Uint8Array | undefined => lookup(entries, name);
  return {
    kind: 'map',
    label,
    list: async () => [...entries.keys()],
    where: (name) => `${label}: ${name}`,
    async stat(name) {
      const b = get(name);
      return b ? { name, size: b.byteLength } : null;
    },
    async read(name, o = {}) {
      aborted(o.signal, name);
      const b = get(name);
      if (!b) throw new ModelLoadError('missing-file', `${name} is missing from ${label}`, name);
      if (b.byteLength > (o.maxBytes ?? Infinity)) throw tooLarge(name, label, b.byteLength, o.maxBytes!, true);
      o.onProgress?.(b.byteLength, b.byteLength);
      return b;
    },
  };
}

/** Whatever a caller hands over, as a source: a URL or repo id string, a URL, a FileList / File[], a Map or a source. */
export type SourceInput = string | URL | ModelSource | FileList | readonly File[] | InMemoryFiles;

export function toSource(input: SourceInput, urlOptions: UrlSourceOptions = {}): ModelSource {
  if (typeof input === 'string' || input instanceof URL) return urlSource(String(input), urlOptions);
  if (isSource(input)) return input;
  if (typeof FileList !== 'undefined' && input instanceof FileList) return filesSource(input);
  if (Array.isArray(input)) return filesSource(input as File[]);
  return mapSource(input as InMemoryFiles);
}

function isSource(x: unknown): x is ModelSource {
  return typeof x === 'object' && x !== null && typeof (x as ModelSource).read === 'function' && typeof (x as ModelSource).stat === 'function';
}
