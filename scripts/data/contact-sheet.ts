/**
 * Contact sheets of the bundled datasets, for looking at the data: one PNG per dataset, a row per class, `--per`
 * images from each split side by side (splits separated by a gap), pixels scaled ×2. With `--augment`, each image
 * is followed by three augmented copies (default augmentation for that dataset).
 *   node --import tsx scripts/data/contact-sheet.ts [--out /tmp] [--per 6] [--augment]
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { augmentBatch, defaultAugmentConfig } from '../../src/data/augment';
import { loadManifest, loadSplit, toFloat01 } from '../../src/data/bundle';
import { BUNDLE_DIR, dirReader, gunzipNode } from '../../src/data/node';
import { Rng } from '../../src/util/random';
import { encodePng } from './png';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
}

const out = arg('out', '/tmp'), per = Number(arg('per', '6')), augment = process.argv.includes('--augment');
const S = 2, GAP = 2, SPLIT_GAP = 10;
const read = dirReader(BUNDLE_DIR);
const manifest = await loadManifest(read);
for (const d of manifest.datasets) {
  const splits = Object.keys(d.splits);
  const copies = augment ? 4 : 1;
  const cell = d.width * S + GAP;
  const cols = splits.length * per * copies;
  const W = cols * cell + (splits.length - 1) * SPLIT_GAP, H = d.classes.length * (d.height * S + GAP);
  const img = new Uint8Array(W * H * 3).fill(0);
  for (let i = 0; i < W * H; i++) { img[3 * i] = 40; img[3 * i + 1] = 40; img[3 * i + 2] = 90; }
  for (const [si, split] of splits.entries()) {
    const ds = await loadSplit(manifest, d.id, split, read, gunzipNode);
    const px = d.height * d.width;
    for (let c = 0; c < d.classes.length; c++) {
      const picks: number[] = [];
      for (let i = 0; i < ds.count && picks.length < per; i++) if (ds.labels[i] === c) picks.push(i);
      const versions: Float32Array[][] = picks.map((i) => [toFloat01(ds.images.subarray(i * px, (i + 1) * px))]);
      if (augment) {
        const batch = new Float32Array(picks.length * px);
        picks.forEach((p, k) => batch.set(toFloat01(ds.images.subarray(p * px, (p + 1) * px)), k * px));
        for (let a = 0; a < 3; a++) {
          const { images } = augmentBatch(batch, [picks.length, d.height, d.width], defaultAugmentConfig(d.hflip), new Rng(1000 * a + c));
          picks.forEach((_, k) => versions[k].push(images.subarray(k * px, (k + 1) * px)));
        }
      }
      versions.flat().forEach((v, k) => {
        const x0 = si * (per * copies * cell + SPLIT_GAP) + k * cell, y0 = c * (d.height * S + GAP);
        for (let y = 0; y < d.height * S; y++) {
          for (let x = 0; x < d.width * S; x++) {
            const g = Math.round(255 * v[Math.floor(y / S) * d.width + Math.floor(x / S)]);
            const o = 3 * ((y0 + y) * W + x0 + x);
            img[o] = img[o + 1] = img[o + 2] = g;
          }
        }
      });
    }
  }
  const file = join(out, `contact-${d.id}${augment ? '-aug' : ''}.png`);
  writeFileSync(file, encodePng(W, H, 3, img));
  console.log(`${file}: ${d.classes.length} rows (${d.classes.join(', ')}); columns: ${splits.join(' | ')}`);
}
