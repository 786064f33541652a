/**
 * What the Results panel shows, computed from a results file (format v1, src/methods/results.ts) by pure functions:
 * reading untrusted text, the accuracy table with intervals, paired tests on one cell, accuracy against ε, and the
 * per-image drill-down of two runs. No React, no GPU; small enough to run on the page (the paired bootstrap runs
 * only for the one cell the user selects).
 */
import { jsonDepth } from '../experiment/untrusted';
import { cellOutcomes, compareOnCell, decodeBits, parseResults, RESULTS_LIMITS, type BaselineComparison, type ResultsFile, type ResultsRun } from './results';

/** Largest results file read (bytes; checked on the file's size before reading it, and on the text before parsing). */
export const MAX_RESULTS_FILE_BYTES = RESULTS_LIMITS.textChars;
/** Deepest nesting read: the envelope (4 levels to a cell) plus a `config` of at most 32. */
export const MAX_RESULTS_DEPTH = 40;

export type ResultsLoad = { ok: true; file: ResultsFile } | { ok: false; reason: string };

/**
 * A results file's text as untrusted input: length cap, nesting-depth cap (a linear scan, before `JSON.parse`), then
 * the format's field-by-field validator. Never throws; the reason names what is wrong (the field, for a bad field).
 */
export function readResultsText(text: string): ResultsLoad {
  if (typeof text !== 'string') return { ok: false, reason: 'not text' };
  if (text.length > MAX_RESULTS_FILE_BYTES) return { ok: false, reason: `it is ${text.length} characters long; a results file is read up to ${MAX_RESULTS_FILE_BYTES}` };
  const depth = jsonDepth(text);
  if (depth > MAX_RESULTS_DEPTH) return { ok: false, reason: `it nests ${depth} levels deep; at most ${MAX_RESULTS_DEPTH} are read` };
  try {
    return { ok: true, file: parseResults(text) };
  } catch (e) {
    return { ok: false, reason: String((e as Error)?.message ?? e).replace(/^results: /, '') };
  }
}

/** Cheap look at the start of a text: does it claim to be a v1 results file? (To pick committed files to try.) */
export function looksLikeResults(text: string): boolean {
  return /"schema"\s*:\s*"aos-workbench\/robust-results"/.test(text.slice(0, 4096));
}

// ---------------------------------------------------------------------------------------------- table

/** Two-sided 97.5 % quantiles of Student's t for 1…30 degrees of freedom (then the normal's 1.96). */
const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

export interface CellStat {
  method: string;
  set: string;
  eps: number;
  /** Accuracy (fraction) of each run of the method on the cell, in file order. */
  perRun: number[];
  runIds: string[];
  n: number;
  mean: number;
  /**
   * 95 % interval of the mean: a t-interval over the runs (seeds) when there are several, else the Wilson score
   * interval over the images (one run: only the images vary).
   */
  lo: number;
  hi: number;
  interval: 'seeds' | 'images';
}

/** The methods in the order their first run appears in the file. */
export function methodsOf(file: ResultsFile): string[] {
  return [...new Set(file.runs.map((r) => r.method))];
}

/** The evaluation sets in the order they first appear. */
export function setsOf(file: ResultsFile): string[] {
  return [...new Set(file.runs.flatMap((r) => r.cells.map((c) => c.set)))];
}

/** Columns of the table: clean (0) when any run has it, then the ε grid ascending. */
export function epsColumnsOf(file: ResultsFile): number[] {
  const clean = file.runs.some((r) => r.cells.some((c) => c.eps === 0));
  return [...(clean ? [0] : []), ...[...file.epsilons].filter((e) => e !== 0).sort((a, b) => a - b)];
}

function wilson(k: number, n: number): [number, number] {
  const z = 1.959964, p = k / n, d = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / d, half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / d;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

function count(bits: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < bits.length; i++) s += bits[i];
  return s;
}

