/**
 * A model folder (transformers.js layout) as one .zip file, and back: the Runs panel exports a fine-tuned model this
 * way and the Model panel loads it like a picked folder.
 *
 * The zip holds the folder's files at its root ('config.json', 'onnx/vision_model.onnx', …) and a manifest,
 * `aos-model-manifest.json`, with every file's size and sha256; on the way back in every listed file is checked
 * against it. A zip without a manifest (a folder zipped by hand) still loads, with a note that nothing was verified.
 *
 * Reading treats the zip as hostile. fflate inflates; the container is walked here because fflate's `unzipSync`
 * would run a lying deflate stream to its end (it drops the bytes past the declared size but spends the time: 1 KB
 * of a bomb is ~1 MB of work) and keys a plain object by entry name. Every limit is checked from the central
 * directory before a byte is inflated — entry count, each declared size, their sum, names, overlaps — and again
 * while inflating (output is counted against the declared size, input fed in small chunks), since zip bombs lie.
 */
import { Inflate, zipSync, type ZippableFile } from 'fflate';
import { ModelLoadError } from './errors';
import { DEFAULT_MAX_BYTES } from './load';
import { sha256Hex } from './sha256';
import { formatBytes } from './source';

export const MODEL_MANIFEST = 'aos-model-manifest.json';
export const MODEL_ZIP_FORMAT = 'aos-workbench-model-zip-1';

export interface ModelManifest {
  format: typeof MODEL_ZIP_FORMAT;
  /** The model's name ('aos-workbench/run-…-step40'). */
  name: string;
  files: Array<{ path: string; bytes: number; sha256: string }>;
}

export interface ModelZipLimits {
  /** Entries in the central directory (directories included). */
  maxEntries: number;
  /** Uncompressed bytes of one entry: the model loader's cap on any one model file. */
  maxEntryBytes: number;
  /** Uncompressed bytes of all entries together: the model loader's cap on a whole load. */
  maxTotalBytes: number;
}

/** A CLIP folder has about 8 files; 64 leaves room for every precision variant and a README. */
export const DEFAULT_ZIP_LIMITS: ModelZipLimits = { maxEntries: 64, maxEntryBytes: DEFAULT_MAX_BYTES, maxTotalBytes: DEFAULT_MAX_BYTES };

const MAX_MANIFEST_BYTES = 1 << 20;
const MAX_NAME_LENGTH = 255;
// Input fed to the inflater per push: a deflate block expands at most ~1032×, so one push cannot produce more
// than ~16 MiB past a lying entry's declared size before the count stops it.
const INFLATE_CHUNK = 16 * 1024;

const encoder = new TextEncoder();

/** The zip of a model folder: ONNX files stored (float weights barely compress), JSON deflated, manifest first. */
export async function writeModelZip(files: Readonly<Record<string, Uint8Array | string>>, name: string): Promise<Uint8Array> {
  const entries = Object.entries(files).map(([path, v]) => [checkedName(path), typeof v === 'string' ? encoder.encode(v) : v] as const);
  const manifest: ModelManifest = {
    format: MODEL_ZIP_FORMAT, name,
    files: await Promise.all(entries.map(async ([path, bytes]) => ({ path, bytes: bytes.byteLength, sha256: await sha256Hex(bytes) }))),
  };
  const zippable: Record<string, ZippableFile> = { [MODEL_MANIFEST]: [encoder.encode(`${JSON.stringify(manifest, null, 2)}\n`), { level: 6 }] };
  for (const [path, bytes] of entries) zippable[path] = [bytes, { level: path.endsWith('.onnx') ? 0 : 6 }];
  return zipSync(zippable, { mtime: new Date('2000-01-01T00:00:00Z') });
}

/** What a model zip held, checked. */
export interface ModelZipContents {
  /** Folder-relative paths → bytes (the manifest not included). */
  files: Map<string, Uint8Array>;
  manifest: ModelManifest | null;
  /** What the reader wants the user to know ('no manifest: sha256 not verified'). */
  notes: string[];
}

const fail = (zipName: string, what: string, entry?: string): ModelLoadError =>
  new ModelLoadError('bad-archive', `${zipName}: ${what}`, entry);

