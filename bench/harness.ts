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
}

export interface BenchOptions {
  warmup?: number;
  runs?: number;
  /** Force wall-clock timing even where timestamps exist. */
  wallClock?: boolean;
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