/** Accuracy of every run of `method` on (set, ε), mean and 95 % interval; null when no run has that cell. */
export function cellStat(file: ResultsFile, method: string, set: string, eps: number): CellStat | null {
  const perRun: number[] = [], runIds: string[] = [];
  let n = 0, correct = 0;
  for (const r of file.runs) {
    if (r.method !== method) continue;
    const c = r.cells.find((x) => x.set === set && x.eps === eps);
    if (!c) continue;
    const k = count(decodeBits(c.correct, c.n, `${r.id}.${set}@${eps}`));
    perRun.push(k / c.n);
    runIds.push(r.id);
    n = c.n;
    correct = k;
  }
  if (!perRun.length) return null;
  const m = perRun.length, mean = perRun.reduce((a, b) => a + b, 0) / m;
  if (m === 1) {
    const [lo, hi] = wilson(correct, n);
    return { method, set, eps, perRun, runIds, n, mean, lo, hi, interval: 'images' };
  }
  const sd = Math.sqrt(perRun.reduce((a, b) => a + (b - mean) ** 2, 0) / (m - 1));
  const half = ((T975[m - 2] ?? 1.96) * sd) / Math.sqrt(m);
  return { method, set, eps, perRun, runIds, n, mean, lo: Math.max(0, mean - half), hi: Math.min(1, mean + half), interval: 'seeds' };
}

export interface ResultsTable {
  methods: string[];
  sets: string[];
  eps: number[];
  /** `cellKey(method, set, eps)` → statistics (absent: no run of the method has the cell). */
  cells: Map<string, CellStat>;
}

export const cellKey = (method: string, set: string, eps: number): string => `${method}\u0000${set}\u0000${eps}`;

export function resultsTable(file: ResultsFile): ResultsTable {
  const methods = methodsOf(file), sets = setsOf(file), eps = epsColumnsOf(file);
  const cells = new Map<string, CellStat>();
  for (const m of methods) for (const s of sets) for (const e of eps) {
    const st = cellStat(file, m, s, e);
    if (st) cells.set(cellKey(m, s, e), st);
  }
  return { methods, sets, eps, cells };
}

export interface TradeoffRunPoint {
  method: string;
  runId: string;
  /** Clean accuracy of the run on the set (fraction). */
  clean: number;
  /** Robust accuracy of the run on the set at the chosen ε (fraction). */
  robust: number;
}

/**
 * The clean/robust trade-off on one set at one ε: a point per run that has both cells (every seed and setting of a
 * sweep: on a reproduce file's val set, the training-ε and knob candidates), in file order.
 */
export function tradeoffPoints(file: ResultsFile, set: string, eps: number): TradeoffRunPoint[] {
  const out: TradeoffRunPoint[] = [];
  if (eps === 0) return out;
  for (const r of file.runs) {
    const c0 = r.cells.find((c) => c.set === set && c.eps === 0), ce = r.cells.find((c) => c.set === set && c.eps === eps);
    if (!c0 || !ce) continue;
    out.push({
      method: r.method, runId: r.id,
      clean: count(decodeBits(c0.correct, c0.n, `${r.id}.${set}@0`)) / c0.n,
      robust: count(decodeBits(ce.correct, ce.n, `${r.id}.${set}@${eps}`)) / ce.n,
    });
  }
  return out;
}

/** Accuracy against ε of each method on one set (the points of the chart; a method lacking a cell skips it). */
export function accuracyCurves(table: ResultsTable, set: string): { method: string; points: CellStat[] }[] {
  return table.methods
    .map((method) => ({ method, points: table.eps.map((e) => table.cells.get(cellKey(method, set, e))).filter((c): c is CellStat => !!c) }))
    .filter((c) => c.points.length > 0);
}

// ---------------------------------------------------------------------------------------------- paired tests

/** The method the others are tested against by default: AoS when present, else the first trained method. */
export function defaultReference(file: ResultsFile): string {
  const methods = methodsOf(file);
  if (methods.includes('aos')) return 'aos';
  return file.runs.find((r) => r.seed !== null)?.method ?? methods[0];
}

export interface CellTests {
  reference: string;
  set: string;
  eps: number;
  rows: BaselineComparison[];
  /** Methods left out of the tests, with why (no such cell, or other images). */
  skipped: { method: string; why: string }[];
}

/**
 * `reference` against every other method on one cell: the two-level paired bootstrap, Holm over the baselines, the
 * minimum detectable difference (`compareOnCell`). A method without the cell, or whose cell covers a different
 * number of images, is listed in `skipped` instead of failing the whole comparison.
 */
