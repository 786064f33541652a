/**
 * Robust-evaluation results as a versioned plain-JSON file (format: src/methods/README-results.md) and the
 * statistics on them. Pure functions, float64, no GPU:
 *  - per-image correctness packed into bitsets (LSB first), base64;
 *  - `validateResults`: the file is hostile — size caps, field-by-field checks naming the field;
 *  - `pairedBootstrap`: two-level bootstrap (seeds, then the shared images) of a method's accuracy minus a
 *    baseline's on one cell; `holm` over the baselines; `minimumDetectableDifference` at a given power.
 */
import { Rng } from '../util/random';
import { kindOf, validateCurve, type TrainingCurve } from './resultsCurve';

export type { TrainingCurve };
export const RESULTS_SCHEMA = 'aos-workbench/robust-results';
/** The version written. Version 2 adds the optional per-run `curve`; version 1 files (without it) still load. */
export const RESULTS_VERSION = 2;
/** Versions this reader accepts. */
export const RESULTS_READABLE_VERSIONS: readonly number[] = [1, 2];

/** Caps of the validator (a file beyond them is refused, not truncated). */
export const RESULTS_LIMITS = {
  textChars: 64 * 1024 * 1024,
  runs: 1000,
  cellsPerRun: 1000,
  images: 100_000,
  files: 256,
  stringChars: 4096,
  epsilons: 64,
  configChars: 256 * 1024,
  notes: 256,
} as const;

export interface ResultsFileEntry {
  path: string;
  bytes: number;
  /** 64 lowercase hex digits. */
  sha256: string;
}

export interface ResultsProvenance {
  /** git commit of the code (40 hex) or 'unknown'. */
  commit: string;
  /** GPU adapter, in words. */
  adapter: string;
  /** ISO 8601 time of the evaluation. */
  createdAt: string;
  /** The evaluation protocol's settings (steps, restarts, queries, ε grid…): free-form plain JSON. */
  config: unknown;
  /** Every seed used (training seeds of the runs and the attack seeds). */
  seeds: number[];
  /** Model and data files with their sha256. */
  files: ResultsFileEntry[];
}

export interface ResultsCell {
  /** 'dataset/split'. */
  set: string;
  /** L∞ budget in [0, 1] pixel units; 0 = clean accuracy. */
  eps: number;
  /** Images. */
  n: number;
  /** Per-image correctness (1 = still correct after every attack, snapped to 8 bits), `encodeBits`. */
  correct: string;
}

export interface ResultsRun {
  /** Unique in the file. */
  id: string;
  /** Method name (e.g. 'aos', 'tecoa', 'none'). */
  method: string;
  /** Training seed of the run (null: not trained, e.g. the pre-trained model). */
  seed: number | null;
  cells: ResultsCell[];
  /** Version 2: the training run's per-step curve (src/methods/resultsCurve.ts); absent for untrained runs and older files. */
  curve?: TrainingCurve;
}

export interface ResultsFile {
  schema: typeof RESULTS_SCHEMA;
  /** 1 or 2 (a file keeps the version it was read with). */
  version: number;
  provenance: ResultsProvenance;
  /** ε grid of the table and the headline ε (in [0, 1] units). */
  epsilons: number[];
  headlineEps: number;
  runs: ResultsRun[];
  /** Masking verdicts and other remarks, as text. */
  notes: string[];
}

// ---------------------------------------------------------------------------------------------- bitsets

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** 0/1 values → bytes (bit i of byte k = value 8k + i) → base64 (with padding). */
export function encodeBits(bits: ArrayLike<number | boolean>): string {
  const bytes = new Uint8Array(Math.ceil(bits.length / 8));
  for (let i = 0; i < bits.length; i++) if (bits[i]) bytes[i >> 3] |= 1 << (i & 7);
  let s = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i], b = bytes[i + 1] ?? 0, c = bytes[i + 2] ?? 0;
    const v = (a << 16) | (b << 8) | c;
    s += B64[(v >> 18) & 63] + B64[(v >> 12) & 63];
    s += i + 1 < bytes.length ? B64[(v >> 6) & 63] : '=';
    s += i + 2 < bytes.length ? B64[v & 63] : '=';
  }
  return s;
}

