/** The playground's images: test images of a dataset and image files, brought to the model's input. */
import type { ImageDataset } from '../../data/bundle';
import { preprocessImage } from '../../image/preprocess';
import type { PlayImage } from '../../state/attack';
import type { Prepared } from './slot';

/** A dataset image (uint8 planar [C, H, W]) at the model's input: divided by 255 when the sizes agree, else the
 * CLIP preprocessing (resize, crop, grey ↔ RGB). */
export function datasetInput(ds: ImageDataset, index: number, p: Prepared): { pixels: Float32Array; note: string | null } {
  const [C, H, W] = p.info.inputDims;
  const { channels: c, height: h, width: w } = ds;
  const base = index * c * h * w;
  if (c === C && h === H && w === W) {
    const pixels = new Float32Array(C * H * W);
    for (let j = 0; j < pixels.length; j++) pixels[j] = ds.images[base + j] / 255;
    return { pixels, note: null };
  }
  const data = new Uint8Array(h * w * c);
  for (let y = 0; y < h * w; y++) for (let k = 0; k < c; k++) data[y * c + k] = ds.images[base + k * h * w + y];
  const t = preprocessImage({ data, width: w, height: h, channels: c as 1 | 3 }, p.preprocessor, { channels: C === 1 ? 1 : 3 });
  return { pixels: t.data, note: `${w}×${h} ${c === 1 ? 'grey' : 'RGB'} → ${W}×${H} ${C === 1 ? 'grey' : 'RGB'} by the CLIP preprocessing` };
}

export function datasetImage(ds: ImageDataset, index: number, p: Prepared, name: string, id: number): PlayImage {
  const { pixels, note } = datasetInput(ds, index, p);
  return {
    id, origin: 'dataset', name: `${name} test #${index}`, datasetId: ds.dataset, index,
    label: ds.classes[ds.labels[index]], pixels, dims: p.info.inputDims, note,
  };
}

/** Decodes an image file in the browser into 8-bit RGBA (large images are first scaled down by the canvas). */
export async function decodeFile(file: File, target: number): Promise<{ data: Uint8ClampedArray; width: number; height: number; scaled: string | null }> {
  const bmp = await createImageBitmap(file);
  try {
    const limit = Math.max(8 * target, 512);
    const short = Math.min(bmp.width, bmp.height);
    const f = short > limit ? limit / short : 1;
    const width = Math.max(1, Math.round(bmp.width * f)), height = Math.max(1, Math.round(bmp.height * f));
    // An OffscreenCanvas: this runs in the engine Worker, which has no document.
    const canvas = new OffscreenCanvas(width, height);
    const g = canvas.getContext('2d', { willReadFrequently: true });
    if (!g) throw new Error('no 2D canvas to decode the image');
    g.imageSmoothingEnabled = true;
    g.imageSmoothingQuality = 'high';
    g.drawImage(bmp, 0, 0, width, height);
    return {
      data: g.getImageData(0, 0, width, height).data, width, height,
      scaled: f < 1 ? `${bmp.width}×${bmp.height} scaled to ${width}×${height} by the browser first, then` : null,
    };
  } finally {
    bmp.close();
  }
}

/** Batch indices: `size` test images, one class after another (balanced), from position `from` of each class. */
export function balancedIndices(labels: ArrayLike<number>, classes: number, size: number, from: number): number[] {
  const per: number[][] = Array.from({ length: classes }, () => []);
  for (let i = 0; i < labels.length; i++) per[labels[i]]?.push(i);
  const out: number[] = [];
  for (let k = from; out.length < size; k++) {
    let added = false;
    for (let c = 0; c < classes && out.length < size; c++) {
      if (k < per[c].length) {
        out.push(per[c][k]);
        added = true;
      }
    }
    if (!added) break;
  }
  return out;
}
