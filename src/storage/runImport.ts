/**
 * Import of a run exported by the Runs panel's JSON export (`runToJson`), as untrusted input (no React, no GPU).
 *
 * The file goes through the same care as a shareable link (src/experiment/untrusted.ts): a size cap checked before
 * parsing, a nesting-depth cap checked by a linear scan before `JSON.parse`, then a field-by-field check. Unknown
 * keys are ignored (listed as warnings); `__proto__` / `constructor` / `prototype` keys are never copied; wrong
 * types, out-of-range values, too many metric entries (more than a stored run may keep, `MAX_METRICS`), huge
 * arrays and long strings refuse the whole file with a message naming the field. The experiment configuration
 * goes through `validateConfig` (its fixes are reported as warnings).
 *
 * The imported record keeps its id, status and every field of the file, in the file's key order, and gets an
 * `imported` mark (never exported): `runToJson` of it gives the file back. It has no checkpoint, so it cannot be
 * resumed (`canApply`) and its ONNX export is off.
 */
import { METHODS } from '../experiment/config';
import { CONFIG_VERSION, upgradeAndValidate } from '../experiment/versions';
import { upgradeFineTuneConfig } from '../methods/config';
import { describeKey, FORBIDDEN_KEYS } from '../experiment/spec';
import { parseJsonCapped } from '../experiment/untrusted';
import { MAX_METRICS, RUN_STATUSES, type RunRecord } from './runRecord';

/** The pair types of a spectrum (src/methods/geometry.ts GEOMETRY_PAIRS; repeated: storage does not import the GPU code). */
const GEOMETRY_PAIR_NAMES: readonly string[] = ['advClean', 'imageText', 'advText'];

export const RUN_FILE_FORMAT = 'aos-workbench-run-1';
/** Largest file read (characters; checked before parsing and, in the page, on the file's size before reading). */
export const MAX_RUN_FILE_CHARS = 48 * 1024 * 1024;
/** Deepest nesting of { and [ (a run's deepest field, a geometry snapshot's per-group spectra, is 7). */
export const MAX_RUN_FILE_DEPTH = 10;
/** Longest array anywhere but `metrics` (which is bounded by `MAX_METRICS`). */
export const MAX_ARRAY = 65_536;
/** Longest string. */
export const MAX_STRING = 8192;
/** Most keys of one object. */
export const MAX_KEYS = 256;

export type RunImport =
  | { ok: true; run: RunRecord; warnings: string[] }
  | { ok: false; reason: string };

class Refused extends Error {}

const refuse = (path: string, problem: string): never => {
  throw new Refused(`${path}: ${problem}`);
};

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const join = (path: string, k: string) => (path ? `${path}.${describeKey(k)}` : describeKey(k));

type Check = (v: unknown, path: string, w: string[]) => unknown;
interface Field { check: Check; optional?: boolean }
type Fields = Record<string, Field>;

/** Known keys of `v` checked in the file's order (so a re-export keeps it); unknown keys dropped with a warning. */
function object(fields: Fields, opts: { skip?: ReadonlySet<string> } = {}): Check {
  return (v, path, w) => {
    if (!isObj(v)) refuse(path || 'the file', `expected an object, found ${kind(v)}`);
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length > MAX_KEYS) refuse(path || 'the file', `has ${keys.length} keys; at most ${MAX_KEYS} are read`);
    const out: Record<string, unknown> = {};
    for (const k of keys) {
      if (opts.skip?.has(k)) continue;
      if (FORBIDDEN_KEYS.has(k)) { w.push(`${join(path, k)}: forbidden key (could alter object prototypes); ignored`); continue; }
      if (!Object.prototype.hasOwnProperty.call(fields, k)) { w.push(`${join(path, k)}: unknown key; ignored`); continue; }
      // A stored record (structured clone) may hold an optional field as undefined; JSON never does.
      if (o[k] === undefined && fields[k].optional) continue;
      out[k] = fields[k].check(o[k], join(path, k), w);
    }
    for (const [k, f] of Object.entries(fields)) if (!f.optional && !Object.prototype.hasOwnProperty.call(out, k)) refuse(join(path, k), 'missing');
    return out;
  };
}

function kind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

function num(o: { min?: number; max?: number; int?: boolean; nullAsNaN?: boolean } = {}): Check {
  return (v, path) => {
    // JSON has no NaN or ±Infinity: the export wrote null for them (e.g. a diverged loss); a stored record keeps them.
    if (o.nullAsNaN && v === null) return NaN;
    if (o.nullAsNaN && typeof v === 'number' && !Number.isFinite(v)) return v;
    if (typeof v !== 'number' || !Number.isFinite(v)) refuse(path, `expected a number, found ${kind(v)}`);
    const n = v as number;
    if (o.int && !Number.isInteger(n)) refuse(path, `expected a whole number, found ${n}`);
    if (o.min !== undefined && n < o.min) refuse(path, `${n} is below ${o.min}`);
    if (o.max !== undefined && n > o.max) refuse(path, `${n} is above ${o.max}`);
    return n;
  };
}