/** An entry name the reader accepts: relative, '/'-separated, no '.'/'..' segments, printable, short. */
function nameProblem(name: string): string | null {
  if (name.length === 0) return 'an entry has an empty name';
  if (name.length > MAX_NAME_LENGTH) return `an entry name is over ${MAX_NAME_LENGTH} characters`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return `entry '${JSON.stringify(name).slice(1, -1)}' has control characters in its name`;
  if (name.includes('\\')) return `entry '${name}' uses backslashes: not a portable path`;
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) return `entry '${name}' is an absolute path`;
  const segments = name.replace(/\/$/, '').split('/');
  if (segments.some((s) => s === '..')) return `entry '${name}' points outside the folder ('..')`;
  if (segments.some((s) => s === '' || s === '.')) return `entry '${name}' has an empty or '.' path segment`;
  return null;
}

function checkedName(name: string): string {
  const problem = nameProblem(name);
  if (problem) throw new RangeError(problem);
  return name;
}

interface DirectoryEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localOffset: number;
  isDirectory: boolean;
}

const u16 = (b: Uint8Array, o: number): number => b[o] | (b[o + 1] << 8);
const u32 = (b: Uint8Array, o: number): number => (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;

const EOCD_SIG = 0x06054b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;
const EOCD_SIZE = 22;
const nameDecoder = new TextDecoder('utf-8', { fatal: true });

/** The end-of-central-directory record: the last one whose comment ends exactly at the end of the file. */
function findEndRecord(b: Uint8Array, zipName: string): number {
  const lowest = Math.max(0, b.length - EOCD_SIZE - 0xffff);
  for (let o = b.length - EOCD_SIZE; o >= lowest; o--) {
    if (u32(b, o) === EOCD_SIG && o + EOCD_SIZE + u16(b, o + 20) === b.length) return o;
  }
  throw fail(zipName, 'not a zip file, or one cut off before its end (no end-of-central-directory record)');
}

/** The central directory, every field bounded; nothing is inflated here. */
function readDirectory(b: Uint8Array, zipName: string, limits: ModelZipLimits): DirectoryEntry[] {
  const e = findEndRecord(b, zipName);
  const [disk, cdDisk, onDisk, count] = [u16(b, e + 4), u16(b, e + 6), u16(b, e + 8), u16(b, e + 10)];
  const [cdSize, cdOffset] = [u32(b, e + 12), u32(b, e + 16)];
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) throw fail(zipName, 'a zip64 archive: not supported (a model file over 4 GiB is over the size cap anyway)');
  if (disk !== 0 || cdDisk !== 0 || onDisk !== count) throw fail(zipName, 'a multi-part (spanned) zip: not supported');
  if (count > limits.maxEntries) throw fail(zipName, `${count} entries, over the limit of ${limits.maxEntries} for a model folder`);
  if (cdOffset + cdSize > e) throw fail(zipName, 'the central directory lies outside the file (cut off or damaged)');
  const out: DirectoryEntry[] = [];
  const seen = new Set<string>();
  let total = 0;
  let o = cdOffset;
  for (let i = 0; i < count; i++) {
    if (o + 46 > cdOffset + cdSize || u32(b, o) !== CENTRAL_SIG) throw fail(zipName, `central directory entry ${i + 1} of ${count} is damaged`);
    const [flags, method] = [u16(b, o + 8), u16(b, o + 10)];
    const [compressedSize, size] = [u32(b, o + 20), u32(b, o + 24)];
    const [nameLen, extraLen, commentLen] = [u16(b, o + 28), u16(b, o + 30), u16(b, o + 32)];
    const localOffset = u32(b, o + 42);
    const next = o + 46 + nameLen + extraLen + commentLen;
    if (next > cdOffset + cdSize) throw fail(zipName, `central directory entry ${i + 1} of ${count} runs past the directory`);
    let name: string;
    try { name = nameDecoder.decode(b.subarray(o + 46, o + 46 + nameLen)); } catch { throw fail(zipName, `entry ${i + 1} has a name that is not UTF-8`); }
    o = next;
    const problem = nameProblem(name);
    if (problem) throw fail(zipName, problem, name);
    const key = name.replace(/\/$/, '').toLowerCase();
    if (seen.has(key)) throw fail(zipName, `entry '${name}' appears twice (names compared ignoring case)`, name);
    seen.add(key);
    if (flags & 0x41) throw fail(zipName, `entry '${name}' is encrypted`, name);
    if (method !== 0 && method !== 8) throw fail(zipName, `entry '${name}' uses compression method ${method}; only stored (0) and deflate (8) are read`, name);
    if (size === 0xffffffff || compressedSize === 0xffffffff || localOffset === 0xffffffff) throw fail(zipName, `entry '${name}' has zip64 sizes: not supported`, name);
    if (size > limits.maxEntryBytes) throw fail(zipName, `entry '${name}' is ${formatBytes(size)} uncompressed, over the size cap of ${formatBytes(limits.maxEntryBytes)}`, name);
    if (method === 0 && compressedSize !== size) throw fail(zipName, `entry '${name}' is stored but its sizes differ (${compressedSize} vs ${size})`, name);
    total += size;
    if (total > limits.maxTotalBytes) throw fail(zipName, `the entries add up to more than ${formatBytes(limits.maxTotalBytes)} uncompressed (the size cap)`, name);
    const isDirectory = name.endsWith('/');
    if (isDirectory && size !== 0) throw fail(zipName, `directory entry '${name}' has contents`, name);
    out.push({ name: name.replace(/\/$/, ''), method, compressedSize, size, localOffset, isDirectory });
  }
  return out;
}

