/**
 * The bundled datasets under `public/data/` (served as `<base>/data/…`): a manifest plus one file per split.
 *
 * Container format "AOSD v1" (file extension `.aosd`; not `.gz`, so no web server adds a Content-Encoding):
 *   the whole file is one gzip stream (written at level 9 with a zero mtime, so regeneration is byte-identical) of
 *     bytes 0–3   ASCII "AOSD"
 *     byte  4     version = 1, bytes 5–7 zero
 *     bytes 8–11  u32 little-endian L = byte length of the header JSON
 *     L bytes     header JSON, UTF-8: { dataset, split, count, height, width, channels, classes }
 *     N·C·H·W     images, uint8 (0 = black … 255 = white), row-major [N, C, H, W]
 *     N           labels, uint8 class indices into `classes`
 *   and nothing after. The manifest records each file's byte size and sha256 (of the compressed file as stored).
 *
 * Everything here runs in the browser and in Node: sha256 through WebCrypto (`crypto.subtle`), gunzip through an
 * injectable `Gunzip` (default `DecompressionStream`), file access through an injected `ReadFile`.
 */
import { DataError } from './errors';
import { gunzipWeb, hexPrefix, type Gunzip } from './gzip';

export const AOSD_MAGIC = 'AOSD';
export const AOSD_VERSION = 1;
export const MANIFEST_FORMAT = 'aosd-1';

/** One split file as listed in the manifest. */
export interface SplitEntry {
  /** File name relative to the manifest. */
  file: string;
  count: number;
  /** Size of the stored (compressed) file. */
  bytes: number;
  /** sha256 of the stored (compressed) file, lowercase hex. */
  sha256: string;
  /** Images per class, in `classes` order. */
  classCounts: number[];
}

export interface DatasetEntry {
  id: string;
  name: string;
  /** Class names; a label is an index into this list. */
  classes: string[];
  height: number;
  width: number;
  channels: number;
  /** Whether a horizontal flip preserves the class (true for clothes, false for digits). */
  hflip: boolean;
  source: string;
  licence: string;
  /** How the splits were drawn and anything else a user should know. */
  notes: string;
  splits: Record<string, SplitEntry>;
}

export interface DataManifest {
  format: typeof MANIFEST_FORMAT;
  description: string;
  seed: number;
  datasets: DatasetEntry[];
}

/** The header stored inside each file. */
export interface BundleHeader {
  dataset: string;
  split: string;
  count: number;
  height: number;
  width: number;
  channels: number;
  classes: string[];
}

/** A decoded split. */
export interface ImageDataset extends BundleHeader {
  /** uint8 [count, channels, height, width]. */
  images: Uint8Array;
  /** uint8 [count]. */
  labels: Uint8Array;
}

/** Reads a file by its name relative to the manifest. */
export type ReadFile = (file: string) => Promise<Uint8Array>;

/** Builds the uncompressed container (the writer gzips it). */
export function encodeBundle(header: BundleHeader, images: Uint8Array, labels: Uint8Array): Uint8Array {
  const { count, channels, height, width } = header;
  if (images.length !== count * channels * height * width) {
    throw new DataError(`encodeBundle: ${images.length} image bytes for ${count}×${channels}×${height}×${width}`);
  }
  if (labels.length !== count) throw new DataError(`encodeBundle: ${labels.length} labels for ${count} images`);
  for (const l of labels) if (l >= header.classes.length) throw new DataError(`encodeBundle: label ${l} ≥ ${header.classes.length} classes`);
  const json = new TextEncoder().encode(JSON.stringify({
    dataset: header.dataset, split: header.split, count, height, width, channels, classes: header.classes,
  }));
  const out = new Uint8Array(12 + json.length + images.length + labels.length);
  out.set(new TextEncoder().encode(AOSD_MAGIC), 0);
  out[4] = AOSD_VERSION;
  new DataView(out.buffer).setUint32(8, json.length, true);
  out.set(json, 12);
  out.set(images, 12 + json.length);
  out.set(labels, 12 + json.length + images.length);
  return out;
}

