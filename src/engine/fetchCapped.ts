/**
 * A download with a hard size cap: refused up front when Content-Length exceeds it, and aborted as soon as the
 * received bytes do (a server may lie about or omit Content-Length). No credentials are sent.
 */

export class FetchCapError extends Error {
  constructor(message: string, readonly status: number | null = null) {
    super(message);
    this.name = 'FetchCapError';
  }
}

export interface FetchCappedOptions {
  signal?: AbortSignal;
  /** Called with the bytes received so far. */
  onProgress?: (received: number) => void;
  fetchImpl?: typeof fetch;
}

export async function fetchCapped(url: string, capBytes: number, opts: FetchCappedOptions = {}): Promise<Uint8Array> {
  const f = opts.fetchImpl ?? fetch;
  if (capBytes <= 0) throw new FetchCapError(`${url}: the size cap is used up`);
  const controller = new AbortController();
  const onAbort = () => controller.abort();
  opts.signal?.addEventListener('abort', onAbort);
  try {
    const res = await f(url, { signal: controller.signal, credentials: 'omit', redirect: 'follow', referrerPolicy: 'no-referrer' });
    if (!res.ok) throw new FetchCapError(`${url}: HTTP ${res.status} ${res.statusText}`, res.status);
    const declared = Number(res.headers.get('content-length'));
    if (Number.isFinite(declared) && declared > capBytes) {
      throw new FetchCapError(`${url}: ${declared} bytes is over the size cap (${capBytes} bytes left)`);
    }
    if (!res.body) {
      const all = new Uint8Array(await res.arrayBuffer());
      if (all.length > capBytes) throw new FetchCapError(`${url}: ${all.length} bytes is over the size cap`);
      return all;
    }
    const reader = res.body.getReader();
    const chunks: Uint8Array[] = [];
    let n = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      n += value.length;
      if (n > capBytes) {
        controller.abort();
        throw new FetchCapError(`${url}: more than the size cap (${capBytes} bytes) was sent; download stopped`);
      }
      chunks.push(value);
      opts.onProgress?.(n);
    }
    const out = new Uint8Array(n);
    let o = 0;
    for (const c of chunks) { out.set(c, o); o += c.length; }
    return out;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
}
