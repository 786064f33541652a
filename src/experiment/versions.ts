/**
 * Format versions of the experiment configuration. Links and exported files carry the version they were written
 * in; a reader upgrades older versions step by step through `MIGRATIONS` and refuses newer ones (it cannot know
 * what their fields mean).
 *
 * To change the format: bump `CONFIG_VERSION`, change the spec in config.ts, and add
 * `MIGRATIONS[old] = (raw) => …` turning a parsed version-`old` object into a version-`old + 1` object (on
 * untrusted data: check types before use, never copy unknown keys; the validator runs on the result anyway).
 */
import { defaultConfig, validateConfig, type ExperimentConfig } from './config';
import { migrateV1 } from './migrateV1';
import type { Issue } from './spec';

export const CONFIG_VERSION = 2;

/**
 * Upgrades from version n to n + 1, keyed by n.
 *  1 → 2: the fine-tuning settings moved into `fineTune` under the loop's own names (one vocabulary), the prompt
 *         set and the trained towers became settings of every method (see migrateV1.ts).
 */
export const MIGRATIONS: Readonly<Record<number, Migration>> = { 1: migrateV1 };

/** One upgrade step; it reports what it could not carry over (e.g. keys the old version did not have) in `issues`. */
export type Migration = (raw: unknown, issues: Issue[]) => unknown;

export interface ImportResult {
  /** The configuration to use: the input where valid, defaults elsewhere. */
  config: ExperimentConfig;
  /** Fields rejected (their defaults are used). */
  issues: Issue[];
  /** Set when the input was refused as a whole (everything is default); says why. */
  refused: string | null;
  /** Format version the input declared, when it could be read. */
  version: number | null;
}

export function refusedResult(reason: string, version: number | null = null): ImportResult {
  return { config: defaultConfig(), issues: [], refused: reason, version };
}

/** Brings a parsed object of `version` to the current version and validates it. */
export function upgradeAndValidate(raw: unknown, version: number, migrations: Readonly<Record<number, Migration>> = MIGRATIONS, current = CONFIG_VERSION): ImportResult {
  if (!Number.isInteger(version) || version < 1) return refusedResult(`format version ${String(version)} does not exist (versions start at 1)`, null);
  if (version > current) {
    return refusedResult(`it was written in format version ${version} by a newer workbench; this one reads versions 1–${current}`, version);
  }
  let v = raw;
  const dropped: Issue[] = [];
  for (let n = version; n < current; n++) {
    const step = migrations[n];
    if (!step) return refusedResult(`no migration from format version ${n} to ${n + 1}`, version);
    try {
      v = step(v, dropped);
    } catch (e) {
      return refusedResult(`upgrading from format version ${n} failed (${String((e as Error).message).slice(0, 120)})`, version);
    }
  }
  const { config, issues } = validateConfig(v);
  return { config, issues: [...dropped, ...issues], refused: null, version };
}

/** A summary of an import for the UI: a headline and one line per rejected field. Plain text (never markup). */
export function describeImport(r: ImportResult, source: string): { ok: boolean; headline: string; lines: string[] } {
  if (r.refused) {
    return { ok: false, headline: `The ${source} was refused: ${r.refused}. All settings are defaults.`, lines: [] };
  }
  if (r.issues.length === 0) return { ok: true, headline: `Settings restored from the ${source}.`, lines: [] };
  const n = r.issues.length;
  return {
    ok: false,
    headline: `Settings restored from the ${source}, but ${n} value${n === 1 ? ' was' : 's were'} rejected and replaced by defaults:`,
    lines: r.issues.map((i) => `${i.path}: ${i.problem}`),
  };
}