const str = (max = MAX_STRING): Check => (v, path) => {
  if (typeof v !== 'string') refuse(path, `expected a string, found ${kind(v)}`);
  if ((v as string).length > max) refuse(path, `a string of ${(v as string).length} characters; at most ${max} are allowed`);
  return v;
};
const orNull = (c: Check): Check => (v, path, w) => (v === null ? null : c(v, path, w));
const oneOf = (values: readonly string[]): Check => (v, path) => {
  if (typeof v !== 'string' || !values.includes(v)) refuse(path, `expected one of ${values.map((s) => `"${s}"`).join(', ')}, found ${typeof v === 'string' ? JSON.stringify(v.slice(0, 40)) : kind(v)}`);
  return v;
};
const arrayOf = (c: Check, max = MAX_ARRAY): Check => (v, path, w) => {
  if (!Array.isArray(v)) refuse(path, `expected an array, found ${kind(v)}`);
  const a = v as unknown[];
  if (a.length > max) refuse(path, `an array of ${a.length} entries; at most ${max} are allowed`);
  return a.map((x, i) => c(x, `${path}[${i}]`, w));
};
/** An object of numbers by free-form name (loss terms, angles). */
const numbersByName = (o: Parameters<typeof num>[0]): Check => numbersByNameOf(num(o));

/** An object of values checked by `each`, by free-form name. */
const numbersByNameOf = (each: Check): Check => (v, path, w) => {
  if (!isObj(v)) refuse(path, `expected an object, found ${kind(v)}`);
  const keys = Object.keys(v as object);
  if (keys.length > MAX_KEYS) refuse(path, `has ${keys.length} keys; at most ${MAX_KEYS} are read`);
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    if (FORBIDDEN_KEYS.has(k)) { w.push(`${join(path, k)}: forbidden key (could alter object prototypes); ignored`); continue; }
    if (k.length > 200) refuse(path, 'a key longer than 200 characters');
    out[k] = each((v as Record<string, unknown>)[k], join(path, k), w);
  }
  return out;
};

/**
 * Plain JSON data whose layout the app does not depend on for import (the loop's configuration beyond the fields
 * checked below, geometry snapshots): finite numbers, bounded strings and arrays, no forbidden keys.
 */
const plain: Check = (v, path, w) => {
  if (v === null || typeof v === 'boolean') return v;
  if (typeof v === 'number') return num()(v, path, w);
  if (typeof v === 'string') return str()(v, path, w);
  if (Array.isArray(v)) return arrayOf(plain)(v, path, w);
  if (!isObj(v)) refuse(path, `unexpected ${kind(v)}`);
  const keys = Object.keys(v as object);
  if (keys.length > MAX_KEYS) refuse(path, `has ${keys.length} keys; at most ${MAX_KEYS} are read`);
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    if (FORBIDDEN_KEYS.has(k)) { w.push(`${join(path, k)}: forbidden key (could alter object prototypes); ignored`); continue; }
    if (k.length > 200) refuse(path, 'a key longer than 200 characters');
    out[k] = plain((v as Record<string, unknown>)[k], join(path, k), w);
  }
  return out;
};

const metricNum = num({ nullAsNaN: true });
const fraction = num({ min: 0, max: 1, nullAsNaN: true });
const count = num({ min: 0, int: true });

const p = (check: Check, optional = false): Field => ({ check, optional });

/** Principal-angle spectra by pair type (src/methods/geometry.ts `Spectra`): degrees in [0, 90], at most 32 each. */
const spectraCheck: Check = (v, path, w) => {
  const out = numbersByNameOf(arrayOf(num({ min: 0, max: 90, nullAsNaN: true }), 32))(v, path, w);
  for (const k of Object.keys(out as object)) if (!GEOMETRY_PAIR_NAMES.includes(k)) refuse(join(path, k), `expected one of ${GEOMETRY_PAIR_NAMES.join(', ')}`);
  return out;
};

/**
 * A geometry snapshot (src/methods/geometry.ts `GeometrySnapshot`): the sizes the panels loop over are bounded and
 * agree with the arrays they describe; the rest is plain bounded data.
 */
