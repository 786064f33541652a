/**
 * Which model URLs an experiment may name. Accepted: an absolute `https:` URL without credentials, or a
 * same-origin absolute path (`/models/x/`). Everything else — `http:`, `javascript:`, `data:`, `blob:`, `file:`,
 * protocol-relative `//host`, backslashes, whitespace or control characters, user:password@ — is refused.
 *
 * Accepting a URL only makes it *eligible*: nothing is downloaded until the user confirms it in the UI, and the
 * download is capped (`model.maxMB`).
 */

/** Why the string is not an acceptable model URL, or null when it is. */
export function checkModelUrl(s: string): string | null {
  if (s.length === 0) return 'is empty';
  if (s.length > 2048) return `is ${s.length} characters long (at most 2048)`;
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f-\u009f]/.test(s)) return 'contains whitespace or control characters';
  if (s.includes('\\')) return 'contains a backslash';
  if (s.startsWith('/')) {
    if (s.startsWith('//')) return 'is protocol-relative (//host); give https://host/… explicitly';
    // Resolve against a placeholder origin: a same-origin path must stay on that origin.
    let u: URL;
    try {
      u = new URL(s, 'https://same-origin.invalid');
    } catch {
      return 'is not a valid path';
    }
    return u.origin === 'https://same-origin.invalid' ? null : 'does not stay on this site';
  }
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return 'is neither an https:// URL nor a same-origin path starting with /';
  }
  if (u.protocol !== 'https:') return `uses ${u.protocol.replace(/:$/, '')}:, only https: (or a same-origin /path) is allowed`;
  if (u.username || u.password) return 'contains credentials (user:password@); not allowed';
  if (!u.hostname) return 'has no host';
  return null;
}

/** Whether the URL is a same-origin path (no third party sees the request). */
export function isSameOriginPath(s: string): boolean {
  return s.startsWith('/') && !s.startsWith('//');
}

/** Resolves a checked model URL to absolute, against the page's origin. */
export function resolveModelUrl(s: string, origin: string): string {
  return new URL(s, origin).href;
}
