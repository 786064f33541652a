/**
 * Export / import of an experiment configuration as a JSON file:
 *
 *     { "format": "aos-workbench-experiment", "version": 1, "config": { …the same object a link carries… } }
 *
 * Import goes through the same checks as a link (size and depth caps, versions, field-by-field validation).
 */
import type { ExperimentConfig } from './config';
import { describeKey, FORBIDDEN_KEYS, type Issue } from './spec';
import { parseJsonCapped } from './untrusted';
import { CONFIG_VERSION, refusedResult, upgradeAndValidate, type ImportResult } from './versions';

export const FILE_FORMAT = 'aos-workbench-experiment';
/** Largest file read. */
export const MAX_FILE_CHARS = 64 * 1024;

export function exportConfigJson(config: ExperimentConfig): string {
  return `${JSON.stringify({ format: FILE_FORMAT, version: CONFIG_VERSION, config }, null, 2)}\n`;
}

export function importConfigJson(text: string): ImportResult {
  const parsed = parseJsonCapped(text, MAX_FILE_CHARS);
  if (!parsed.ok) return refusedResult(parsed.reason);
  const v = parsed.value;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return refusedResult('it is not a JSON object');
  const o = v as Record<string, unknown>;
  const own = (k: string): unknown => (Object.prototype.hasOwnProperty.call(o, k) ? o[k] : undefined);
  if (own('format') !== FILE_FORMAT) return refusedResult(`its "format" is not "${FILE_FORMAT}"`);
  const version = own('version');
  if (typeof version !== 'number' || !Number.isInteger(version)) return refusedResult('it has no integer "version"');
  const config = own('config');
  if (typeof config !== 'object' || config === null || Array.isArray(config)) return refusedResult('it has no "config" object', version);
  const extra: Issue[] = Object.keys(o)
    .filter((k) => k !== 'format' && k !== 'version' && k !== 'config')
    .slice(0, 12)
    .map((k) => ({ path: describeKey(k), problem: FORBIDDEN_KEYS.has(k) ? 'forbidden key (could alter object prototypes); ignored' : 'unknown top-level key; ignored' }));
  const r = upgradeAndValidate(config, version);
  return r.refused ? r : { ...r, issues: [...extra, ...r.issues] };
}