const geometryCheck: Check = (v, path, w) => {
  const out = plain(v, path, w);
  if (!isObj(out)) refuse(path, `expected an object, found ${kind(out)}`);
  const g = out as Record<string, unknown>;
  num({ min: 0, max: 1e9, int: true })(g.step, join(path, 'step'), w);
  const images = num({ min: 0, max: 4096, int: true })(g.images, join(path, 'images'), w) as number;
  num({ min: 1, max: 32, int: true })(g.views, join(path, 'views'), w);
  num({ min: 0, max: 32, int: true })(g.perClass, join(path, 'perClass'), w);
  num({ min: 1, max: 1 << 16, int: true })(g.dim, join(path, 'dim'), w);
  const labels = arrayOf(num({ min: 0, max: 1e5, int: true }))(g.labels, join(path, 'labels'), w) as number[];
  if (labels.length !== images) refuse(join(path, 'labels'), `${labels.length} labels for ${images} images`);
  arrayOf(num({ min: 0, max: 1e5, int: true }))(g.textClasses, join(path, 'textClasses'), w);
  arrayOf(str(200), 100_000)(g.classNames, join(path, 'classNames'), w);
  spectraCheck(g.spectra, join(path, 'spectra'), w);
  if (!isObj(g.points)) refuse(join(path, 'points'), `expected an object, found ${kind(g.points)}`);
  const pts = g.points as Record<string, unknown>;
  const n = (arrayOf(num())(pts.x, `${path}.points.x`, w) as number[]).length;
  for (const k of ['y', 'cls', 'group', 'member', 'kind'] as const) {
    if (!Array.isArray(pts[k]) || (pts[k] as unknown[]).length !== n) refuse(`${path}.points.${k}`, `expected an array of ${n} entries like points.x`);
  }
  return out;
};

const METRIC: Fields = {
  step: p(num({ min: 0, max: 1e9, int: true })),
  lr: p(object({ vision: p(metricNum), text: p(metricNum) })),
  loss: p(metricNum),
  terms: p(numbersByName({ nullAsNaN: true })),
  trainRobustAccuracy: p(fraction, true),
  angles: p(numbersByName({ nullAsNaN: true }), true),
  spectra: p(spectraCheck, true),
  geometry: p(geometryCheck, true),
  probeSpectra: p(spectraCheck, true),
  geometryBefore: p(geometryCheck, true),
  gradNorm: p(metricNum),
  nonFinite: p((v, path) => (v === true ? true : refuse(path, `expected true, found ${kind(v)}`)), true),
  ridge: p(num({ min: 0 }), true),
  // Absent in records stored before they existed.
  termGradNorms: p(numbersByName({ nullAsNaN: true }), true),
  clipFactor: p(fraction, true),
  distinctImages: p(count, true),
  stepPasses: p(object({ vision: p(num({ min: 0 })), text: p(num({ min: 0 })) })),
  passes: p(object({ vision: p(num({ min: 0 })), text: p(num({ min: 0 })) })),
  val: p(object({ clean: p(fraction), robust: p(fraction), attack: p(str()), warnings: p(arrayOf(str(), 100)) }), true),
  seconds: p(num({ min: 0, nullAsNaN: true })),
};

// Records and run files carry their experiment config without a format version: one in the version-1 layout (no
// `fineTune` section) is upgraded like a version-1 link.
const configCheck: Check = (v, path, w) => {
  if (!isObj(v)) refuse(path, `expected an object, found ${kind(v)}`);
  const layout = Object.prototype.hasOwnProperty.call(v, 'fineTune') ? CONFIG_VERSION : 1;
  const { config, issues } = upgradeAndValidate(v, layout);
  for (const i of issues) w.push(`config.${i.path}: ${i.problem}`);
  return config;
};

const fineTuneCheck: Check = (v, path, w) => {
  const out = plain(v, path, w);
  if (!isObj(out)) refuse(path, `expected an object, found ${kind(out)}`);
  // Stored by an older version: today's names (the prompt set, the ridge).
  const o = upgradeFineTuneConfig(out as Record<string, unknown>);
  oneOf(METHODS)(o.method, join(path, 'method'), w);
  num({ min: 1, max: 1 << 20, int: true })(o.batchSize, join(path, 'batchSize'), w);
  num({ min: 0, max: 1e9, int: true })(o.steps, join(path, 'steps'), w);
  if (!isObj(o.attack)) refuse(join(path, 'attack'), `expected an object, found ${kind(o.attack)}`);
  num({ min: 0, max: 1 })((o.attack as Record<string, unknown>).eps, `${path}.attack.eps`, w);
  return o;
};

