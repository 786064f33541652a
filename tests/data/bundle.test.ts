import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  countLabels, decodeBundle, decodeSplitFile, encodeBundle, findDataset, loadManifest, loadSplit, sha256Hex, verifyFile,
  type DataManifest, type ImageDataset,
} from '../../src/data/bundle';
import { DataError } from '../../src/data/errors';
import { gunzipWeb } from '../../src/data/gzip';
import { BUNDLE_DIR, dirReader, gunzipNode, gzipDeterministic } from '../../src/data/node';

const read = dirReader(BUNDLE_DIR);
let manifest: DataManifest;
const loaded = new Map<string, ImageDataset>();

beforeAll(async () => {
  manifest = await loadManifest(read);
  for (const d of manifest.datasets) {
    for (const split of Object.keys(d.splits)) loaded.set(`${d.id}/${split}`, await loadSplit(manifest, d.id, split, read, gunzipNode));
  }
});

describe('bundled datasets', () => {
  it('lists the expected datasets, splits and sizes', () => {
    const sizes = Object.fromEntries(manifest.datasets.map((d) => [d.id, Object.fromEntries(Object.entries(d.splits).map(([k, s]) => [k, s.count]))]));
    expect(sizes).toEqual({
      'fashion-mnist': { train: 20000, val: 2000, test: 2000 },
      mnist: { train: 7000, val: 1000, test: 2000 },
      digits: { test: 1797 },
    });
    expect(findDataset(manifest, 'fashion-mnist').classes).toEqual(['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']);
    expect(findDataset(manifest, 'mnist').classes).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(findDataset(manifest, 'fashion-mnist').hflip).toBe(true);
    expect(findDataset(manifest, 'digits').hflip).toBe(false);
    for (const d of manifest.datasets) {
      expect([d.height, d.width, d.channels]).toEqual([28, 28, 1]);
      expect(d.licence.length).toBeGreaterThan(0);
      expect(d.source.length).toBeGreaterThan(0);
    }
    const total = manifest.datasets.flatMap((d) => Object.values(d.splits)).reduce((a, s) => a + s.bytes, 0);
    expect(total).toBeLessThanOrEqual(15e6);
  });

  it('every split loads and matches the manifest (count, classes, size, class counts)', () => {
    for (const d of manifest.datasets) {
      for (const [split, entry] of Object.entries(d.splits)) {
        const ds = loaded.get(`${d.id}/${split}`)!;
        expect(ds.count).toBe(entry.count);
        expect(ds.classes).toEqual(d.classes);
        expect(ds.images.length).toBe(entry.count * 28 * 28);
        expect(ds.labels.length).toBe(entry.count);
        expect(countLabels(ds.labels, d.classes.length)).toEqual(entry.classCounts);
        // Real pictures: mostly dark background, some bright ink.
        let sum = 0, bright = 0;
        const px = ds.images;
        for (let i = 0; i < px.length; i++) { sum += px[i]; bright += px[i] > 200 ? 1 : 0; }
        const mean = sum / ds.images.length / 255;
        expect(mean).toBeGreaterThan(0.05);
        expect(mean).toBeLessThan(0.5);
        expect(bright / ds.images.length).toBeGreaterThan(0.02);
      }
    }
  });

  it('splits are stratified', () => {
    const fashion = findDataset(manifest, 'fashion-mnist');
    expect(fashion.splits.train.classCounts).toEqual(new Array(10).fill(2000));
    expect(fashion.splits.val.classCounts).toEqual(new Array(10).fill(200));
    expect(fashion.splits.test.classCounts).toEqual(new Array(10).fill(200));
    // MNIST: each split keeps the class proportions of the package's 10k to within one image.
    const m = findDataset(manifest, 'mnist');
    const totals = m.classes.map((_, c) => Object.values(m.splits).reduce((a, s) => a + s.classCounts[c], 0));
    expect(totals.reduce((a, b) => a + b, 0)).toBe(10000);
    for (const s of Object.values(m.splits)) {
      s.classCounts.forEach((n, c) => expect(Math.abs(n - (s.count * totals[c]) / 10000)).toBeLessThan(1));
    }
    // Classes interleave (shuffled), not sorted.
    const labels = loaded.get('mnist/train')!.labels;
    expect(new Set(labels.subarray(0, 50)).size).toBeGreaterThan(5);
    // digits: all 1,797, roughly 180 per class.
    findDataset(manifest, 'digits').splits.test.classCounts.forEach((n) => expect(Math.abs(n - 180)).toBeLessThanOrEqual(6));
  });

  it('loads with DecompressionStream as in the browser', async () => {
    const viaWeb = await loadSplit(manifest, 'mnist', 'val', read, gunzipWeb);
    const viaNode = loaded.get('mnist/val')!;
    expect(Buffer.compare(viaWeb.labels, viaNode.labels)).toBe(0);
    expect(Buffer.compare(viaWeb.images, viaNode.images)).toBe(0);
  });

  it('verifies sha256 and rejects a corrupted or truncated copy with a clear message', async () => {
    const d = findDataset(manifest, 'mnist');
    const bytes = await read(d.splits.val.file);
    expect(await sha256Hex(bytes)).toBe(d.splits.val.sha256);
    await expect(verifyFile(bytes, d.splits.val)).resolves.toBeUndefined();

    const corrupt = bytes.slice();
    corrupt[corrupt.length >> 1] ^= 0x40;
    const err = await decodeSplitFile(corrupt, d, 'val', gunzipNode).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as Error).message).toMatch(/mnist\/val \(mnist-val\.aosd\): sha256 mismatch: manifest [0-9a-f]{64}, file [0-9a-f]{64}; size \d+ bytes as listed/);

    await expect(decodeSplitFile(bytes.subarray(0, 1000), d, 'val', gunzipNode)).rejects.toThrow(/only 1000 of \d+ bytes: the file is truncated/);
  });

  it('the sha256 helper matches a known digest', async () => {
    expect(await sha256Hex(new TextEncoder().encode('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

describe('AOSD container', () => {
  const header = { dataset: 'x', split: 'test', count: 3, height: 2, width: 2, channels: 1, classes: ['a', 'b'] };
  const images = Uint8Array.from({ length: 12 }, (_, i) => i * 20);
  const labels = Uint8Array.of(0, 1, 1);

  it('round-trips and gzips deterministically', async () => {
    const raw = encodeBundle(header, images, labels);
    const ds = decodeBundle(raw);
    expect(ds).toMatchObject({ ...header });
    expect(ds.images).toEqual(images);
    expect(ds.labels).toEqual(labels);
    const a = gzipDeterministic(raw), b = gzipDeterministic(encodeBundle(header, images, labels));
    expect(a).toEqual(b);
    expect(a[4] | a[5] | a[6] | a[7]).toBe(0); // gzip mtime is zero
    expect(decodeBundle(await gunzipWeb(a)).labels).toEqual(labels);
  });

  it('rejects truncation, bad magic and out-of-range labels', () => {
    const raw = encodeBundle(header, images, labels);
    expect(() => decodeBundle(raw.subarray(0, raw.length - 1))).toThrow(/truncated: 3 images of 1×2×2 plus labels need \d+ bytes, found \d+/);
    expect(() => decodeBundle(raw.subarray(0, 20))).toThrow(/truncated: header JSON/);
    const bad = raw.slice();
    bad[0] = 0x58;
    expect(() => decodeBundle(bad)).toThrow(/not an AOSD container/);
    const badLabel = raw.slice();
    badLabel[badLabel.length - 1] = 7;
    expect(() => decodeBundle(badLabel)).toThrow(/label 7 at index 2 is out of range for 2 classes/);
  });

  it('the committed files are gzip streams with a zero timestamp', () => {
    const bytes = readFileSync(join(BUNDLE_DIR, 'digits-test.aosd'));
    expect([bytes[0], bytes[1]]).toEqual([0x1f, 0x8b]);
    expect(bytes.readUInt32LE(4)).toBe(0);
  });
});
