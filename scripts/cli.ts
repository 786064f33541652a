import { REQUIRE_HARDWARE_ENV } from '../src/gpu/device';

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

/**
 * The script's own command line, with the flags every script shares put into effect:
 *  - `--require-hardware-adapter`: the WebGPU device (`acquireDevice`, however deep in the script it is created)
 *    refuses a CPU-emulated adapter with a message saying what to fix. Passed on through the environment
 *    (`AOS_REQUIRE_HARDWARE_ADAPTER=1`, which a container or job may also set directly) so that no script has to
 *    thread it to its `GpuContext.create`.
 */
export function scriptFlags(argv: readonly string[] = process.argv.slice(2)): Record<string, string> {
  const flags = parseFlags(argv);
  const hw = flags['require-hardware-adapter'];
  if (hw !== undefined) {
    if (hw !== 'true' && hw !== 'false') throw new Error(`--require-hardware-adapter takes no value (or =true/=false), got '${hw}'`);
    process.env[REQUIRE_HARDWARE_ENV] = hw === 'true' ? '1' : '0';
  }
  return flags;
}
