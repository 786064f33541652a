/**
 * Field specifications: one declarative description of every experiment setting (type, range, default, label),
 * from which the TypeScript type, the defaults, the validator of untrusted input (links, imported JSON) and the UI's
 * input widgets are all derived. React-free and store-free.
 *
 * Validation never throws and never trusts the input's shape: it walks the *spec*, reads only the input's own
 * properties that the spec names, reports everything else (unknown keys, forbidden keys such as `__proto__`,
 * wrong types, out-of-range values, hostile strings) as an `Issue`, and puts the field's default in place of each
 * rejected value.
 */

/** One rejected piece of input: where, and why (human-readable; never contains the raw input beyond a short excerpt). */
export interface Issue {
  /** Dotted path of the field, e.g. `attack.epsilon` (`(link)` / `(file)` for the input as a whole). */
  path: string;
  problem: string;
}

interface SpecBase<T> {
  readonly default: T;
  /** Short label for the UI. */
  readonly label: string;
  /** One-line explanation for the UI (tooltip / hint). */
  readonly help?: string;
}

export interface NumberSpec extends SpecBase<number> {
  readonly kind: 'number';
  readonly min: number;
  readonly max: number;
  readonly integer: boolean;
  /** Input step for the UI. */
  readonly step?: number;
  /** Show the value also as k/255 (pixel-scale perturbation budgets). */
  readonly per255?: boolean;
}

export interface EnumSpec<E extends string = string> extends SpecBase<E> {
  readonly kind: 'enum';
  readonly values: readonly E[];
  /** Display names by value. */
  readonly names?: Readonly<Partial<Record<string, string>>>;
}

export interface BoolSpec extends SpecBase<boolean> {
  readonly kind: 'bool';
}

export interface StringSpec extends SpecBase<string> {
  readonly kind: 'string';
  readonly maxLength: number;
  /** Returns why the (length-checked) string is unacceptable, or null. */
  readonly check: (s: string) => string | null;
  readonly placeholder?: string;
}

/** An integer in a range, or null (e.g. "no target class"). */
export interface NullableIntSpec extends SpecBase<number | null> {
  readonly kind: 'nullable-int';
  readonly min: number;
  readonly max: number;
  /** What null means, for the UI. */
  readonly nullName: string;
}

export type FieldSpecs = { readonly [key: string]: AnySpec };

export interface ObjectSpec<F extends FieldSpecs = FieldSpecs> extends SpecBase<{ -readonly [K in keyof F]: Infer<F[K]> }> {
  readonly kind: 'object';
  readonly fields: F;
}

export type LeafSpec = NumberSpec | EnumSpec | BoolSpec | StringSpec | NullableIntSpec;
export type AnySpec = LeafSpec | ObjectSpec<FieldSpecs>;

/** The value type a spec describes. */
export type Infer<S> = S extends SpecBase<infer T> ? T : never;

type Meta = { label: string; help?: string };

export function num(def: number, min: number, max: number, meta: Meta & { integer?: boolean; step?: number; per255?: boolean }): NumberSpec {
  const { integer = false, ...rest } = meta;
  return { kind: 'number', default: def, min, max, integer, ...rest };
}

export function int(def: number, min: number, max: number, meta: Meta & { step?: number }): NumberSpec {
  return num(def, min, max, { ...meta, integer: true });
}

export function enm<const E extends string>(def: NoInfer<E>, values: readonly E[], meta: Meta & { names?: Partial<Record<E, string>> }): EnumSpec<E> {
  return { kind: 'enum', default: def, values, ...meta };
}

export function bool(def: boolean, meta: Meta): BoolSpec {
  return { kind: 'bool', default: def, ...meta };
}

export function str(def: string, maxLength: number, check: (s: string) => string | null, meta: Meta & { placeholder?: string }): StringSpec {
  return { kind: 'string', default: def, maxLength, check, ...meta };
}

export function nullableInt(def: number | null, min: number, max: number, meta: Meta & { nullName: string }): NullableIntSpec {
  return { kind: 'nullable-int', default: def, min, max, ...meta };
}

export function obj<const F extends FieldSpecs>(fields: F, meta: Meta): ObjectSpec<F> {
  const def: Record<string, unknown> = {};
  for (const k of Object.keys(fields)) def[k] = fields[k].default;
  return { kind: 'object', fields, default: def as ObjectSpec<F>['default'], ...meta };
}

/** Keys that could reach or replace an object's prototype: always refused, whatever the spec. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** At most this many issues are listed per object (the rest are counted). */
const MAX_ISSUES_PER_OBJECT = 12;

const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** A short, inert description of an untrusted value for messages (strings cut to 24 characters, JSON-quoted). */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return `a list of ${v.length} item${v.length === 1 ? '' : 's'}`;
  switch (typeof v) {
    case 'string': {
      if (v.length > 24) return `a string of ${v.length} characters starting ${JSON.stringify(v.slice(0, 24))}…`;
      return `the string ${JSON.stringify(v)}`;
    }
    case 'number': return Number.isFinite(v) ? `the number ${v}` : `the non-finite number ${String(v)}`;
    case 'boolean': return String(v);
    case 'object': return 'an object';
    default: return `a ${typeof v}`;
  }
}

/** A key as it may appear in a message: plain identifiers as they are, anything else JSON-quoted and cut. */
export function describeKey(k: string): string {
  if (/^[A-Za-z0-9_$-]{1,40}$/.test(k)) return k;
  return JSON.stringify(k.length > 40 ? `${k.slice(0, 40)}…` : k);
}