export function cellTests(file: ResultsFile, reference: string, set: string, eps: number, resamples = 2000): CellTests {
  const ref = cellOutcomes(file, reference, set, eps);
  const skipped: CellTests['skipped'] = [];
  if (!ref.length) return { reference, set, eps, rows: [], skipped: [{ method: reference, why: 'no run has this cell' }] };
  const baselines: string[] = [];
  for (const m of methodsOf(file)) {
    if (m === reference) continue;
    const o = cellOutcomes(file, m, set, eps);
    if (!o.length) skipped.push({ method: m, why: 'no run has this cell' });
    else if (o.some((x) => x.length !== ref[0].length)) skipped.push({ method: m, why: `${o[0].length} images, the reference ${ref[0].length}: not the same images` });
    else baselines.push(m);
  }
  const rows = baselines.length ? compareOnCell(file, reference, baselines, set, eps, { resamples, seed: 0 }) : [];
  return { reference, set, eps, rows, skipped };
}

// ---------------------------------------------------------------------------------------------- drill-down

/** One image under one run: right under attack; right when clean but broken by the attack; wrong even clean. */
export type ImageOutcome = 'robust' | 'broken' | 'wrong';

export interface RunImages {
  run: ResultsRun;
  /** Per image (index in the set's order). Without a clean cell, a wrong image counts as 'broken'. */
  outcomes: ImageOutcome[];
  robust: number;
  broken: number;
  wrong: number;
}

export interface DrillDown {
  set: string;
  eps: number;
  n: number;
  a: RunImages;
  b: RunImages;
  /** Images A gets right under attack and B does not, and the other way round. */
  onlyA: number[];
  onlyB: number[];
  both: number;
  neither: number;
}

function runImages(file: ResultsFile, runId: string, set: string, eps: number): RunImages {
  const run = file.runs.find((r) => r.id === runId);
  if (!run) throw new Error(`no run '${runId}' in the file`);
  const cell = run.cells.find((c) => c.set === set && c.eps === eps);
  if (!cell) throw new Error(`run '${runId}' has no cell ${set} at this ε`);
  const attacked = decodeBits(cell.correct, cell.n, `${runId}.${set}@${eps}`);
  const cleanCell = eps === 0 ? cell : run.cells.find((c) => c.set === set && c.eps === 0 && c.n === cell.n);
  const clean = cleanCell ? decodeBits(cleanCell.correct, cleanCell.n, `${runId}.${set}@0`) : null;
  const outcomes: ImageOutcome[] = [];
  let robust = 0, broken = 0, wrong = 0;
  for (let i = 0; i < cell.n; i++) {
    const o: ImageOutcome = attacked[i] ? 'robust' : clean && !clean[i] ? 'wrong' : 'broken';
    outcomes.push(o);
    if (o === 'robust') robust++;
    else if (o === 'broken') broken++;
    else wrong++;
  }
  return { run, outcomes, robust, broken, wrong };
}

/** Two runs side by side on one cell, image by image. Throws (naming the runs) when they cover different images. */
export function drillDown(file: ResultsFile, runA: string, runB: string, set: string, eps: number): DrillDown {
  const a = runImages(file, runA, set, eps), b = runImages(file, runB, set, eps);
  if (a.outcomes.length !== b.outcomes.length) throw new Error(`runs '${runA}' and '${runB}' cover ${a.outcomes.length} and ${b.outcomes.length} images of ${set}: not comparable image by image`);
  const onlyA: number[] = [], onlyB: number[] = [];
  let both = 0, neither = 0;
  for (let i = 0; i < a.outcomes.length; i++) {
    const ra = a.outcomes[i] === 'robust', rb = b.outcomes[i] === 'robust';
    if (ra && rb) both++;
    else if (ra) onlyA.push(i);
    else if (rb) onlyB.push(i);
    else neither++;
  }
  return { set, eps, n: a.outcomes.length, a, b, onlyA, onlyB, both, neither };
}

/** Runs that have a cell, for the drill-down's pickers: every run of the file with (set, ε), in file order. */
export function runsWithCell(file: ResultsFile, set: string, eps: number): ResultsRun[] {
  return file.runs.filter((r) => r.cells.some((c) => c.set === set && c.eps === eps));
}

/** ε as the table writes it: 'clean', k/255 when k is (nearly) whole, else 3 significant digits. */
export function formatEps(eps: number): string {
  if (eps === 0) return 'clean';
  const k = eps * 255;
  return Math.abs(k - Math.round(k)) < 1e-6 ? `${Math.round(k)}/255` : eps.toPrecision(3);
}
