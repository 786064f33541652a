/**
 * Flags of the headless scripts: `--key value`, `--key=value`, or a bare `--flag` (= 'true'). One parser for
 * every script, so they all read their command lines the same way.
 */
export function parseFlags(argv: readonly string[] = process.argv.slice(2)): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    if (!argv[i].startsWith('--')) continue;
    const [k, ...rest] = argv[i].slice(2).split('=');
    if (rest.length) out[k] = rest.join('=');
    else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) out[k] = argv[++i];
    else out[k] = 'true';
  }
  return out;
}

/** A numeric flag with a default; a value that is not a finite number is an error naming the flag. */
export function numberFlag(flags: Record<string, string>, key: string, fallback: number): number {
  if (flags[key] === undefined) return fallback;
  const v = Number(flags[key]);
  if (!Number.isFinite(v)) throw new Error(`--${key} must be a number, got '${flags[key]}'`);
  return v;
}