/** Where an entry's data lies, from its local header; entries may not overlap (overlapping entries are a bomb trick). */
function dataRanges(b: Uint8Array, entries: readonly DirectoryEntry[], end: number, zipName: string): Map<DirectoryEntry, [number, number]> {
  const ranges = new Map<DirectoryEntry, [number, number]>();
  for (const en of entries) {
    const o = en.localOffset;
    if (o + 30 > end || u32(b, o) !== LOCAL_SIG) throw fail(zipName, `entry '${en.name}': its local header is missing (cut off or damaged)`, en.name);
    const start = o + 30 + u16(b, o + 26) + u16(b, o + 28);
    if (start + en.compressedSize > end) throw fail(zipName, `entry '${en.name}' runs past the end of the data (cut off or damaged)`, en.name);
    ranges.set(en, [o, start + en.compressedSize]);
  }
  const sorted = [...ranges.entries()].sort((x, y) => x[1][0] - y[1][0]);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i][1][0] < sorted[i - 1][1][1]) throw fail(zipName, `entries '${sorted[i - 1][0].name}' and '${sorted[i][0].name}' overlap`, sorted[i][0].name);
  }
  return ranges;
}

/** Inflates into exactly `size` bytes, stopping as soon as the stream produces more. */
function inflateCapped(data: Uint8Array, size: number, name: string, zipName: string): Uint8Array {
  const out = new Uint8Array(size);
  let written = 0;
  let ended = false;
  const inflater = new Inflate((chunk, final) => {
    if (written + chunk.length > size) throw fail(zipName, `entry '${name}' inflates to more than its declared ${formatBytes(size)} (a zip bomb, or damaged)`, name);
    out.set(chunk, written);
    written += chunk.length;
    if (final) ended = true;
  });
  try {
    for (let i = 0; i < data.length || i === 0; i += INFLATE_CHUNK) {
      inflater.push(data.subarray(i, i + INFLATE_CHUNK), i + INFLATE_CHUNK >= data.length);
    }
  } catch (e) {
    if (e instanceof ModelLoadError) throw e;
    throw fail(zipName, `entry '${name}' is not valid deflate data (${(e as Error)?.message ?? e}): cut off or damaged`, name);
  }
  if (!ended || written !== size) throw fail(zipName, `entry '${name}' inflates to ${formatBytes(written)}, not its declared ${formatBytes(size)}: cut off or damaged`, name);
  return out;
}

