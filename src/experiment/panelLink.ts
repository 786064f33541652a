/**
 * What a shareable link carries besides the configuration (`x`, ./link.ts): the Attack panel's chosen test image and
 * the Subspaces panel's probe settings. They are panel state rather than the experiment (they do not change what a
 * run computes), so they travel in their own fragment parameters:
 *
 *     #p=attack&img=12&probe=v1.<base64url(JSON)>&x=v2.…
 *
 *  - `img`: the index of a test image of the configured dataset's evaluation split ('12'); whether it exists is
 *    known only once the split is loaded, so the Attack panel checks the range and says so when it does not.
 *  - `probe`: the probe settings as JSON (the fields of src/methods/probeSettings.ts `ProbeSettings`, plus `every`),
 *    read like `x`: capped, base64url, strict UTF-8, depth-limited JSON, then field by field — a rejected field is
 *    listed and replaced by its default, unknown keys are listed and ignored.
 * Links are hostile input: nothing here throws, and nothing read here starts GPU work.
 */
import type { ProbeSettings } from './probeSettings';
import type { Issue } from './spec';
import { fromBase64Url, parseJsonCapped, toBase64Url } from './untrusted';

export const IMAGE_PARAM = 'img';
export const PROBE_PARAM = 'probe';
const PROBE_VERSION = 1;
const MAX_PROBE_CHARS = 1024;
/** Largest image index a link may name (the bundled splits hold at most a few thousand images). */
export const MAX_LINK_IMAGE_INDEX = 999_999;

/** The probe as a link carries it: the Subspaces panel's settings and the measuring interval. */
export interface LinkedProbe extends ProbeSettings {
  /** Fine-tuning runs measure the probe every this many steps (0: never). */
  every: number;
}

/** Ranges of the probe's numbers: the Subspaces panel's inputs' ranges (and the kernels' limits). */
const PROBE_FIELDS: Readonly<Record<Exclude<keyof LinkedProbe, 'classes'>, { min: number; max: number; integer: boolean }>> = {
  perClass: { min: 1, max: 8, integer: true },
  views: { min: 1, max: 16, integer: true },
  templates: { min: 1, max: 10, integer: true },
  synonyms: { min: 1, max: 8, integer: true },
  eps: { min: 0, max: 64 / 255, integer: false },
  alpha: { min: 0, max: 64 / 255, integer: false },
  steps: { min: 0, max: 20, integer: true },
  textEps: { min: 0, max: 1, integer: false },
  textSteps: { min: 0, max: 10, integer: true },
  seed: { min: 0, max: 2 ** 32 - 1, integer: true },
  every: { min: 0, max: 1000, integer: true },
};
const MAX_PROBE_CLASSES = 6;
const MAX_CLASS_INDEX = 255;
/** Prompts per class in a text group (the subspace kernels' limit, ./fineTune.ts MAX_GROUP_ROWS). */
const MAX_TEXT_GROUP = 32;

/** `img`: an index written in plain decimal, in range; else why not (for the notice). */
export function parseImageParam(raw: string): { index: number } | { problem: string } {
  const shown = raw.length > 12 ? `${raw.slice(0, 12)}…` : raw;
  if (!/^(0|[1-9][0-9]{0,5})$/.test(raw)) return { problem: `the image "${shown}" is not a test-image number (0 to ${MAX_LINK_IMAGE_INDEX})` };
  return { index: Number(raw) };
}

/** `probe` for settings (numbers written as they are: the JSON is short). */
export function encodeProbeToken(p: LinkedProbe): string {
  const ordered: Record<string, unknown> = { classes: p.classes };
  for (const k of Object.keys(PROBE_FIELDS) as Array<keyof typeof PROBE_FIELDS>) ordered[k] = p[k];
  return `v${PROBE_VERSION}.${toBase64Url(JSON.stringify(ordered))}`;
}

export type ProbeImport = { probe: LinkedProbe; issues: Issue[]; refused?: undefined } | { refused: string; probe?: undefined; issues?: undefined };

const has = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/** Reads `probe` against the defaults; never throws. */
export function decodeProbeToken(token: string, defaults: Readonly<LinkedProbe>): ProbeImport {
  if (token.length > MAX_PROBE_CHARS) return { refused: `it is ${token.length} characters long; at most ${MAX_PROBE_CHARS} are read` };
  const m = /^v([0-9]{1,6})\.([A-Za-z0-9_-]*)$/.exec(token);
  if (!m) return { refused: 'it does not start with a format version (expected probe=v1.…)' };
  if (Number(m[1]) !== PROBE_VERSION) return { refused: `format version ${m[1]} is not one this workbench reads (it reads v${PROBE_VERSION})` };
  const json = fromBase64Url(m[2]);
  if (json === null) return { refused: 'its payload is not base64url-encoded UTF-8 text' };
  const parsed = parseJsonCapped(json, MAX_PROBE_CHARS);
  if (!parsed.ok) return { refused: 'its settings are damaged (not readable as settings data): copy the whole link again' };
  const raw = parsed.value;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { refused: 'its settings are not a set of named values' };
  const issues: Issue[] = [];
  const probe: LinkedProbe = { ...defaults, classes: [...defaults.classes] };
  const obj = raw as Record<string, unknown>;
  for (const k of Object.keys(obj)) {
    if (k !== 'classes' && !has(PROBE_FIELDS, k)) issues.push({ path: `probe.${k.slice(0, 40)}`, problem: 'not a probe setting; ignored' });
  }
  if (has(obj, 'classes')) {
    const c = obj.classes;
    const ok = Array.isArray(c) && c.length >= 1 && c.length <= MAX_PROBE_CLASSES
      && c.every((x) => Number.isInteger(x) && (x as number) >= 0 && (x as number) <= MAX_CLASS_INDEX) && new Set(c).size === c.length;
    if (ok) probe.classes = [...(c as number[])].sort((a, b) => a - b);
    else issues.push({ path: 'probe.classes', problem: `not 1 to ${MAX_PROBE_CLASSES} different class numbers (0–${MAX_CLASS_INDEX}); using the default` });
  }
  for (const [k, r] of Object.entries(PROBE_FIELDS) as Array<[keyof typeof PROBE_FIELDS, (typeof PROBE_FIELDS)[keyof typeof PROBE_FIELDS]]>) {
    if (!has(obj, k)) continue;
    const v = obj[k];
    if (typeof v === 'number' && Number.isFinite(v) && v >= r.min && v <= r.max && (!r.integer || Number.isInteger(v))) probe[k] = v;
    else issues.push({ path: `probe.${k}`, problem: `${typeof v === 'number' ? String(v) : `a ${v === null ? 'null' : typeof v}`} is not ${r.integer ? 'a whole number' : 'a number'} from ${+r.min.toFixed(4)} to ${+r.max.toFixed(4)}; using the default` });
  }
  if (probe.templates * probe.synonyms > MAX_TEXT_GROUP) {
    issues.push({ path: 'probe.templates', problem: `${probe.templates} templates × ${probe.synonyms} synonyms is over ${MAX_TEXT_GROUP} prompts per class; using the defaults` });
    probe.templates = defaults.templates;
    probe.synonyms = defaults.synonyms;
  }
  if (probe.alpha === 0 && probe.steps > 0) {
    issues.push({ path: 'probe.alpha', problem: 'a zero step size with attack steps would not move; using the default' });
    probe.alpha = defaults.alpha;
  }
  return { probe, issues };
}
