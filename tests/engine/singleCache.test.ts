/**
 * The one-entry cache of the Subspaces panel's measurement (src/engine/singleCache.ts): a second `get` of the same key
 * builds nothing; another key releases the old entry first (never two held); overlapping calls share one build; a
 * failed build caches nothing; `clear` (model changed, device lost) releases once.
 */
import { describe, expect, it } from 'vitest';
import { SingleCache } from '../../src/engine/singleCache';

interface Thing { id: number; released: boolean }

function cacheOf() {
  const released: number[] = [];
  let made = 0;
  const cache = new SingleCache<Thing>((t) => { t.released = true; released.push(t.id); });
  const build = () => async (): Promise<Thing> => ({ id: ++made, released: false });
  return { cache, released, build, made: () => made };
}

describe('SingleCache', () => {
  it('the same key twice: one build, the same value; another key: the old entry released, a new one built', async () => {
    const { cache, released, build, made } = cacheOf();
    const a = await cache.get('m1', build());
    const b = await cache.get('m1', build());
    expect(b).toBe(a);
    expect(made()).toBe(1);
    expect(cache.builds).toBe(1);
    expect(cache.key).toBe('m1');
    const c = await cache.get('m2', build());
    expect(c.id).toBe(2);
    await Promise.resolve();
    expect(a.released).toBe(true);
    expect(released).toEqual([1]);
    expect(c.released).toBe(false);
    expect(cache.builds).toBe(2);
    expect(cache.releases).toBe(1);
  });

  it('overlapping calls share one build; clear releases once and the next get builds again', async () => {
    const { cache, released, made } = cacheOf();
    let resolve!: (t: Thing) => void;
    const slow = () => new Promise<Thing>((r) => { resolve = r; });
    const p1 = cache.get('k', slow), p2 = cache.get('k', async () => { throw new Error('must not build'); });
    resolve({ id: 7, released: false });
    expect(await p2).toBe(await p1);
    expect(cache.builds).toBe(1);
    await cache.clear();
    await cache.clear();
    expect(released).toEqual([7]);
    expect(cache.key).toBeNull();
    await cache.get('k', async () => ({ id: 8, released: false }));
    expect(cache.builds).toBe(2);
    expect(made()).toBe(0);
  });

  it('a failed build caches nothing (the next get builds again); clearing it releases nothing', async () => {
    const { cache, released } = cacheOf();
    await expect(cache.get('k', async () => { throw new Error('no graphs'); })).rejects.toThrow(/no graphs/);
    await Promise.resolve();
    expect(cache.key).toBeNull();
    const t = await cache.get('k', async () => ({ id: 3, released: false }));
    expect(t.id).toBe(3);
    expect(cache.builds).toBe(2);
    const failing = cache.get('x', async () => { throw new Error('lost'); });
    await cache.clear();
    await expect(failing).rejects.toThrow(/lost/);
    expect(released).toEqual([3]);
    expect(cache.releases).toBe(1);
  });

  it('a release that throws (lost device) does not break the cache', async () => {
    const cache = new SingleCache<number>(() => { throw new Error('device lost'); });
    await cache.get('a', async () => 1);
    await expect(cache.clear()).resolves.toBeUndefined();
    expect(await cache.get('a', async () => 2)).toBe(2);
  });
});
