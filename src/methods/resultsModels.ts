/**
 * The committed models of a results file's table runs (`public/results/models/manifest.json`, written by
 * scripts/methods/results-models.ts): which model folder belongs to which run id, every file with its size and
 * sha256. The manifest is hostile input like the results file (bounded, every field checked, errors name the
 * field); a model is used only when its manifest entry agrees with the sha256 the results file itself records for
 * the run's ONNX files (`provenance.files`), and the fetched bytes agree with the manifest (checked where fetched).
 */
import type { ProtocolConfig } from '../attacks/protocol';
import type { ResultsFile } from './results';
import { kindOf } from './resultsCurve';

export const RESULTS_MODELS_SCHEMA = 'aos-workbench/results-models';
export const RESULTS_MODELS_VERSION = 1;
/** Caps: manifest text, models, files per model, string length, one file's size. */
export const RESULTS_MODELS_LIMITS = { textChars: 256 * 1024, models: 64, files: 16, stringChars: 512, fileBytes: 64 * 1024 * 1024 } as const;
/** The files a CLIP folder needs (transformers.js layout). */
export const MODEL_FILE_NAMES = ['config.json', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/vision_model.onnx', 'onnx/text_model.onnx'] as const;

export interface ResultsModelFile {
  /** Name inside the model folder (one of MODEL_FILE_NAMES). */
  name: string;
  /** Where the app serves it, relative to the app's base URL (no '..', no scheme). */
  url: string;
  bytes: number;
  sha256: string;
  /** The path under which the results file's `provenance.files` lists it (the ONNX files), if any. */
  recorded?: string;
}

export interface ResultsModel {
  /** The run id in the results file. */
  run: string;
  method: string;
  seed: number;
  files: ResultsModelFile[];
}

export interface ResultsModelsManifest {
  schema: typeof RESULTS_MODELS_SCHEMA;
  version: typeof RESULTS_MODELS_VERSION;
  /** The results file these models belong to (e.g. 'results/reproduce-quick.json'). */
  results: string;
  models: ResultsModel[];
}

function fail(path: string, what: string): never {
  throw new TypeError(`results models: ${path}: ${what}`);
}
function obj(path: string, v: unknown, keys: string[]): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, `expected an object, got ${kindOf(v)}`);
  for (const k of Object.keys(v)) if (!keys.includes(k)) fail(`${path}.${k}`, 'unknown field');
  return v as Record<string, unknown>;
}
function str(path: string, v: unknown, max: number = RESULTS_MODELS_LIMITS.stringChars): string {
  if (typeof v !== 'string') fail(path, `expected a string, got ${kindOf(v)}`);
  if (v.length > max) fail(path, `${v.length} characters, at most ${max}`);
  return v;
}
function int(path: string, v: unknown, lo: number, hi: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) fail(path, `expected an integer in [${lo}, ${hi}], got ${typeof v === 'number' ? v : kindOf(v)}`);
  return v;
}
function arr(path: string, v: unknown, max: number): unknown[] {
  if (!Array.isArray(v)) fail(path, `expected an array, got ${kindOf(v)}`);
  if (v.length > max) fail(path, `${v.length} entries, at most ${max}`);
  return v;
}

/** Checks an untrusted manifest value; returns a fresh typed copy. */
export function validateResultsModels(value: unknown): ResultsModelsManifest {
  const L = RESULTS_MODELS_LIMITS;
  const o = obj('$', value, ['schema', 'version', 'results', 'models']);
  if (o.schema !== RESULTS_MODELS_SCHEMA) fail('$.schema', `expected '${RESULTS_MODELS_SCHEMA}'`);
  if (o.version !== RESULTS_MODELS_VERSION) fail('$.version', `unsupported version ${typeof o.version === 'number' ? o.version : kindOf(o.version)} (this reader: ${RESULTS_MODELS_VERSION})`);
  const runs = new Set<string>();
  const models = arr('$.models', o.models, L.models).map((m, i): ResultsModel => {
    const p = `$.models[${i}]`, e = obj(p, m, ['run', 'method', 'seed', 'files']);
    const run = str(`${p}.run`, e.run, 256);
    if (runs.has(run)) fail(`${p}.run`, `duplicate run '${run}'`);
    runs.add(run);
    const names = new Set<string>();
    const files = arr(`${p}.files`, e.files, L.files).map((f, j): ResultsModelFile => {
      const q = `${p}.files[${j}]`, x = obj(q, f, ['name', 'url', 'bytes', 'sha256', 'recorded']);
      const name = str(`${q}.name`, x.name);
      if (!(MODEL_FILE_NAMES as readonly string[]).includes(name)) fail(`${q}.name`, `not a model file name (${MODEL_FILE_NAMES.join(', ')})`);
      if (names.has(name)) fail(`${q}.name`, `duplicate file '${name}'`);
      names.add(name);
      const url = str(`${q}.url`, x.url);
      if (!/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(url) || url.split('/').some((s) => s === '..' || s === '.')) fail(`${q}.url`, 'expected a relative path of plain names');
      const sha256 = str(`${q}.sha256`, x.sha256, 64);
      if (!/^[0-9a-f]{64}$/.test(sha256)) fail(`${q}.sha256`, 'expected 64 lowercase hex digits');
      return {
        name, url, bytes: int(`${q}.bytes`, x.bytes, 1, L.fileBytes), sha256,
        ...(x.recorded === undefined ? {} : { recorded: str(`${q}.recorded`, x.recorded) }),
      };
    });
    for (const need of MODEL_FILE_NAMES) if (!names.has(need)) fail(`${p}.files`, `no ${need}`);
    return { run, method: str(`${p}.method`, e.method, 256), seed: int(`${p}.seed`, e.seed, 0, 2 ** 32 - 1), files };
  });
  return { schema: RESULTS_MODELS_SCHEMA, version: RESULTS_MODELS_VERSION, results: str('$.results', o.results), models };
}