/** Inverse of `encodeBits` for `n` values; throws on a malformed string, a wrong length or bits set past n. */
export function decodeBits(s: string, n: number, field = 'bits'): Uint8Array {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`${field}: bad length ${n}`);
  const nBytes = Math.ceil(n / 8);
  const expected = 4 * Math.ceil(nBytes / 3);
  if (typeof s !== 'string' || s.length !== expected) throw new RangeError(`${field}: expected ${expected} base64 characters for ${n} bits, got ${typeof s === 'string' ? s.length : kindOf(s)}`);
  const bytes = new Uint8Array(nBytes);
  for (let i = 0, k = 0; i < s.length; i += 4) {
    let v = 0;
    for (let j = 0; j < 4; j++) {
      const ch = s[i + j];
      const pad = ch === '=';
      const d = pad ? 0 : B64.indexOf(ch);
      if (d < 0) throw new RangeError(`${field}: not base64 at character ${i + j}`);
      v = (v << 6) | d;
    }
    for (let j = 0; j < 3 && k < nBytes; j++, k++) bytes[k] = (v >> (16 - 8 * j)) & 255;
  }
  if (encodeBits(Array.from({ length: n }, (_, i) => (bytes[i >> 3] >> (i & 7)) & 1)) !== s) {
    throw new RangeError(`${field}: not the canonical encoding of ${n} bits (bits set past the end, or bad padding)`);
  }
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (bytes[i >> 3] >> (i & 7)) & 1;
  return out;
}

// ---------------------------------------------------------------------------------------------- validation

class Check {
  constructor(private readonly path: string) {}
  fail(what: string): never {
    throw new TypeError(`results: ${this.path}: ${what}`);
  }
  at(key: string | number): Check {
    return new Check(typeof key === 'number' ? `${this.path}[${key}]` : `${this.path}.${key}`);
  }
  object(v: unknown): Record<string, unknown> {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(`expected an object, got ${kindOf(v)}`);
    return v as Record<string, unknown>;
  }
  array(v: unknown, max: number): unknown[] {
    if (!Array.isArray(v)) this.fail(`expected an array, got ${kindOf(v)}`);
    if (v.length > max) this.fail(`${v.length} entries, at most ${max}`);
    return v;
  }
  string(v: unknown, max: number = RESULTS_LIMITS.stringChars): string {
    if (typeof v !== 'string') this.fail(`expected a string, got ${kindOf(v)}`);
    if (v.length > max) this.fail(`${v.length} characters, at most ${max}`);
    return v;
  }
  number(v: unknown, lo = -Infinity, hi = Infinity): number {
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(`expected a finite number, got ${typeof v === 'number' ? v : kindOf(v)}`);
    if (v < lo || v > hi) this.fail(`${v} is outside [${lo}, ${hi}]`);
    return v;
  }
  integer(v: unknown, lo: number, hi: number): number {
    const x = this.number(v, lo, hi);
    if (!Number.isInteger(x)) this.fail(`expected an integer, got ${x}`);
    return x;
  }
  keys(o: Record<string, unknown>, allowed: string[]): void {
    for (const k of Object.keys(o)) if (!allowed.includes(k)) this.at(k).fail('unknown field');
  }
}

/** Plain JSON only (no prototypes beyond Object/Array), depth ≤ 32. */
function plainJson(c: Check, v: unknown, depth = 0): unknown {
  if (depth > 32) c.fail('nested deeper than 32 levels');
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') return c.number(v);
  if (Array.isArray(v)) return v.map((x, i) => plainJson(c.at(i), x, depth + 1));
  const o = c.object(v);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(o)) {
    if (k === '__proto__' || k === 'constructor' || k === 'prototype') c.at(k).fail('forbidden key');
    out[k] = plainJson(c.at(k), x, depth + 1);
  }
  return out;
}

