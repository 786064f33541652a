/** Benchmark cases for the foundation kernels at the sizes the workbench uses. */
import type { GpuContext } from '../src/gpu/context';
import { encodeMatmul } from '../src/kernels/matmul';
import { Rng } from '../src/util/random';
import { timeRecorded, type BenchOptions, type BenchResult } from './harness';

export async function benchMatmul(ctx: GpuContext, sizes: number[], opts: BenchOptions = {}): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  const rng = new Rng(1);
  for (const n of sizes) {
    const bytes = n * n * 4;
    if (bytes > (ctx.limits.maxStorageBufferBindingSize ?? 0)) {
      out.push({ name: 'matmul', params: { M: n, N: n, K: n }, timing: 'wall-clock', medianMs: NaN, minMs: NaN, runs: 0, note: 'exceeds maxStorageBufferBindingSize' });
      continue;
    }
    const a = ctx.upload('bench.A', rng.uniform(n * n));
    const b = ctx.upload('bench.B', rng.uniform(n * n));
    const c = ctx.buffer('bench.C', bytes);
    const t = await timeRecorded(ctx, `matmul ${n}`, (rec) => encodeMatmul(rec, a, b, c, { batch: 1, M: n, N: n, K: n }), opts);
    out.push({ name: 'matmul', params: { M: n, N: n, K: n }, ...t, rates: { gflops: (2 * n ** 3) / (t.medianMs * 1e6) } });
    ctx.release(a, b, c);
  }
  return out;
}
