/**
 * Recent local models in the model cache (src/models/cache.ts `putLocalModel` / `localModels` / `readLocalModel` /
 * `forgetLocalModel`, and src/engine/model.ts `loadLocalModel` / `reopenLocalModel` / `forgetLocalModel`), on the
 * committed tiny CLIP fixture, in Node (the page's cache is the memory store there).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';

const hashes = vi.hoisted(() => ({ calls: 0 }));
vi.mock('../../src/models/sha256', async (orig) => {
  const m = await orig<typeof import('../../src/models/sha256')>();
  return { ...m, sha256Hex: async (b: Uint8Array) => { hashes.calls++; return m.sha256Hex(b); } };
});

import { fileSourceKey, memoryStore, ModelCache, type MemoryStore } from '../../src/models/cache';
import { sha256Hex } from '../../src/models/sha256';
import type { PathedFile } from '../../src/engine/localModel';
import { createModelController } from '../../src/engine/model';
import { createModelCacheController } from '../../src/engine/modelCache';
import { useResourceStore } from '../../src/state/resources';

const DIR = 'public/fixtures/tiny-clip';
const walk = (dir: string, prefix = ''): string[] =>
  readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? walk(join(dir, n), `${prefix}${n}/`) : [`${prefix}${n}`]));

function fixtureFiles(edit: (path: string, bytes: Uint8Array) => Uint8Array = (_, b) => b, lastModified = 1_700_000_000_000): PathedFile[] {
  return walk(DIR).map((rel) => {
    const bytes = edit(rel, new Uint8Array(readFileSync(join(DIR, rel))));
    return { path: `tiny-clip/${rel}`, file: new File([bytes as Uint8Array<ArrayBuffer>], rel.split('/').pop()!, { lastModified }) };
  });
}

const fileSha = (rel: string) => sha256Hex(new Uint8Array(readFileSync(join(DIR, rel))));

describe('ModelCache: recent local models', () => {
  let store: MemoryStore;
  let cache: ModelCache;
  const a = new Uint8Array([1, 2, 3]);
  const b = new Uint8Array([4, 5, 6, 7]);
  beforeEach(async () => {
    store = memoryStore();
    cache = await ModelCache.open(store, { maxBytes: 1000 });
  });

  async function storeModel(id: string, name: string) {
    const ha = (await cache.put(fileSourceKey('m/a.json', { size: 3, lastModified: 1 }), a)).hash;
    const hb = (await cache.put(fileSourceKey('m/b.onnx', { size: 4, lastModified: 2 }), b)).hash;
    return cache.putLocalModel({ id, name, savedAt: 123, files: [{ path: 'm/a.json', sha256: ha, size: 3, lastModified: 1 }, { path: 'm/b.onnx', sha256: hb, size: 4, lastModified: 2 }] });
  }

  it('stores, lists (most recent first, persisted), reopens verified bytes, forgets one', async () => {
    expect((await storeModel('one', 'm'))!.bytes).toBe(7);
    await storeModel('two', 'm2');
    expect(cache.localModels().map((r) => r.name)).toEqual(['m2', 'm']);
    const again = await ModelCache.open(store, { maxBytes: 1000 });
    expect(again.localModels().map((r) => r.id)).toEqual(['two', 'one']);
    const r = await again.readLocalModel('one');
    expect(r.ok).toBe(true);
    if (r.ok) expect([...r.bytes.entries()]).toEqual([['m/a.json', a], ['m/b.onnx', b]]);
    expect(again.localModels().map((x) => x.id)).toEqual(['one', 'two']);
    expect(await again.forgetLocalModel('two')).toBe(true);
    expect(again.localModels().map((x) => x.id)).toEqual(['one']);
    expect(await again.forgetLocalModel('two')).toBe(false);
    expect((await again.readLocalModel('two')).ok).toBe(false);
  });

  it('a corrupted blob: a clear message, the entry dropped, other entries and blobs kept', async () => {
    const rec = (await storeModel('one', 'm'))!;
    await storeModel('two', 'm2');
    const hb = rec.files[1].sha256;
    store.blobs.set(hb, new Uint8Array([9, 9, 9, 9]));
    const r = await cache.readLocalModel('one');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/^m\/b\.onnx: the cached copy is corrupted.*"m" was removed from the recent local models/);
    expect(cache.localModels().map((x) => x.id)).toEqual([]); // 'two' shares the dropped blob: not listed
    expect(cache.has(rec.files[0].sha256)).toBe(true);
    expect(cache.source(fileSourceKey('m/a.json', { size: 3, lastModified: 1 }))?.hash).toBe(rec.files[0].sha256);
  });

  it('a missing blob: a clear message and the entry dropped', async () => {
    const rec = (await storeModel('one', 'm'))!;
    store.blobs.delete(rec.files[0].sha256);
    const r = await cache.readLocalModel('one');
    expect(!r.ok && r.reason).toMatch(/m\/a\.json: the cached copy .* has disappeared from browser storage/);
    expect(cache.localModels()).toEqual([]);
    expect(cache.has(rec.files[1].sha256)).toBe(true);
  });

  it('not recorded when a file is not in the cache (over the cap)', async () => {
    const small = await ModelCache.open(memoryStore(), { maxBytes: 2 });
    const put = await small.put(fileSourceKey('a', { size: 3, lastModified: 1 }), a);
    expect(put.stored).toBe(false);
    expect(await small.putLocalModel({ id: 'x', name: 'x', savedAt: 0, files: [{ path: 'a', sha256: put.hash, size: 3, lastModified: 1 }] })).toBeNull();
    expect(small.localModels()).toEqual([]);
  });
});

describe('loadLocalModel / reopenLocalModel through the page cache', () => {
  it('stores a loaded folder, reopens it with the same hashes, skips re-hashing unchanged files, notices a change, forgets', async () => {
    // A fresh engine's controllers (an engine root makes them the same way): nothing is shared with other tests.
    const cacheController = createModelCacheController();
    const { loadLocalModel, recentLocalModels, reopenLocalModel, forgetLocalModel } = createModelController({ cache: cacheController });
    const cache = await cacheController.modelCache();
    await cache.clear();
    const s1 = await loadLocalModel(fixtureFiles());
    expect(s1!.files!.every((f) => f.from === 'local' && f.status === undefined)).toBe(true);
    const recent = await recentLocalModels();
    expect(recent).toHaveLength(1);
    expect(recent[0].name).toBe('tiny-clip');
    const vision = recent[0].files.find((f) => f.path === 'tiny-clip/onnx/vision_model.onnx')!;
    expect(vision.sha256).toBe(await fileSha('onnx/vision_model.onnx'));
    const shown = Object.fromEntries(s1!.files!.map((f) => [f.name, f.sha256]));

    // Reopen: from the cache, every file verified, same hashes, same model key.
    const key = useResourceStore.getState().model.key;
    const s2 = await reopenLocalModel(recent[0].id);
    expect(s2!.files!.map((f) => [f.name, f.sha256, f.from, f.status])).toEqual(s1!.files!.map((f) => [f.name, shown[f.name], 'cache', 'hit']));
    expect(s2!.notes[0]).toMatch(/Reopened from the browser's model cache/);
    expect(useResourceStore.getState().model.key).toBe(key);

    // The same files picked again: no file is hashed again (only the loader's own non-file work may hash: none).
    hashes.calls = 0;
    const s3 = await loadLocalModel(fixtureFiles());
    expect(hashes.calls).toBe(0);
    expect(s3!.files!.map((f) => f.sha256)).toEqual(s1!.files!.map((f) => f.sha256));

    // config.json edited (new size and lastModified): hashed, flagged as changed with the old hash.
    hashes.calls = 0;
    const s4 = await loadLocalModel(fixtureFiles((p, b) => (p === 'config.json' ? new Uint8Array([...b, 32]) : b), 1_700_000_000_500));
    expect(hashes.calls).toBeGreaterThan(0);
    const cfg = s4!.files!.find((f) => f.name === 'config.json')!;
    expect(cfg.status).toBe('changed');
    expect(cfg.previousHash).toBe(shown['config.json']);
    expect(s4!.notes.some((n) => n.startsWith('config.json changed since it was cached'))).toBe(true);
    expect(s4!.files!.filter((f) => f.status === 'changed').map((f) => f.name)).toEqual(['config.json']);
    expect((await recentLocalModels()).length).toBe(2);

    // A corrupted blob on reopen: the message, the entry dropped, the current model unchanged.
    const before = useResourceStore.getState().model.key;
    const older = (await recentLocalModels())[1];
    const visionHash = older.files.find((f) => f.path.endsWith('vision_model.onnx'))!.sha256;
    (cache.store as MemoryStore).blobs.set(visionHash, new Uint8Array(older.files.find((f) => f.sha256 === visionHash)!.size));
    await expect(reopenLocalModel(older.id)).rejects.toThrow(/tiny-clip\/onnx\/vision_model\.onnx: the cached copy is corrupted/);
    expect(useResourceStore.getState().model.key).toBe(before);
    expect((await recentLocalModels()).map((r) => r.id)).not.toContain(older.id);

    // Forget removes one.
    const left = await recentLocalModels();
    await forgetLocalModel(left[0]?.id ?? '');
    expect((await recentLocalModels()).map((r) => r.id)).not.toContain(left[0]?.id);
  }, 120_000);
});
