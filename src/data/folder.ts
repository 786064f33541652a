/**
 * Image-folder datasets: `<root>/<class_name>/<image>.png|jpg|jpeg`. The class of a file is the name of the folder
 * that directly contains it. The walking, labelling, grayscale conversion and resizing are host-independent; the
 * file listing and the image decoder are injected:
 *   browser: `filesFromFileList(input.files)` (an `<input type="file" webkitdirectory>`) + `decodeWithImageBitmap`;
 *   Node:    `folderFiles(dir)` from `./node.ts` + any decoder (e.g. the PNG decoder in scripts/data/png.ts).
 */
import { checkImagePixels } from './imageHeader';
import type { ImageDataset } from './bundle';
import { DataError } from './errors';
import { resizeGray, toUint8 } from './resize';

export interface FolderFile {
  /** '/'-separated path; at least `class/file.ext`. */
  path: string;
  read(): Promise<Uint8Array>;
}

/** A decoded image: interleaved 8-bit samples, `channels` per pixel (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA). */
export interface DecodedImage {
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
  data: ArrayLike<number>;
}

export type ImageDecoder = (bytes: Uint8Array, path: string) => Promise<DecodedImage>;

export interface FolderOptions {
  /** Output size (default 28×28). */
  height?: number;
  width?: number;
  /** Class order; default: the folder names sorted by code point. Folders not listed are an error. */
  classes?: string[];
  /** Stored in the result (default 'folder' / 'all'). */
  dataset?: string;
  split?: string;
  /** Invert gray levels (for dark objects on a white background, to match the black-background bundles). */
  invert?: boolean;
}

export interface FolderDataset extends ImageDataset {
  /** Source path of each image, in order. */
  paths: string[];
  /** Files that were ignored (not an image extension, hidden, or not inside a class folder). */
  skipped: string[];
}

const IMAGE_EXT = /\.(png|jpe?g)$/i;

/** Groups files into classes: returns the sorted class names and, per class, the sorted file list. */
export function groupByClass(files: FolderFile[]): { classes: string[]; byClass: Map<string, FolderFile[]>; skipped: string[] } {
  const byClass = new Map<string, FolderFile[]>();
  const skipped: string[] = [];
  for (const f of files) {
    const parts = f.path.replace(/\\/g, '/').split('/').filter((p) => p.length > 0);
    const base = parts[parts.length - 1] ?? '';
    if (parts.length < 2 || !IMAGE_EXT.test(base) || parts.some((p) => p.startsWith('.'))) {
      skipped.push(f.path);
      continue;
    }
    const cls = parts[parts.length - 2];
    let list = byClass.get(cls);
    if (!list) byClass.set(cls, (list = []));
    list.push(f);
  }
  const byCode = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  for (const list of byClass.values()) list.sort((a, b) => byCode(a.path, b.path));
  return { classes: [...byClass.keys()].sort(byCode), byClass, skipped };
}

/** Converts a decoded image to gray levels 0..255 (alpha composited over black). */
export function toGray(img: DecodedImage): Float64Array {
  const n = img.width * img.height, c = img.channels, d = img.data;
  if (d.length < n * c) throw new DataError(`decoded image: ${d.length} samples for ${img.width}×${img.height}×${c}`);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * c;
    const g = c <= 2 ? d[o] : 0.299 * d[o] + 0.587 * d[o + 1] + 0.114 * d[o + 2];
    const a = c === 2 ? d[o + 1] / 255 : c === 4 ? d[o + 3] / 255 : 1;
    out[i] = g * a;
  }
  return out;
}

/** Reads a class-per-folder image set into an `ImageDataset` (uint8, one channel, fixed size). */
export async function readImageFolder(files: FolderFile[], decode: ImageDecoder, opts: FolderOptions = {}): Promise<FolderDataset> {
  const height = opts.height ?? 28, width = opts.width ?? 28;
  const { classes: found, byClass, skipped } = groupByClass(files);
  if (found.length === 0) throw new DataError(`image folder: no images in class folders (${files.length} files seen; expected class_name/*.png|jpg)`);
  const classes = opts.classes ?? found;
  const unknown = found.filter((c) => !classes.includes(c));
  if (unknown.length) throw new DataError(`image folder: folders not in the class list: ${unknown.join(', ')}`);
  if (classes.length > 256) throw new DataError(`image folder: ${classes.length} classes; at most 256 fit uint8 labels`);
  const ordered: { file: FolderFile; label: number }[] = [];
  classes.forEach((c, label) => { for (const file of byClass.get(c) ?? []) ordered.push({ file, label }); });
  const images = new Uint8Array(ordered.length * height * width);
  const labels = new Uint8Array(ordered.length);
  const paths: string[] = [];
  for (let i = 0; i < ordered.length; i++) {
    const { file, label } = ordered[i];
    let img: DecodedImage;
    try {
      const bytes = await file.read();
      checkImagePixels(bytes, file.path); // every decoder, before it allocates
      img = await decode(bytes, file.path);
    } catch (e) {
      throw new DataError(`${file.path}: cannot decode (${(e as Error).message})`);
    }
    let gray = toGray(img);
    if (img.height !== height || img.width !== width) gray = resizeGray(gray, img.height, img.width, height, width);
    if (opts.invert) for (let k = 0; k < gray.length; k++) gray[k] = 255 - gray[k];
    images.set(toUint8(gray), i * height * width);
    labels[i] = label;
    paths.push(file.path);
  }
  return {
    dataset: opts.dataset ?? 'folder', split: opts.split ?? 'all', count: ordered.length, height, width, channels: 1,
    classes, images, labels, paths, skipped,
  };
}

/** Browser: the files of an `<input type="file" webkitdirectory>` (paths from `webkitRelativePath`). */
export function filesFromFileList(list: Iterable<File>): FolderFile[] {
  return Array.from(list, (f) => ({
    path: f.webkitRelativePath || f.name,
    read: async () => new Uint8Array(await f.arrayBuffer()),
  }));
}

/** Browser: decodes PNG/JPEG with `createImageBitmap` and reads RGBA back through an `OffscreenCanvas`. */
export const decodeWithImageBitmap: ImageDecoder = async (bytes, path) => {
  checkImagePixels(bytes, path);
  const bitmap = await createImageBitmap(new Blob([bytes as Uint8Array<ArrayBuffer>]));
  try {
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new DataError('OffscreenCanvas 2d context unavailable');
    ctx.drawImage(bitmap, 0, 0);
    const { data } = ctx.getImageData(0, 0, bitmap.width, bitmap.height);
    return { width: bitmap.width, height: bitmap.height, channels: 4, data };
  } finally {
    bitmap.close();
  }
};
