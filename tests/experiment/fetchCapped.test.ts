import { describe, expect, it } from 'vitest';
import { fetchCapped, FetchCapError } from '../../src/engine/fetchCapped';

/** A fetch answering with `chunks` (streamed), an optional Content-Length, and recording the request. */
function fakeFetch(chunks: number[], contentLength?: number, status = 200) {
  const seen: { url: string; init?: RequestInit; pulled: number } = { url: '', pulled: 0 };
  const impl = (async (url: string, init?: RequestInit) => {
    seen.url = url;
    seen.init = init;
    let i = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (i < chunks.length) { seen.pulled++; c.enqueue(new Uint8Array(chunks[i++]).fill(7)); } else c.close();
      },
    });
    const headers: Record<string, string> = contentLength === undefined ? {} : { 'content-length': String(contentLength) };
    return new Response(status === 200 ? body : null, { status, headers });
  }) as unknown as typeof fetch;
  return { impl, seen };
}

describe('fetchCapped', () => {
  it('returns the whole body under the cap, without credentials, reporting progress', async () => {
    const { impl, seen } = fakeFetch([10, 20, 30]);
    const progress: number[] = [];
    const out = await fetchCapped('https://x.test/a', 100, { fetchImpl: impl, onProgress: (n) => progress.push(n) });
    expect(out.length).toBe(60);
    expect(progress).toEqual([10, 30, 60]);
    expect(seen.init?.credentials).toBe('omit');
  });

  it('refuses a declared Content-Length over the cap before reading the body', async () => {
    const { impl, seen } = fakeFetch([10], 5000);
    await expect(fetchCapped('https://x.test/a', 1000, { fetchImpl: impl })).rejects.toThrow(/5000 bytes is over the size cap/);
    expect(seen.pulled).toBeLessThanOrEqual(1);
  });

  it('stops as soon as an undeclared body passes the cap', async () => {
    const { impl, seen } = fakeFetch([400, 400, 400, 400, 400, 400]);
    await expect(fetchCapped('https://x.test/a', 1000, { fetchImpl: impl })).rejects.toThrow(FetchCapError);
    expect(seen.pulled).toBeLessThan(6);
  });

  it('reports HTTP errors with their status', async () => {
    const { impl } = fakeFetch([], undefined, 404);
    const e = await fetchCapped('https://x.test/a', 1000, { fetchImpl: impl }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(FetchCapError);
    expect((e as FetchCapError).status).toBe(404);
  });
});
