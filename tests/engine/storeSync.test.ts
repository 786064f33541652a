/**
 * The store bridge between the page and the engine Worker (src/engine/bridge/storeSync.ts), with the port replaced
 * by a structured clone: writes cross once (no echo), local keys stay, functions never travel, a snapshot brings a
 * new side up to date, and a key that does not clone does not hold back the others.
 */
import { describe, expect, it } from 'vitest';
import { createStore } from 'zustand/vanilla';
import { syncStores, type StorePatch, type SyncedStore } from '../../src/engine/bridge/storeSync';

interface S { a: number; b: { n: number } | null; local: string; fn: () => void; set: (p: Partial<S>) => void }
const make = () => createStore<S>()((set) => ({ a: 0, b: null, local: 'x', fn: () => undefined, set: (p) => set(p) }));

function pair() {
  const page = make(), worker = make();
  const sent: StorePatch[] = [];
  let toWorker: ReturnType<typeof syncStores> | null = null, toPage: ReturnType<typeof syncStores> | null = null;
  const opts = { localKeys: { s: ['local'] } };
  toPage = syncStores({ s: worker as unknown as SyncedStore }, (p) => { sent.push(p); toWorker!.apply(structuredClone(p)); }, opts);
  toWorker = syncStores({ s: page as unknown as SyncedStore }, (p) => { sent.push(p); toPage!.apply(structuredClone(p)); }, opts);
  return { page, worker, sent, pageSync: toWorker, workerSync: toPage };
}

describe('syncStores', () => {
  it('replicates a write once each way, without echo, keeping local keys and functions', () => {
    const { page, worker, sent } = pair();
    worker.getState().set({ a: 3, b: { n: 1 }, local: 'worker' });
    expect(page.getState().a).toBe(3);
    expect(page.getState().b).toEqual({ n: 1 });
    expect(page.getState().local).toBe('x');
    expect(sent).toHaveLength(1);
    expect(Object.keys(sent[0].patch).sort()).toEqual(['a', 'b']);
    page.getState().set({ a: 4 });
    expect(worker.getState().a).toBe(4);
    expect(sent).toHaveLength(2);
    expect(typeof page.getState().set).toBe('function');
  });

  it('a snapshot carries every shared key; a key that cannot be cloned is reported and the others still go', () => {
    const { page, pageSync } = pair();
    page.getState().set({ a: 7 });
    const snap = pageSync.snapshot();
    expect(snap).toHaveLength(1);
    expect(snap[0].patch).toMatchObject({ a: 7, b: null });
    expect(snap[0].patch).not.toHaveProperty('local');
    expect(snap[0].patch).not.toHaveProperty('fn');

    const a = make(), b = make();
    const errors: string[] = [];
    const bSync = syncStores({ s: b as unknown as SyncedStore }, () => undefined);
    syncStores({ s: a as unknown as SyncedStore }, (p) => bSync.apply(structuredClone(p)), { onError: (_s, k) => errors.push(k) });
    a.setState({ a: 1, b: { n: 2, f: () => 1 } as unknown as { n: number } });
    expect(errors).toEqual(['b']);
    expect(b.getState().a).toBe(1);
    expect(b.getState().b).toBeNull();
  });
});
