/**
 * A model .zip picked or dropped in the Model panel (the Runs panel's export, or a folder zipped by hand), unpacked
 * in the engine Worker into the files of a local folder, so the local-folder load (src/engine/model.ts) reads it like
 * any picked folder: variants, size cap, decoding, op coverage, the model cache. The zip itself is read as hostile
 * input by src/models/modelZip.ts (limits from the central directory, capped inflating, sha256 manifest).
 */
import { ModelLoadError } from '../models/errors';
import { DEFAULT_ZIP_LIMITS, looksLikeZip, readModelZip, type ModelZipLimits } from '../models/modelZip';
import { formatBytes } from '../models/source';
import type { PathedFile } from './localModel';

// A zip's own bytes: its entries' caps plus room for headers (a stored entry is no smaller than its file).
const zipFileCap = (l: ModelZipLimits): number => l.maxTotalBytes + (1 << 20) + l.maxEntries * 1024;

const isZipName = (path: string): boolean => /\.zip$/i.test(path);

/** Whether the picked files are a model zip: one file named .zip, or one file that starts like a zip. */
async function isModelZip(files: readonly PathedFile[]): Promise<boolean> {
  if (files.length !== 1) return false;
  if (isZipName(files[0].path)) return true;
  return looksLikeZip(new Uint8Array(await files[0].file.slice(0, 4).arrayBuffer()));
}

/**
 * The files to load: the picked ones unchanged, or a zip's contents as files under a folder named after the zip
 * ('run-3-step40/onnx/vision_model.onnx'), with the reader's notes. Throws ModelLoadError('bad-archive') naming what is
 * wrong with a zip; a zip among other files is refused (which would be the model?).
 */
export async function expandModelZip(files: readonly PathedFile[], limits: ModelZipLimits = DEFAULT_ZIP_LIMITS): Promise<{ files: PathedFile[]; notes: string[]; zip: string | null }> {
  if (files.length > 1 && files.some((f) => isZipName(f.path))) {
    throw new ModelLoadError('bad-archive', 'a model .zip is loaded on its own: pick either the .zip or the folder\'s files');
  }
  if (!(await isModelZip(files))) return { files: [...files], notes: [], zip: null };
  const { path, file } = files[0];
  const zipName = path.split('/').pop()!;
  if (file.size > zipFileCap(limits)) {
    throw new ModelLoadError('too-large', `${zipName} is ${formatBytes(file.size)}, over the size cap of ${formatBytes(limits.maxTotalBytes)} for a model`, zipName);
  }
  const contents = await readModelZip(new Uint8Array(await file.arrayBuffer()), zipName, limits);
  const folder = zipName.replace(/\.zip$/i, '') || 'model';
  const out = [...contents.files].map(([p, bytes]) => ({
    path: `${folder}/${p}`,
    file: new File([bytes as Uint8Array<ArrayBuffer>], p.split('/').pop()!, { lastModified: file.lastModified }),
  }));
  return { files: out, notes: contents.notes, zip: zipName };
}
