/**
 * Benchmark harness: median of repeated runs after warm-up, timed by GPU timestamps where the adapter has them
 * (sum of the dispatches' own times) and by wall clock around submit + completion otherwise.
 */
import type { GpuContext, Recorder } from '../src/gpu/context';

export interface BenchResult {
  name: string;
  params: Record<string, number | string | boolean>;
  timing: 'gpu-timestamps' | 'wall-clock';
  medianMs: number;
  minMs: number;
  runs: number;
  /** Derived rates, e.g. GFLOP/s or items/s. */
  rates?: Record<string, number>;
  note?: string;
  /** `timeWall`: the single run was the first, cold one (it alone exceeded the case's time budget). */
  cold?: boolean;
}

export interface BenchOptions {
  warmup?: number;
  runs?: number;
  /** Force wall-clock timing even where timestamps exist. */
  wallClock?: boolean;
  /**
   * Stop repeating once the timed runs have taken this long (`timeWall` only; at least one run is always timed),
   * so heavy cases (a CPU engine on a big model) stay within a run's time limit. `runs` then reports how many ran.
   */
  maxSeconds?: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Times `record` (one submission per run). Returns per-run milliseconds. */
export async function timeRecorded(
  ctx: GpuContext,
  label: string,
  record: (rec: Recorder) => void,
  opts: BenchOptions = {},
): Promise<{ timing: BenchResult['timing']; medianMs: number; minMs: number; runs: number }> {
  const warmup = opts.warmup ?? 2;
  const runs = opts.runs ?? 7;
  const useTimestamps = ctx.hasTimestamps && !opts.wallClock;
  for (let i = 0; i < warmup; i++) await ctx.run(`${label}.warmup`, record);
  await ctx.finish();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    if (useTimestamps) {
      const t = await ctx.runTimed(label, record, 256);
      times.push(t.reduce((s, k) => s + k.ns, 0) / 1e6);
    } else {
      const t0 = performance.now();
      await ctx.run(label, record);
      await ctx.finish();
      times.push(performance.now() - t0);
    }
  }
  return { timing: useTimestamps ? 'gpu-timestamps' : 'wall-clock', medianMs: median(times), minMs: Math.min(...times), runs };
}

/**
 * Wall-clock timing of an async piece of work that submits and waits by itself (a session run, a whole attack or
 * training step): `warmup` untimed calls, then up to `runs` timed ones, each followed by `finish` (e.g.
 * `ctx.finish()`) inside the timed span. Median and minimum in milliseconds.
 * With `maxSeconds` (heavy cases, e.g. a CPU engine on a big model): warm-up stops after one call longer than a third
 * of it, timed runs stop once they have taken that long in all (at least one runs), and a first warm-up call longer
 * than all of it is itself the measurement (`cold: true`, runs 1: the one call that fitted the budget).
 */
export async function timeWall(
  run: () => Promise<void>,
  opts: BenchOptions & { finish?: () => Promise<void> } = {},
): Promise<{ timing: 'wall-clock'; medianMs: number; minMs: number; runs: number; cold?: boolean }> {
  const warmup = opts.warmup ?? 2;
  const runs = opts.runs ?? 7;
  const budgetMs = (opts.maxSeconds ?? Infinity) * 1000;
  const once = async () => {
    const t0 = performance.now();
    await run();
    await opts.finish?.();
    return performance.now() - t0;
  };
  for (let i = 0; i < warmup; i++) {
    const dt = await once();
    if (i === 0 && dt > budgetMs) return { timing: 'wall-clock', medianMs: dt, minMs: dt, runs: 1, cold: true };
    if (dt > budgetMs / 3) break;
  }
  const times: number[] = [];
  let spent = 0;
  for (let i = 0; i < runs && (i === 0 || spent < budgetMs); i++) {
    const dt = await once();
    times.push(dt);
    spent += dt;
  }
  return { timing: 'wall-clock', medianMs: median(times), minMs: Math.min(...times), runs: times.length };
}
