/**
 * Parsing of untrusted text before any of it is looked at: size cap, nesting-depth cap (checked by a linear scan
 * before `JSON.parse`, so a "[[[[…" bomb is refused without recursion), strict UTF-8, base64url alphabet.
 */

export const MAX_DEPTH = 8;

/** Maximum nesting depth of JSON text ({ and [ outside strings), found by one linear scan. */
export function jsonDepth(text: string): number {
  let depth = 0, max = 0, inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) { depth++; if (depth > max) max = depth; }
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

/**
 * Whether JSON text that failed to parse looks cut short: it ends inside a string or with objects/arrays still open
 * (one linear scan, the same as `jsonDepth`'s). Parser messages differ between engines; this does not.
 */
export function jsonLooksCut(text: string): boolean {
  let depth = 0, inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  return inString || depth > 0;
}

export type Parsed = { ok: true; value: unknown } | { ok: false; reason: string };

/** JSON.parse with a length and depth cap; never throws. */
export function parseJsonCapped(text: string, maxChars: number, maxDepth = MAX_DEPTH): Parsed {
  if (text.length > maxChars) return { ok: false, reason: `it is ${text.length} characters long; at most ${maxChars} are read` };
  const depth = jsonDepth(text);
  if (depth > maxDepth) return { ok: false, reason: `it nests ${depth} levels deep; at most ${maxDepth} are allowed` };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (e) {
    return { ok: false, reason: `it is not valid JSON (${(e as Error).message.slice(0, 120)})` };
  }
}

/** base64url without padding (RFC 4648 §5) of UTF-8 text. */
export function toBase64Url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Inverse of `toBase64Url`; null when the text is not base64url or not valid UTF-8. */
export function fromBase64Url(b64: string): string | null {
  if (!/^[A-Za-z0-9_-]*$/.test(b64) || b64.length % 4 === 1) return null;
  let bin: string;
  try {
    bin = atob(b64.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (b64.length % 4)) % 4));
  } catch {
    return null;
  }
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}
