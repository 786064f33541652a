/**
 * Node-only helpers (node:zlib, node:fs). Never import this from code that runs in the browser.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { gunzipSync, gzipSync, constants } from 'node:zlib';
import { loadManifest, loadSplit, type DataManifest, type ImageDataset, type ReadFile } from './bundle';
import { DataError } from './errors';
import type { FolderFile } from './folder';
import type { Gunzip } from './gzip';

/** gunzip with node:zlib (synchronous inside; faster than DecompressionStream for large files). */
export const gunzipNode: Gunzip = async (bytes) => {
  try {
    const b = gunzipSync(bytes);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (e) {
    throw new DataError(`gzip: corrupt or truncated stream of ${bytes.length} bytes (${(e as Error).message})`);
  }
};

/** gzip at a fixed level with no timestamp or file name: the same input gives the same bytes (for one zlib build). */
export function gzipDeterministic(bytes: Uint8Array): Uint8Array {
  const b = gzipSync(bytes, { level: 9, memLevel: 9, strategy: constants.Z_DEFAULT_STRATEGY });
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** A `ReadFile` over a local folder. */
export function dirReader(dir: string): ReadFile {
  return async (file) => {
    try {
      const b = await readFile(join(dir, file));
      return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    } catch (e) {
      throw new DataError(`${join(dir, file)}: ${(e as Error).message}`);
    }
  };
}

/** The committed bundle folder, relative to the repository root. */
export const BUNDLE_DIR = 'public/data';

/** Loads the manifest and one split from a local folder (default: the committed bundle). */
export async function loadSplitFromDir(datasetId: string, split: string, dir = BUNDLE_DIR): Promise<{ manifest: DataManifest; data: ImageDataset }> {
  const read = dirReader(dir);
  const manifest = await loadManifest(read);
  return { manifest, data: await loadSplit(manifest, datasetId, split, read, gunzipNode) };
}

/** Node: every file under `dir` as a `FolderFile` (paths relative to `dir`, '/'-separated). */
export async function folderFiles(dir: string): Promise<FolderFile[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => {
      const full = join(e.parentPath, e.name);
      return { path: relative(dir, full).split(sep).join('/'), read: async () => new Uint8Array(await readFile(full)) };
    });
}