/** Parses the uncompressed container. Throws a `DataError` on a bad magic, version, header or length. */
export function decodeBundle(raw: Uint8Array, name = 'bundle'): ImageDataset {
  if (raw.length < 12) throw new DataError(`${name}: truncated: ${raw.length} bytes, shorter than the 12-byte AOSD preamble`);
  const magic = new TextDecoder().decode(raw.subarray(0, 4));
  if (magic !== AOSD_MAGIC) throw new DataError(`${name}: not an AOSD container (first bytes ${hexPrefix(raw)})`);
  if (raw[4] !== AOSD_VERSION) throw new DataError(`${name}: AOSD version ${raw[4]} is not supported (this reader: ${AOSD_VERSION})`);
  const len = new DataView(raw.buffer, raw.byteOffset, raw.byteLength).getUint32(8, true);
  if (12 + len > raw.length) throw new DataError(`${name}: truncated: header JSON of ${len} bytes runs past the end (${raw.length} bytes)`);
  let h: BundleHeader;
  try {
    h = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw.subarray(12, 12 + len))) as BundleHeader;
  } catch (e) {
    throw new DataError(`${name}: unreadable header JSON (${(e as Error).message})`);
  }
  for (const k of ['count', 'height', 'width', 'channels'] as const) {
    if (!Number.isInteger(h[k]) || h[k] < 0) throw new DataError(`${name}: header field ${k} = ${String(h[k])} is not a size`);
  }
  if (!Array.isArray(h.classes) || h.classes.length === 0 || h.classes.length > 256) throw new DataError(`${name}: header has no usable class list`);
  const nImg = h.count * h.channels * h.height * h.width;
  const need = 12 + len + nImg + h.count;
  if (raw.length !== need) {
    const what = raw.length < need ? 'truncated' : 'trailing bytes';
    throw new DataError(`${name}: ${what}: ${h.count} images of ${h.channels}×${h.height}×${h.width} plus labels need ${need} bytes, found ${raw.length}`);
  }
  const images = raw.slice(12 + len, 12 + len + nImg);
  const labels = raw.slice(12 + len + nImg, need);
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= h.classes.length) throw new DataError(`${name}: label ${labels[i]} at index ${i} is out of range for ${h.classes.length} classes`);
  }
  return {
    dataset: String(h.dataset), split: String(h.split), count: h.count, height: h.height, width: h.width,
    channels: h.channels, classes: h.classes.map(String), images, labels,
  };
}

/** sha256 of the bytes, lowercase hex, via WebCrypto (browser and Node ≥ 20). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Throws a `DataError` unless the bytes have the manifest's size and sha256. */
export async function verifyFile(bytes: Uint8Array, entry: Pick<SplitEntry, 'bytes' | 'sha256' | 'file'>, name = entry.file): Promise<void> {
  const got = await sha256Hex(bytes);
  if (got === entry.sha256 && bytes.length === entry.bytes) return;
  const size = bytes.length === entry.bytes ? `size ${bytes.length} bytes as listed`
    : bytes.length < entry.bytes ? `only ${bytes.length} of ${entry.bytes} bytes: the file is truncated`
      : `${bytes.length} bytes where the manifest lists ${entry.bytes}`;
  throw new DataError(
    `${name} (${entry.file}): sha256 mismatch: manifest ${entry.sha256}, file ${got}; ${size}. ` +
    'The file is corrupt or not the one the manifest lists (regenerate with `npm run make-data`).',
  );
}

/**
 * Verifies (size, sha256) and decodes one stored split file, then checks its header against the manifest.
 */
