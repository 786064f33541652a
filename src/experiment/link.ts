/**
 * Shareable experiment links. The whole configuration travels in the URL fragment:
 *
 *     https://host/path/#x=v1.<base64url(JSON of the config)>[&p=<panel>]
 *
 *  - `x` = `v<version>.<payload>`; the payload is the configuration as compact JSON, UTF-8, base64url without
 *    padding (RFC 4648 §5). Every field is written (defaults included), so a link means the same thing even if a
 *    later build changes a default (a changed default is a format change: see versions.ts).
 *  - In the fragment, not the query: the configuration never reaches a server's logs, and changing it never
 *    reloads the page. Other fragment parameters (`p`, the open panel) are kept as they are.
 *  - Reading is defensive: at most `MAX_TOKEN_CHARS` characters, base64url alphabet, strict UTF-8, nesting depth
 *    ≤ 8, then field-by-field validation (validateConfig); anything rejected is listed and replaced by its default.
 */
import type { ExperimentConfig } from './config';
import { CONFIG_VERSION, refusedResult, upgradeAndValidate, type ImportResult } from './versions';
import { fromBase64Url, jsonLooksCut, parseJsonCapped, toBase64Url } from './untrusted';

export const LINK_PARAM = 'x';
/** Longest `x` value read (a full v1 configuration is about 1.3 k characters). */
export const MAX_TOKEN_CHARS = 8192;
/** Longest fragment parsed at all. */
export const MAX_HASH_CHARS = 16384;

/** `v1.<base64url(JSON)>` for a (validated) configuration. */
export function encodeConfigToken(config: ExperimentConfig, version = CONFIG_VERSION): string {
  return `v${version}.${toBase64Url(JSON.stringify(config))}`;
}

/** Reads an `x` value; never throws. */
export function decodeConfigToken(token: string): ImportResult {
  if (token.length > MAX_TOKEN_CHARS) return refusedResult(`it is ${token.length} characters long; at most ${MAX_TOKEN_CHARS} are read`);
  const m = /^v([0-9]{1,6})\.([\s\S]*)$/.exec(token);
  if (!m) return refusedResult('it does not start with a format version (expected x=v1.…)');
  const version = Number(m[1]);
  if (m[1].length > 1 && m[1].startsWith('0')) return refusedResult(`format version "${m[1]}" is malformed`);
  const json = fromBase64Url(m[2]);
  if (json === null) return refusedResult('its payload is not base64url-encoded UTF-8 text', version);
  const parsed = parseJsonCapped(json, MAX_TOKEN_CHARS);
  if (!parsed.ok) {
    // A link cut short (a chat client's length limit, a partial copy) ends mid-way through its settings: say so,
    // rather than quoting the JSON parser.
    const cut = /^it is not valid JSON/.test(parsed.reason) && jsonLooksCut(json);
    if (cut) return refusedResult('the link looks cut off (its settings end mid-way): copy the whole link again', version);
    if (/^it is not valid JSON/.test(parsed.reason)) return refusedResult('its settings are damaged (not readable as settings data): copy the whole link again', version);
    return refusedResult(parsed.reason, version);
  }
  return upgradeAndValidate(parsed.value, version);
}

/** Parameters of a fragment (`#a=1&b=2`), or null when it is too long to be ours. */
function fragmentParams(hash: string): URLSearchParams | null {
  const h = hash.startsWith('#') ? hash.slice(1) : hash;
  if (h.length > MAX_HASH_CHARS) return null;
  return new URLSearchParams(h);
}

/** The configuration a fragment carries: null when it has no `x`, else the (possibly partly refused) import. */
export function configFromHash(hash: string): ImportResult | null {
  const params = fragmentParams(hash);
  if (params === null) return refusedResult(`the link's fragment is ${hash.length} characters long; at most ${MAX_HASH_CHARS} are read`);
  const x = params.get(LINK_PARAM);
  return x === null ? null : decodeConfigToken(x);
}

/** A fragment parameter other than the configuration (e.g. `p`, the panel); null when absent or oversized. */
export function hashParam(hash: string, name: string): string | null {
  return fragmentParams(hash)?.get(name) ?? null;
}

/**
 * The fragment with the given parameters set (null deletes one), keeping the others. `x` is written last and
 * unescaped (base64url needs no escaping) so links stay readable.
 */
export function withHashParams(hash: string, set: Record<string, string | null>): string {
  const params = fragmentParams(hash) ?? new URLSearchParams();
  for (const [k, v] of Object.entries(set)) {
    if (v === null) params.delete(k);
    else params.set(k, v);
  }
  const x = params.get(LINK_PARAM);
  params.delete(LINK_PARAM);
  const rest = params.toString();
  const parts = [rest, x !== null ? `${LINK_PARAM}=${x}` : ''].filter((s) => s.length > 0);
  return parts.length ? `#${parts.join('&')}` : '';
}

/** A full shareable link for a page URL (its fragment replaced by the configuration, other parameters kept). */
export function shareLink(pageUrl: string, config: ExperimentConfig): string {
  const u = new URL(pageUrl);
  u.hash = withHashParams(u.hash, { [LINK_PARAM]: encodeConfigToken(config) });
  return u.href;
}
