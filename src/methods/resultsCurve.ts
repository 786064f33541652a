/**
 * A training run's per-step curve, as the results file (format v2, src/methods/README-results.md) carries it per
 * run: columns of equal length — the step numbers, the loss, each loss term, each term's gradient norm, the
 * gradient norm before clipping and the clip factor (from `StepMetrics`, src/methods/loop.ts). null = not finite
 * (JSON has no NaN). Hostile input like the rest of the file: lengths are bounded before anything is allocated,
 * every field is checked and an error names it (`results: $.runs[2].curve.terms.ce[7]: …`).
 */

/** A value's kind in words, for error messages ('missing' rather than JavaScript's 'undefined'). */
export const kindOf = (v: unknown): string => (v === undefined ? 'nothing (the field is missing)' : v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v);

/** Caps of the validator: points per curve, named terms per curve, characters of a term's name. */
export const CURVE_LIMITS = { points: 4096, terms: 32, nameChars: 64 } as const;

export interface TrainingCurve {
  /** Step numbers (1-based, increasing). */
  step: number[];
  loss: (number | null)[];
  /** ‖g‖ over the trained towers before clipping. */
  gradNorm: (number | null)[];
  /** min(1, maxGradNorm / ‖g‖): the factor the update was scaled by. */
  clipFactor: (number | null)[];
  /** Per loss term (weighted as the method adds it). */
  terms: Record<string, (number | null)[]>;
  /** Per term, ‖∂(weight · term)/∂(tower outputs)‖. */
  termGradNorms: Record<string, (number | null)[]>;
}

/** What a curve is built from: the loop's per-step metrics (any object with these fields). */
export interface CurveStep {
  step: number;
  loss: number;
  terms: Record<string, number>;
  gradNorm: number;
  termGradNorms?: Record<string, number>;
  clipFactor?: number;
}

/** 6 significant digits (the file stays small; the curves are for reading, not for recomputing). */
const compact = (v: number | undefined): number | null => (v !== undefined && Number.isFinite(v) ? Number(v.toPrecision(6)) : null);

/**
 * The curve of a run's steps, every step kept while there are at most `maxPoints`, else every k-th (the last
 * always kept). Terms that appear on some steps only get null elsewhere.
 */
export function curveFromSteps(steps: readonly CurveStep[], maxPoints: number = CURVE_LIMITS.points): TrainingCurve {
  if (!Number.isInteger(maxPoints) || maxPoints < 2 || maxPoints > CURVE_LIMITS.points) throw new RangeError(`curveFromSteps: maxPoints must be an integer in [2, ${CURVE_LIMITS.points}], got ${maxPoints}`);
  const stride = Math.max(1, Math.ceil(steps.length / maxPoints));
  const kept = steps.filter((_, i) => i % stride === 0 || i === steps.length - 1).slice(-maxPoints);
  const names = (pick: (s: CurveStep) => Record<string, number> | undefined) => [...new Set(kept.flatMap((s) => Object.keys(pick(s) ?? {})))].slice(0, CURVE_LIMITS.terms);
  const column = (pick: (s: CurveStep) => Record<string, number> | undefined) =>
    Object.fromEntries(names(pick).map((k) => [k, kept.map((s) => compact(pick(s)?.[k]))]));
  return {
    step: kept.map((s) => s.step),
    loss: kept.map((s) => compact(s.loss)),
    gradNorm: kept.map((s) => compact(s.gradNorm)),
    clipFactor: kept.map((s) => compact(s.clipFactor)),
    terms: column((s) => s.terms),
    termGradNorms: column((s) => s.termGradNorms),
  };
}

function fail(path: string, what: string): never {
  throw new TypeError(`results: ${path}: ${what}`);
}

function boundedArray(path: string, v: unknown, length: number | null): unknown[] {
  if (!Array.isArray(v)) fail(path, `expected an array, got ${kindOf(v)}`);
  if (v.length > CURVE_LIMITS.points) fail(path, `${v.length} entries, at most ${CURVE_LIMITS.points}`);
  if (length !== null && v.length !== length) fail(path, `${v.length} entries, expected ${length} (one per step)`);
  return v;
}

function column(path: string, v: unknown, length: number): (number | null)[] {
  return boundedArray(path, v, length).map((x, i) => {
    if (x === null) return null;
    if (typeof x !== 'number' || !Number.isFinite(x)) fail(`${path}[${i}]`, `expected a finite number or null, got ${typeof x === 'number' ? x : kindOf(x)}`);
    return x;
  });
}

function named(path: string, v: unknown, length: number): Record<string, (number | null)[]> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, `expected an object, got ${kindOf(v)}`);
  const keys = Object.keys(v);
  if (keys.length > CURVE_LIMITS.terms) fail(path, `${keys.length} terms, at most ${CURVE_LIMITS.terms}`);
  const out: Record<string, (number | null)[]> = {};
  for (const k of keys) {
    if (k.length > CURVE_LIMITS.nameChars || !/^[A-Za-z0-9_.-]+$/.test(k)) fail(`${path}.${k.slice(0, CURVE_LIMITS.nameChars)}`, `a term name is 1–${CURVE_LIMITS.nameChars} letters, digits, '_', '.', '-'`);
    if (k === '__proto__' || k === 'constructor' || k === 'prototype') fail(`${path}.${k}`, 'forbidden key');
    Object.defineProperty(out, k, { value: column(`${path}.${k}`, (v as Record<string, unknown>)[k], length), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** Checks an untrusted curve at `path` (e.g. '$.runs[2].curve'); returns a fresh typed copy. */
export function validateCurve(path: string, value: unknown): TrainingCurve {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(path, `expected an object, got ${kindOf(value)}`);
  const o = value as Record<string, unknown>;
  const allowed = ['step', 'loss', 'gradNorm', 'clipFactor', 'terms', 'termGradNorms'];
  for (const k of Object.keys(o)) if (!allowed.includes(k)) fail(`${path}.${k}`, 'unknown field');
  const raw = boundedArray(`${path}.step`, o.step, null);
  if (raw.length < 1) fail(`${path}.step`, 'no steps');
  const step = raw.map((x, i) => {
    if (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x > 2 ** 31) fail(`${path}.step[${i}]`, `expected an integer step in [0, 2^31], got ${typeof x === 'number' ? x : kindOf(x)}`);
    return x;
  });
  for (let i = 1; i < step.length; i++) if (step[i] <= step[i - 1]) fail(`${path}.step[${i}]`, `steps must increase (${step[i - 1]} then ${step[i]})`);
  const n = step.length;
  return {
    step,
    loss: column(`${path}.loss`, o.loss, n),
    gradNorm: column(`${path}.gradNorm`, o.gradNorm, n),
    clipFactor: column(`${path}.clipFactor`, o.clipFactor, n),
    terms: named(`${path}.terms`, o.terms, n),
    termGradNorms: named(`${path}.termGradNorms`, o.termGradNorms, n),
  };
}
