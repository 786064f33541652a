import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { groupByClass, readImageFolder, type FolderFile, type ImageDecoder } from '../../src/data/folder';
import { folderFiles } from '../../src/data/node';
import { decodePng, encodePng } from '../../scripts/data/png';

const decode: ImageDecoder = async (bytes) => decodePng(bytes);

function png(w: number, h: number, channels: 1 | 3 | 4, value: (x: number, y: number) => number[]): Uint8Array {
  const data: number[] = [];
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.push(...value(x, y));
  return encodePng(w, h, channels, data);
}

function mem(path: string, bytes: Uint8Array): FolderFile {
  return { path, read: async () => bytes };
}

describe('image folders', () => {
  it('groups by the containing folder, sorts, and skips non-images', () => {
    const g = groupByClass([
      mem('root/zebra/b.png', new Uint8Array()), mem('root/zebra/a.JPG', new Uint8Array()), mem('root/ant/x.jpeg', new Uint8Array()),
      mem('root/ant/notes.txt', new Uint8Array()), mem('loose.png', new Uint8Array()), mem('root/.hidden/y.png', new Uint8Array()),
    ]);
    expect(g.classes).toEqual(['ant', 'zebra']);
    expect(g.byClass.get('zebra')!.map((f) => f.path)).toEqual(['root/zebra/a.JPG', 'root/zebra/b.png']);
    expect(g.skipped.sort()).toEqual(['loose.png', 'root/.hidden/y.png', 'root/ant/notes.txt']);
  });

  it('decodes, converts to gray, resizes and labels (in memory)', async () => {
    const files = [
      mem('cats/1.png', png(28, 28, 1, (x) => [x < 14 ? 0 : 200])),
      mem('dogs/1.png', png(56, 56, 3, () => [255, 255, 255])), // resized 56 → 28, RGB → gray
      mem('dogs/2.png', png(28, 28, 4, () => [255, 255, 255, 0])), // fully transparent → black
    ];
    const ds = await readImageFolder(files, decode, { dataset: 'pets' });
    expect(ds.classes).toEqual(['cats', 'dogs']);
    expect(Array.from(ds.labels)).toEqual([0, 1, 1]);
    expect(ds.count).toBe(3);
    expect(ds.images[5]).toBe(0);
    expect(ds.images[20]).toBe(200);
    expect(ds.images.subarray(784, 2 * 784).every((v) => v === 255)).toBe(true);
    expect(ds.images.subarray(2 * 784).every((v) => v === 0)).toBe(true);
    const inv = await readImageFolder(files.slice(0, 1), decode, { invert: true, classes: ['dogs', 'cats'] });
    expect(inv.labels[0]).toBe(1);
    expect(inv.images[0]).toBe(255);
    await expect(readImageFolder(files, decode, { classes: ['cats'] })).rejects.toThrow(/folders not in the class list: dogs/);
    await expect(readImageFolder([mem('a/b.png', Uint8Array.of(1, 2, 3))], decode)).rejects.toThrow(/a\/b\.png: cannot decode/);
  });

  it('reads a real folder on disk through folderFiles', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aos-folder-'));
    try {
      for (const [cls, v] of [['shirt', 100], ['bag', 50]] as const) {
        mkdirSync(join(dir, cls));
        for (let i = 0; i < 2; i++) writeFileSync(join(dir, cls, `${i}.png`), png(8, 8, 1, () => [v + i]));
      }
      const ds = await readImageFolder(await folderFiles(dir), decode, { height: 4, width: 4 });
      expect(ds.classes).toEqual(['bag', 'shirt']);
      expect(ds.paths).toEqual(['bag/0.png', 'bag/1.png', 'shirt/0.png', 'shirt/1.png']);
      expect(Array.from(ds.images.filter((_, i) => i % 16 === 0))).toEqual([50, 51, 100, 101]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
