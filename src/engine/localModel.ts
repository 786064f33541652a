/**
 * A CLIP model folder on the user's machine (an "Open folder…" / "Open files…" picker's FileList, or a drop walked
 * by ./dropFiles) as a model-loader source (src/models/source.ts `filesSource`: paths relative to the folder, loose
 * files matched by file name), and the small pure pieces the Model panel shows around a local load.
 * React-free and DOM-free beyond `File` (Node 20 has it), so vitest covers it (tests/engine/localModel.test.ts).
 */
import { fileSourceKey, type LocalModelRecord, type ModelCache } from '../models/cache';
import { filesSource, formatBytes, type ModelSource } from '../models/source';
import type { Precision, VariantListing } from '../models/variants';

/** A file and its path inside the chosen folder or drop ('tiny-clip/onnx/vision_model.onnx'). */
export interface PathedFile {
  path: string;
  file: File;
}

/** What the panel hands over: a picker's FileList / File[] or a drop's files with their paths. */
export type LocalFilesInput = FileList | readonly File[] | readonly PathedFile[];

const isPathed = (x: unknown): x is PathedFile => typeof x === 'object' && x !== null && 'file' in x && 'path' in x;

/** Files with their paths: a picked folder's `webkitRelativePath`, else the file name (loose files). */
export function toPathedFiles(input: LocalFilesInput): PathedFile[] {
  const arr = Array.from(input as ArrayLike<File | PathedFile>);
  return arr.map((x) => (isPathed(x) ? x : { path: (x as File).webkitRelativePath || x.name, file: x }))
    .map(({ path, file }) => ({ path: path.replace(/\\/g, '/').replace(/^(\.\/|\/)+/, ''), file }));
}

/** The model loader's source over the files; each carries its path (filesSource reads `relativePath`). */
export function localModelSource(input: LocalFilesInput): ModelSource {
  const files = toPathedFiles(input).map(({ path, file }) => {
    if ((file.webkitRelativePath || file.name) === path) return file;
    const copy = new File([file], file.name, { type: file.type, lastModified: file.lastModified });
    Object.defineProperty(copy, 'relativePath', { value: path });
    return copy;
  });
  return filesSource(files);
}

/** The folder's own name when every path starts with the same folder ('tiny-clip'), else null (loose files). */
export function localFolderName(paths: readonly string[]): string | null {
  if (paths.length === 0 || paths.some((p) => !p.includes('/'))) return null;
  const first = paths[0].split('/')[0];
  return paths.every((p) => p.split('/')[0] === first) ? first : null;
}

/** Where the model came from, for the summary: 'tiny-clip/ (7 local files, 1.8 MiB)'. */
export function localOriginLabel(files: readonly PathedFile[]): string {
  const name = localFolderName(files.map((f) => f.path));
  const bytes = files.reduce((a, f) => a + f.file.size, 0);
  const what = `${files.length} local file${files.length === 1 ? '' : 's'}, ${formatBytes(bytes)}`;
  return name ? `${name}/ (${what})` : what;
}

/**
 * The model's identity: every file's name, size and modification time (the model cache's local-file key), so
 * picking the same unchanged folder again gives the same key and an edited file a new one.
 */
export function localModelKey(files: readonly PathedFile[]): string {
  return `local:${files.map(({ path, file }) => fileSourceKey(path, file)).sort().join('\u0001')}`;
}

/**
 * The picked file the loader read as `name` ('onnx/vision_model.onnx'): the one whose path is the name or ends with
 * '/' + name, else the only one with the same file name (loose files); null when none or several match.
 */
export function matchLoadedFile(files: readonly PathedFile[], name: string): PathedFile | null {
  const exact = files.filter((f) => f.path === name || f.path.endsWith(`/${name}`));
  if (exact.length === 1) return exact[0];
  const base = name.split('/').pop()!;
  const loose = files.filter((f) => f.path.split('/').pop() === base);
  return loose.length === 1 ? loose[0] : null;
}

/** A tower's precision as shown: the file's, and what the loader turned it into for the autodiff. */
export function towerPrecisionLabel(precision: Precision, steps: readonly string[]): string {
  return precision === 'fp32' && steps.every((s) => !/upcast|dequant/i.test(s)) ? 'fp32' : `${precision} (file) → fp32 for the autodiff`;
}

/** One line on the precisions present in the folder and the one loaded. */
export function variantsNote(listing: VariantListing, loaded: Precision): string {
  const all = listing.variants.map((v) => `${v.precision}${v.layout === 'combined' ? ' (model.onnx)' : ''} ${formatBytes(v.bytes)}`);
  const incomplete = listing.incomplete.map((i) => `${i.precision} incomplete: ${i.present} without ${i.missing}`);
  return `Precisions in the folder: ${all.join(', ') || 'none'}; loaded ${loaded}.${incomplete.length ? ` ${incomplete.join('; ')}.` : ''}`;
}

/** Puts a loaded local model's files in the model cache (under their `file:` keys) and lists it as recent. */
export async function storeLocalModel(cache: ModelCache, files: PathedFile[], loadedFiles: ReadonlyArray<{ name: string; sha256: string }>, read: Map<string, Uint8Array>): Promise<string | null> {
  const out: LocalModelRecord['files'] = [];
  for (const f of loadedFiles) {
    const pf = matchLoadedFile(files, f.name);
    const bytes = read.get(f.name);
    if (!pf || !bytes) return `not cached: ${f.name} could not be matched to a picked file`;
    const put = await cache.put(fileSourceKey(pf.path, pf.file), bytes, { contentLength: bytes.byteLength }, f.sha256);
    if (!put.stored) return `${f.name}: ${put.note ?? 'not cached'}; this model cannot be reopened after a reload`;
    out.push({ path: pf.path, sha256: f.sha256, size: pf.file.size, lastModified: pf.file.lastModified });
  }
  const rec = await cache.putLocalModel({ id: localModelKey(files), name: localFolderName(files.map((f) => f.path)) ?? localOriginLabel(files), files: out, savedAt: Date.now() });
  return rec ? null : 'not cached: a file was evicted while storing; this model cannot be reopened after a reload';
}