/** Checks an untrusted value field by field; returns a fresh, typed copy. Errors name the field. */
export function validateResults(value: unknown): ResultsFile {
  const L = RESULTS_LIMITS;
  const root = new Check('$');
  const o = root.object(value);
  root.keys(o, ['schema', 'version', 'provenance', 'epsilons', 'headlineEps', 'runs', 'notes']);
  if (o.schema !== RESULTS_SCHEMA) root.at('schema').fail(`expected '${RESULTS_SCHEMA}'`);
  if (typeof o.version !== 'number' || !RESULTS_READABLE_VERSIONS.includes(o.version)) root.at('version').fail(`unsupported version ${typeof o.version === 'number' ? o.version : kindOf(o.version)} (this reader: ${RESULTS_READABLE_VERSIONS.join(', ')})`);
  const version = o.version as number;

  const cp = root.at('provenance'), p = cp.object(o.provenance);
  cp.keys(p, ['commit', 'adapter', 'createdAt', 'config', 'seeds', 'files']);
  const commit = cp.at('commit').string(p.commit, 64);
  if (commit !== 'unknown' && !/^[0-9a-f]{7,40}$/.test(commit)) cp.at('commit').fail('expected hex digits or "unknown"');
  const config = plainJson(cp.at('config'), p.config);
  if (JSON.stringify(config).length > L.configChars) cp.at('config').fail(`larger than ${L.configChars} characters`);
  const provenance: ResultsProvenance = {
    commit,
    adapter: cp.at('adapter').string(p.adapter),
    createdAt: cp.at('createdAt').string(p.createdAt, 64),
    config,
    seeds: cp.at('seeds').array(p.seeds, 4096).map((s, i) => cp.at('seeds').at(i).integer(s, 0, 2 ** 32 - 1)),
    files: cp.at('files').array(p.files, L.files).map((f, i) => {
      const c = cp.at('files').at(i), e = c.object(f);
      c.keys(e, ['path', 'bytes', 'sha256']);
      const sha256 = c.at('sha256').string(e.sha256, 64);
      if (!/^[0-9a-f]{64}$/.test(sha256)) c.at('sha256').fail('expected 64 lowercase hex digits');
      return { path: c.at('path').string(e.path), bytes: c.at('bytes').integer(e.bytes, 0, 2 ** 53 - 1), sha256 };
    }),
  };
  if (Number.isNaN(Date.parse(provenance.createdAt))) cp.at('createdAt').fail('not a date');

  const epsilons = root.at('epsilons').array(o.epsilons, L.epsilons).map((e, i) => root.at('epsilons').at(i).number(e, 0, 1));
  const headlineEps = root.at('headlineEps').number(o.headlineEps, 0, 1);
  if (!epsilons.includes(headlineEps)) root.at('headlineEps').fail('not one of epsilons');
  const ids = new Set<string>();
  const runs = root.at('runs').array(o.runs, L.runs).map((r, i): ResultsRun => {
    const c = root.at('runs').at(i), e = c.object(r);
    c.keys(e, version >= 2 ? ['id', 'method', 'seed', 'cells', 'curve'] : ['id', 'method', 'seed', 'cells']);
    const id = c.at('id').string(e.id, 256);
    if (ids.has(id)) c.at('id').fail(`duplicate run id '${id}'`);
    ids.add(id);
    const cellKeys = new Set<string>();
    return {
      id,
      method: c.at('method').string(e.method, 256),
      seed: e.seed === null ? null : c.at('seed').integer(e.seed, 0, 2 ** 32 - 1),
      cells: c.at('cells').array(e.cells, L.cellsPerRun).map((x, j): ResultsCell => {
        const cc = c.at('cells').at(j), v = cc.object(x);
        cc.keys(v, ['set', 'eps', 'n', 'correct']);
        const set = cc.at('set').string(v.set, 256), eps = cc.at('eps').number(v.eps, 0, 1);
        if (eps !== 0 && !epsilons.includes(eps)) cc.at('eps').fail('neither 0 (clean) nor one of epsilons');
        const key = `${set}@${eps}`;
        if (cellKeys.has(key)) cc.fail(`duplicate cell ${key}`);
        cellKeys.add(key);
        const n = cc.at('n').integer(v.n, 1, L.images);
        const correct = cc.at('correct').string(v.correct, 4 * Math.ceil(Math.ceil(L.images / 8) / 3));
        try {
          decodeBits(correct, n, 'correct');
        } catch (err) {
          cc.at('correct').fail((err as Error).message);
        }
        return { set, eps, n, correct };
      }),
      ...(e.curve === undefined ? {} : { curve: validateCurve(`$.runs[${i}].curve`, e.curve) }),
    };
  });
  const notes = root.at('notes').array(o.notes, L.notes).map((s, i) => root.at('notes').at(i).string(s));
  return { schema: RESULTS_SCHEMA, version, provenance, epsilons, headlineEps, runs, notes };
}