const join = (path: string, key: string): string => (path ? `${path}.${key}` : key);

function formatNum(x: number): string {
  return Math.abs(x) >= 1e10 || (x !== 0 && Math.abs(x) < 1e-3) ? x.toExponential() : String(x);
}

export function rangeText(s: NumberSpec | NullableIntSpec): string {
  return `${formatNum(s.min)}…${formatNum(s.max)}`;
}

/** Checks one leaf value; returns the problem or null. */
export function leafProblem(spec: LeafSpec, v: unknown): string | null {
  switch (spec.kind) {
    case 'number': {
      if (typeof v !== 'number') return `expected a number, got ${describeValue(v)}`;
      if (!Number.isFinite(v)) return `${String(v)} is not a finite number`;
      if (spec.integer && !Number.isInteger(v)) return `expected a whole number, got ${v}`;
      if (v < spec.min || v > spec.max) return `${formatNum(v)} is outside the allowed range ${rangeText(spec)}`;
      return null;
    }
    case 'nullable-int': {
      if (v === null) return null;
      if (typeof v !== 'number') return `expected a whole number or null, got ${describeValue(v)}`;
      if (!Number.isFinite(v)) return `${String(v)} is not a finite number`;
      if (!Number.isInteger(v)) return `expected a whole number, got ${v}`;
      if (v < spec.min || v > spec.max) return `${v} is outside the allowed range ${rangeText(spec)}`;
      return null;
    }
    case 'enum': {
      if (typeof v === 'string' && (spec.values as readonly string[]).includes(v)) return null;
      return `expected one of ${spec.values.join(', ')}; got ${describeValue(v)}`;
    }
    case 'bool':
      return typeof v === 'boolean' ? null : `expected true or false, got ${describeValue(v)}`;
    case 'string': {
      if (typeof v !== 'string') return `expected a string, got ${describeValue(v)}`;
      if (v.length > spec.maxLength) return `a string of ${v.length} characters is longer than the ${spec.maxLength} allowed`;
      return spec.check(v);
    }
  }
}

/**
 * Validates untrusted `value` against `spec`: returns a value of the spec's type (the input where valid, the
 * default elsewhere) and appends an `Issue` for everything rejected. Missing fields silently take their default
 * (links from before a field was added stay valid).
 */
export function validateAgainst<S extends AnySpec>(spec: S, value: unknown, issues: Issue[], path = ''): Infer<S> {
  if (spec.kind !== 'object') {
    const problem = leafProblem(spec, value);
    if (problem === null) return value as Infer<S>;
    issues.push({ path: path || '(value)', problem });
    return spec.default as Infer<S>;
  }
  if (!isPlainObject(value)) {
    issues.push({ path: path || '(value)', problem: `expected an object of settings, got ${describeValue(value)}` });
    return structuredClone(spec.default) as Infer<S>;
  }
  const out: Record<string, unknown> = {};
  let listed = 0, unlisted = 0;
  const note = (issue: Issue): void => {
    if (listed < MAX_ISSUES_PER_OBJECT) { issues.push(issue); listed++; } else unlisted++;
  };
  for (const key of Object.keys(value)) {
    if (FORBIDDEN_KEYS.has(key)) note({ path: join(path, describeKey(key)), problem: 'forbidden key (could alter object prototypes); ignored' });
    else if (!hasOwn(spec.fields, key)) note({ path: join(path, describeKey(key)), problem: 'unknown setting; ignored' });
  }
  if (unlisted > 0) issues.push({ path: path || '(value)', problem: `${unlisted} more unknown or forbidden keys ignored` });
  for (const key of Object.keys(spec.fields)) {
    const sub = spec.fields[key];
    out[key] = hasOwn(value, key) ? validateAgainst(sub, value[key], issues, join(path, key)) : structuredClone(sub.default);
  }
  return out as Infer<S>;
}

/** The spec at a dotted path, or undefined. */
export function specAt(root: AnySpec, path: string): AnySpec | undefined {
  let s: AnySpec | undefined = root;
  for (const part of path.split('.')) {
    if (!s || s.kind !== 'object' || !hasOwn(s.fields, part)) return undefined;
    s = s.fields[part];
  }
  return s;
}

/** The value at a dotted path of a validated config. */
export function valueAt(root: unknown, path: string): unknown {
  let v: unknown = root;
  for (const part of path.split('.')) {
    if (!isPlainObject(v) || !hasOwn(v, part)) return undefined;
    v = v[part];
  }
  return v;
}

/** A copy of `root` with the value at `path` replaced (only along existing own properties). */
export function withValueAt<T>(root: T, path: string, value: unknown): T {
  const parts = path.split('.');
  const rec = (node: unknown, i: number): unknown => {
    if (!isPlainObject(node) || !hasOwn(node, parts[i])) throw new RangeError(`no setting ${path}`);
    const copy: Record<string, unknown> = { ...node };
    copy[parts[i]] = i === parts.length - 1 ? value : rec(node[parts[i]], i + 1);
    return copy;
  };
  return rec(root, 0) as T;
}

/** Every leaf path of a spec, in declaration order. */
export function leafPaths(root: AnySpec, prefix = ''): string[] {
  if (root.kind !== 'object') return [prefix];
  return Object.keys(root.fields).flatMap((k) => leafPaths(root.fields[k], join(prefix, k)));
}