export async function decodeSplitFile(
  bytes: Uint8Array, dataset: DatasetEntry, split: string, gunzip: Gunzip = gunzipWeb,
): Promise<ImageDataset> {
  const entry = splitEntry(dataset, split);
  const name = `${dataset.id}/${split}`;
  await verifyFile(bytes, entry, name);
  let raw: Uint8Array;
  try {
    raw = await gunzip(bytes);
  } catch (e) {
    throw new DataError(`${name}: ${(e as Error).message}`);
  }
  const ds = decodeBundle(raw, name);
  const mismatch: string[] = [];
  if (ds.dataset !== dataset.id) mismatch.push(`dataset ${ds.dataset} ≠ ${dataset.id}`);
  if (ds.split !== split) mismatch.push(`split ${ds.split} ≠ ${split}`);
  if (ds.count !== entry.count) mismatch.push(`count ${ds.count} ≠ ${entry.count}`);
  if (ds.height !== dataset.height || ds.width !== dataset.width || ds.channels !== dataset.channels) {
    mismatch.push(`size ${ds.channels}×${ds.height}×${ds.width} ≠ ${dataset.channels}×${dataset.height}×${dataset.width}`);
  }
  if (ds.classes.join('\n') !== dataset.classes.join('\n')) mismatch.push('class list differs');
  if (mismatch.length) throw new DataError(`${name}: file header disagrees with the manifest: ${mismatch.join('; ')}`);
  return ds;
}

export function findDataset(manifest: DataManifest, id: string): DatasetEntry {
  const d = manifest.datasets.find((x) => x.id === id);
  if (!d) throw new DataError(`manifest: no dataset "${id}" (have: ${manifest.datasets.map((x) => x.id).join(', ')})`);
  return d;
}

export function splitEntry(dataset: DatasetEntry, split: string): SplitEntry {
  const e = dataset.splits[split];
  if (!e) throw new DataError(`manifest: dataset "${dataset.id}" has no split "${split}" (have: ${Object.keys(dataset.splits).join(', ')})`);
  return e;
}

/** Checks the shape of a parsed manifest.json. */
export function parseManifest(json: unknown): DataManifest {
  const m = json as DataManifest;
  if (!m || m.format !== MANIFEST_FORMAT || !Array.isArray(m.datasets)) {
    throw new DataError(`manifest: expected format "${MANIFEST_FORMAT}" with a datasets list`);
  }
  return m;
}

/** Loads one split: reads the manifest's file through `read`, verifies and decodes it. */
export async function loadSplit(
  manifest: DataManifest, datasetId: string, split: string, read: ReadFile, gunzip: Gunzip = gunzipWeb,
): Promise<ImageDataset> {
  const dataset = findDataset(manifest, datasetId);
  const bytes = await read(splitEntry(dataset, split).file);
  return decodeSplitFile(bytes, dataset, split, gunzip);
}

/** Default location of the bundle in the app: Vite's base URL + `data/`. */
export function defaultDataUrl(): string {
  const base = (import.meta.env?.BASE_URL as string | undefined) ?? '/';
  return `${base.endsWith('/') ? base : `${base}/`}data/`;
}

/** A `ReadFile` over HTTP (the browser, or any host with `fetch`). */
export function fetchReader(baseUrl = defaultDataUrl(), fetchImpl: typeof fetch = fetch): ReadFile {
  return async (file) => {
    const url = baseUrl + file;
    const res = await fetchImpl(url);
    if (!res.ok) throw new DataError(`${url}: HTTP ${res.status} ${res.statusText}`);
    return new Uint8Array(await res.arrayBuffer());
  };
}

/** Reads and checks `manifest.json` through a `ReadFile`. */
export async function loadManifest(read: ReadFile): Promise<DataManifest> {
  const bytes = await read('manifest.json');
  try {
    return parseManifest(JSON.parse(new TextDecoder().decode(bytes)));
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new DataError(`manifest.json: not valid JSON (${(e as Error).message})`);
  }
}

/** uint8 images → float32 in [0, 1]. */
export function toFloat01(u8: Uint8Array): Float32Array {
  const out = new Float32Array(u8.length);
  for (let i = 0; i < u8.length; i++) out[i] = u8[i] / 255;
  return out;
}

/** Images per class. */
export function countLabels(labels: ArrayLike<number>, numClasses: number): number[] {
  const c = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < labels.length; i++) c[labels[i]]++;
  return c;
}