/** Parses a results file's text (refusing oversized text before parsing) and validates it. */
export function parseResults(text: string): ResultsFile {
  if (typeof text !== 'string') throw new TypeError('results: expected text');
  if (text.length > RESULTS_LIMITS.textChars) throw new RangeError(`results: ${text.length} characters, at most ${RESULTS_LIMITS.textChars}`);
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new SyntaxError(`results: not JSON (${(e as Error).message})`, { cause: e });
  }
  return validateResults(v);
}

/** Per-image correctness of every run of `method` on one cell (one Uint8Array per seed); all must share n. */
export function cellOutcomes(file: ResultsFile, method: string, set: string, eps: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const r of file.runs) {
    if (r.method !== method) continue;
    const c = r.cells.find((x) => x.set === set && x.eps === eps);
    if (c) out.push(decodeBits(c.correct, c.n, `${r.id}.${set}@${eps}`));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------- statistics

export interface BootstrapOptions {
  /** Resamples (default 10000). */
  resamples?: number;
  seed?: number;
}

export interface PairedComparison {
  /** Mean accuracy of the method over its seeds minus the baseline's (fraction). */
  difference: number;
  /** Two-sided bootstrap p-value of difference = 0 (shifted null, +1 correction: never 0). */
  p: number;
  /** Bootstrap standard error and 95 % percentile interval of the difference. */
  se: number;
  ci95: [number, number];
  resamples: number;
}

const mean = (a: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s / a.length;
};

function checkOutcomes(name: string, runs: Uint8Array[], n?: number): number {
  if (!runs.length) throw new RangeError(`bootstrap: ${name} has no runs`);
  const m = n ?? runs[0].length;
  for (const r of runs) if (r.length !== m) throw new RangeError(`bootstrap: ${name} runs have ${r.length} images, expected ${m} (the same images in the same order)`);
  if (m < 1) throw new RangeError(`bootstrap: ${name}: no images`);
  return m;
}

/**
 * Two-level paired bootstrap: each resample draws the method's seeds and the baseline's seeds with replacement
 * (independently: seeds are not paired across methods), then one set of image indices with replacement, shared by
 * both (the images are paired), and takes mean accuracy(method) − mean accuracy(baseline). The p-value is the
 * share of resampled differences at least as far from the observed one as the observed one is from 0 (the
 * bootstrap distribution shifted to the null), with +1 in numerator and denominator.
 */
export function pairedBootstrap(method: Uint8Array[], baseline: Uint8Array[], o: BootstrapOptions = {}): PairedComparison {
  const n = checkOutcomes('method', method);
  checkOutcomes('baseline', baseline, n);
  const R = o.resamples ?? 10000;
  if (!Number.isInteger(R) || R < 1) throw new RangeError(`bootstrap: resamples must be an integer ≥ 1, got ${R}`);
  const rng = new Rng(o.seed ?? 0);
  // Per image: Σ over the drawn seeds; recomputed per resample from per-seed columns (n × seeds small).
  const observed = mean(method.map(mean)) - mean(baseline.map(mean));
  const ka = method.length, kb = baseline.length;
  const wa = new Float64Array(n), wb = new Float64Array(n);
  const diffs = new Float64Array(R);
  for (let r = 0; r < R; r++) {
    wa.fill(0);
    wb.fill(0);
    for (let s = 0; s < ka; s++) {
      const run = method[rng.int(0, ka)];
      for (let i = 0; i < n; i++) wa[i] += run[i];
    }
    for (let s = 0; s < kb; s++) {
      const run = baseline[rng.int(0, kb)];
      for (let i = 0; i < n; i++) wb[i] += run[i];
    }
    let d = 0;
    for (let i = 0; i < n; i++) {
      const j = rng.int(0, n);
      d += wa[j] / ka - wb[j] / kb;
    }
    diffs[r] = d / n;
  }
  const mu = mean(diffs);
  let v = 0, extreme = 0;
  for (const d of diffs) {
    v += (d - mu) ** 2;
    if (Math.abs(d - observed) >= Math.abs(observed) - 1e-12) extreme++;
  }
  const sorted = Float64Array.from(diffs).sort();
  const q = (f: number) => sorted[Math.min(R - 1, Math.max(0, Math.floor(f * R)))];
  return {
    difference: observed,
    p: (extreme + 1) / (R + 1),
    se: Math.sqrt(v / Math.max(R - 1, 1)),
    ci95: [q(0.025), q(0.975)],
    resamples: R,
  };
}

/** Holm step-down adjusted p-values (same order as given; monotone in the sorted order; capped at 1). */
export function holm(p: readonly number[]): number[] {
  const m = p.length;
  const order = p.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const out = new Array<number>(m);
  let running = 0;
  order.forEach(([v, i], k) => {
    if (!(v >= 0 && v <= 1)) throw new RangeError(`holm: p-value ${v} outside [0, 1]`);
    running = Math.max(running, Math.min(1, (m - k) * v));
    out[i] = running;
  });
  return out;
}

/** Standard normal quantile (Acklam's rational approximation; relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile: p must be in (0, 1), got ${p}`);
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  let x: number;
  if (p < 0.02425) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p > 1 - 0.02425) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else {
    const q = p - 0.5, r = q * q;
    x = ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  }
  return x;
}

/**
 * Smallest true difference a two-sided test at level `alpha` detects with probability `power`, for a difference
 * estimated with standard error `se` (normal approximation): (z_{1−α/2} + z_{power}) · se. With Holm over m
 * baselines, pass alpha / m for the most conservative step.
 */
export function minimumDetectableDifference(se: number, alpha = 0.05, power = 0.8): number {
  if (!(se >= 0)) throw new RangeError(`minimumDetectableDifference: se must be ≥ 0, got ${se}`);
  return (normalQuantile(1 - alpha / 2) + normalQuantile(power)) * se;
}

export interface BaselineComparison extends PairedComparison {
  baseline: string;
  /** Holm-adjusted p over the baselines. */
  pHolm: number;
  /** Minimum detectable difference at 80 % power, α = 0.05 / (number of baselines). */
  mdd80: number;
}

/** The method against each baseline on one cell (set, ε): paired bootstrap, Holm over the baselines, MDD. */
export function compareOnCell(file: ResultsFile, method: string, baselines: string[], set: string, eps: number, o: BootstrapOptions = {}): BaselineComparison[] {
  const a = cellOutcomes(file, method, set, eps);
  const rows = baselines.map((b, k) => ({ baseline: b, ...pairedBootstrap(a, cellOutcomes(file, b, set, eps), { ...o, seed: (o.seed ?? 0) + k }) }));
  const adj = holm(rows.map((r) => r.p));
  return rows.map((r, k) => ({ ...r, pHolm: adj[k], mdd80: minimumDetectableDifference(r.se, 0.05 / Math.max(1, baselines.length)) }));
}

/** Per-image outcomes of one evaluated model (the shape `evaluateRobust` with a protocol returns) → a run. */
export function runFromSets(id: string, method: string, seed: number | null, sets: readonly {
  dataset: string; split: string; cleanCorrect?: Uint8Array; robust: readonly { eps: number; correct?: Uint8Array }[];
}[]): ResultsRun {
  const cells: ResultsCell[] = [];
  for (const s of sets) {
    const set = `${s.dataset}/${s.split}`;
    if (!s.cleanCorrect) throw new Error(`runFromSets: ${set} has no per-image outcomes (run the protocol)`);
    cells.push({ set, eps: 0, n: s.cleanCorrect.length, correct: encodeBits(s.cleanCorrect) });
    for (const r of s.robust) {
      if (!r.correct) throw new Error(`runFromSets: ${set} at ε=${r.eps} has no per-image outcomes`);
      cells.push({ set, eps: r.eps, n: r.correct.length, correct: encodeBits(r.correct) });
    }
  }
  return { id, method, seed, cells };
}