const RECORD: Fields = {
  id: p((v, path) => {
    if (typeof v !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(v)) refuse(path, 'expected 1–64 letters, digits, - or _');
    return v;
  }),
  name: p(str(200)),
  method: p(oneOf(METHODS)),
  config: p(configCheck),
  fineTune: p(fineTuneCheck),
  notes: p(arrayOf(str(), 200)),
  options: p(object({
    valImages: p(num({ min: 0, max: 3600, int: true })), valAttackSteps: p(num({ min: 0, max: 3600, int: true })),
    checkpointSeconds: p(num({ min: 0, max: 3600, int: true })),
  })),
  dataset: p(object({
    id: p(str(200)), name: p(str(200)), trainSplit: p(str(200)), valSplit: p(str(200)),
    trainImages: p(count), valImages: p(count), classes: p(arrayOf(str(200), 10_000)),
  })),
  model: p(object({ key: p(str(2048)), title: p(str(2048)), kind: p(str(200)) })),
  status: p(oneOf(RUN_STATUSES)),
  message: p(orNull(str())),
  error: p(orNull(str())),
  metrics: p((v, path, w) => {
    if (Array.isArray(v) && v.length > MAX_METRICS) refuse(path, `${v.length} entries; a run keeps at most ${MAX_METRICS}`);
    return arrayOf(object(METRIC), MAX_METRICS)(v, path, w);
  }),
  thinned: p(count),
  step: p(count),
  totalSteps: p(count),
  checkpointStep: p(orNull(count)),
  checkpointBytes: p(num({ min: 0 })),
  trainSeconds: p(num({ min: 0 })),
  createdAt: p(num({ min: 0 })),
  updatedAt: p(num({ min: 0 })),
  adapter: p(orNull(str())),
  backend: p(str(200), true),
};

/** A stored record may also carry its import mark (a run read from a file earlier). */
const STORED_RECORD: Fields = {
  ...RECORD,
  imported: p(object({ at: p(num({ min: 0 })), file: p(str(200)) }), true),
};

const SKIP_TOP = new Set(['format']);

export type StoredRunCheck = { ok: true; run: RunRecord } | { ok: false; reason: string };

/**
 * Checks a record read back from the browser's storage with the same field rules as an imported file: records
 * written by older versions, or damaged, must not crash the panels that draw them. A record that fails is reported
 * (the Runs panel offers its raw export and deletion); unknown keys are dropped. Never throws.
 */
export function readStoredRun(raw: unknown): StoredRunCheck {
  try {
    const rec = object(STORED_RECORD)(raw, '', []) as Record<string, unknown>;
    if (rec.method !== (rec.fineTune as Record<string, unknown>).method) {
      return { ok: false, reason: `method: "${String(rec.method)}" differs from fineTune.method "${String((rec.fineTune as Record<string, unknown>).method)}"` };
    }
    return { ok: true, run: rec as unknown as RunRecord };
  } catch (e) {
    if (e instanceof Refused) return { ok: false, reason: e.message };
    return { ok: false, reason: `it could not be read (${String((e as Error)?.message ?? e).slice(0, 200)})` };
  }
}

/**
 * Reads a run file. `file` names it in the record's `imported` mark; `now` is the import time. Never throws.
 */
export function parseRunFile(text: string, file = 'run.json', now = Date.now()): RunImport {
  if (typeof text !== 'string') return { ok: false, reason: 'the file could not be read as text' };
  const parsed = parseJsonCapped(text, MAX_RUN_FILE_CHARS, MAX_RUN_FILE_DEPTH);
  if (!parsed.ok) return { ok: false, reason: parsed.reason };
  const v = parsed.value;
  if (!isObj(v)) return { ok: false, reason: `it is ${kind(v)}, not a run (a JSON object)` };
  const format = Object.prototype.hasOwnProperty.call(v, 'format') ? v.format : undefined;
  if (format !== RUN_FILE_FORMAT) {
    return { ok: false, reason: `its "format" is ${typeof format === 'string' ? JSON.stringify(format.slice(0, 60)) : 'missing'}, not "${RUN_FILE_FORMAT}" (a run exported with the Runs panel's JSON button)` };
  }
  const warnings: string[] = [];
  let rec: Record<string, unknown>;
  try {
    rec = object(RECORD, { skip: SKIP_TOP })(v, '', warnings) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof Refused) return { ok: false, reason: e.message };
    return { ok: false, reason: `it could not be read (${String((e as Error)?.message ?? e).slice(0, 200)})` };
  }
  if (rec.method !== (rec.fineTune as Record<string, unknown>).method) {
    return { ok: false, reason: `method: "${String(rec.method)}" differs from fineTune.method "${String((rec.fineTune as Record<string, unknown>).method)}"` };
  }
  const run = { ...rec, imported: { at: now, file: String(file).slice(0, 200) } } as unknown as RunRecord;
  return { ok: true, run, warnings: warnings.length > 20 ? [...warnings.slice(0, 20), `… and ${warnings.length - 20} more`] : warnings };
}