/** The manifest's fields, each checked; its paths must match the zip's files one to one. */
function parseManifest(bytes: Uint8Array, zipName: string, paths: ReadonlySet<string>): ModelManifest {
  const bad = (what: string) => fail(zipName, `${MODEL_MANIFEST}: ${what}`, MODEL_MANIFEST);
  if (bytes.length > MAX_MANIFEST_BYTES) throw bad(`over ${formatBytes(MAX_MANIFEST_BYTES)}`);
  let json: unknown;
  try { json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)); } catch (e) { throw bad(`not JSON (${(e as Error).message})`); }
  const m = json as Partial<Record<keyof ModelManifest, unknown>>;
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw bad('not a JSON object');
  if (m.format !== MODEL_ZIP_FORMAT) throw bad(`format is ${JSON.stringify(m.format)}, expected '${MODEL_ZIP_FORMAT}'`);
  if (typeof m.name !== 'string' || m.name.length > 256) throw bad('name is not a short string');
  if (!Array.isArray(m.files) || m.files.length > paths.size) throw bad('files is not a list of the zip\'s files');
  const files: ModelManifest['files'] = [];
  for (const f of m.files as unknown[]) {
    const r = f as Record<string, unknown>;
    if (typeof f !== 'object' || f === null || typeof r.path !== 'string' || !Number.isSafeInteger(r.bytes) || typeof r.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(r.sha256)) {
      throw bad('a file entry lacks a path, a byte count or a 64-digit hex sha256');
    }
    if (!paths.has(r.path)) throw bad(`lists '${r.path}', which is not in the zip`);
    if (files.some((x) => x.path === r.path)) throw bad(`lists '${r.path}' twice`);
    files.push({ path: r.path, bytes: r.bytes as number, sha256: r.sha256 });
  }
  for (const p of paths) if (!files.some((x) => x.path === p)) throw bad(`does not list '${p}', which is in the zip`);
  return { format: MODEL_ZIP_FORMAT, name: m.name, files };
}

/**
 * Reads a model zip: checks every limit from the central directory first, inflates under the same caps, then
 * verifies each file against the manifest's size and sha256. Throws ModelLoadError('bad-archive') naming the entry
 * and what is wrong with it.
 */
export async function readModelZip(bytes: Uint8Array, zipName = 'the zip', limits: ModelZipLimits = DEFAULT_ZIP_LIMITS): Promise<ModelZipContents> {
  const entries = readDirectory(bytes, zipName, limits).filter((e) => !e.isDirectory);
  if (entries.length === 0) throw fail(zipName, 'the zip holds no files');
  const ranges = dataRanges(bytes, entries, findEndRecord(bytes, zipName), zipName);
  const raw = new Map<string, Uint8Array>();
  for (const en of entries) {
    const [, end] = ranges.get(en)!;
    const data = bytes.subarray(end - en.compressedSize, end);
    raw.set(en.name, en.method === 0 ? data.slice() : inflateCapped(data, en.size, en.name, zipName));
  }
  const manifestBytes = raw.get(MODEL_MANIFEST);
  raw.delete(MODEL_MANIFEST);
  if (!manifestBytes) return { files: raw, manifest: null, notes: [`${zipName} has no ${MODEL_MANIFEST}: its files' sha256 were not verified`] };
  const manifest = parseManifest(manifestBytes, zipName, new Set(raw.keys()));
  for (const f of manifest.files) {
    const got = raw.get(f.path)!;
    if (got.byteLength !== f.bytes) throw fail(zipName, `'${f.path}' is ${got.byteLength} bytes, the manifest says ${f.bytes}: the file was changed or damaged`, f.path);
    const sha = await sha256Hex(got);
    if (sha !== f.sha256) throw fail(zipName, `'${f.path}' does not match its sha256 in the manifest (${sha.slice(0, 12)}… ≠ ${f.sha256.slice(0, 12)}…): the file was changed or damaged`, f.path);
  }
  return { files: raw, manifest, notes: [`${zipName}: every file verified against the sha256 in its manifest`] };
}

/** Whether bytes start like a zip (a local file header), for telling a zip from a loose model file. */
export function looksLikeZip(head: Uint8Array): boolean {
  return head.length >= 4 && u32(head, 0) === LOCAL_SIG;
}