/** Parses the manifest's text (size checked before parsing). */
export function parseResultsModels(text: string): ResultsModelsManifest {
  if (text.length > RESULTS_MODELS_LIMITS.textChars) throw new RangeError(`results models: ${text.length} characters, at most ${RESULTS_MODELS_LIMITS.textChars}`);
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new SyntaxError(`results models: not JSON (${(e as Error).message})`, { cause: e });
  }
  return validateResultsModels(v);
}

/**
 * The committed model of `runId` when the results file on show vouches for it: the run exists, and every manifest
 * file with a `recorded` path has the size and sha256 the results file lists under that path (at least the two ONNX
 * files must be so recorded). Otherwise the reason, in words.
 */
export function modelForRun(manifest: ResultsModelsManifest, file: ResultsFile, runId: string): { ok: true; model: ResultsModel } | { ok: false; reason: string } {
  const run = file.runs.find((r) => r.id === runId);
  if (!run) return { ok: false, reason: `the results file has no run ${runId}` };
  const model = manifest.models.find((m) => m.run === runId);
  if (!model) return { ok: false, reason: `no committed model for run ${runId} (the committed models: ${manifest.models.map((m) => m.run).join(', ') || 'none'})` };
  if (model.method !== run.method || model.seed !== run.seed) return { ok: false, reason: `the committed model of ${runId} is ${model.method} seed ${model.seed}, the results file's run ${run.method} seed ${String(run.seed)}` };
  for (const name of ['onnx/vision_model.onnx', 'onnx/text_model.onnx']) {
    const f = model.files.find((x) => x.name === name)!;
    if (!f.recorded) return { ok: false, reason: `the committed ${name} of ${runId} names no file of the results file to check it against` };
  }
  for (const f of model.files) {
    if (!f.recorded) continue;
    const rec = file.provenance.files.find((x) => x.path === f.recorded);
    if (!rec) return { ok: false, reason: `the results file lists no ${f.recorded}: it cannot vouch for the committed model of ${runId}` };
    if (rec.sha256 !== f.sha256 || rec.bytes !== f.bytes) return { ok: false, reason: `the committed ${f.name} of ${runId} (sha256 ${f.sha256.slice(0, 12)}…, ${f.bytes} bytes) is not the one the results file records (${rec.sha256.slice(0, 12)}…, ${rec.bytes} bytes)` };
  }
  return { ok: true, model };
}

/** Attack settings read from a results file are bounded so a hostile file cannot ask the page for endless work. */
const MAX_PROTOCOL_STEPS = 10_000;

/**
 * The evaluation protocol a results file records (`provenance.config.settings.protocol` as `reproduce` writes it,
 * or `provenance.config.protocol` as `eval-robust` does), checked field by field; null with the reason when absent
 * or malformed.
 */
export function protocolOf(file: ResultsFile): { ok: true; protocol: ProtocolConfig; where: string } | { ok: false; reason: string } {
  const cfg = file.provenance.config as Record<string, unknown> | null;
  const settings = cfg && typeof cfg === 'object' ? (cfg.settings as Record<string, unknown> | undefined) : undefined;
  const candidates: [string, unknown][] = [['provenance.config.settings.protocol', settings && typeof settings === 'object' ? settings.protocol : undefined], ['provenance.config.protocol', cfg && typeof cfg === 'object' ? cfg.protocol : undefined]];
  const found = candidates.find(([, v]) => v !== undefined);
  if (!found) return { ok: false, reason: 'the results file records no attack protocol (provenance.config.settings.protocol)' };
  const [where, v] = found;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { ok: false, reason: `${where} is not an object` };
  const o = v as Record<string, unknown>;
  const out: Record<string, number> = {};
  for (const k of ['apgdSteps', 'apgdRestarts', 'targets', 'targetedSteps', 'squareQueries', 'seed'] as const) {
    const x = o[k];
    const hi = k === 'seed' ? 2 ** 32 - 1 : MAX_PROTOCOL_STEPS;
    if (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x > hi) return { ok: false, reason: `${where}.${k} is not an integer in [0, ${hi}] (${String(x)})` };
    out[k] = x;
  }
  if (out.apgdRestarts < 1) return { ok: false, reason: `${where}.apgdRestarts must be ≥ 1` };
  return { ok: true, protocol: out as unknown as ProtocolConfig, where };
}
