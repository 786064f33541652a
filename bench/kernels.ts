/** Benchmark cases for the foundation kernels at the sizes the workbench uses. */
import type { GpuContext } from '../src/gpu/context';
import { encodeMatmul } from '../src/kernels/matmul';
import { encodeGram } from '../src/kernels/gram';
import { createZeroShotWorkspace, encodeZeroShotLoss, releaseZeroShotWorkspace } from '../src/kernels/zeroShot';
import { encodePgdRandomStart, encodePgdStep } from '../src/kernels/pgd';
import { createGradNormBuffer, encodeAdamwStep } from '../src/kernels/optim';
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

/** Largest element count of one f32 binding on this adapter. */
function maxElems(ctx: GpuContext): number {
  return Math.floor((ctx.limits.maxStorageBufferBindingSize ?? 134217728) / 4);
}

export async function benchGram(ctx: GpuContext, opts: BenchOptions = {}): Promise<BenchResult[]> {
  const rng = new Rng(2);
  const shape = { groups: 256, n: 16, d: 512 };
  const x = ctx.upload('bench.gram.X', rng.uniform(shape.groups * shape.n * shape.d));
  const g = ctx.buffer('bench.gram.G', shape.groups * shape.n * shape.n * 4);
  const t = await timeRecorded(ctx, 'gram', (rec) => encodeGram(rec, x, x, g, shape), opts);
  ctx.release(x, g);
  return [{ name: 'gram', params: shape, ...t, rates: { gflops: (2 * shape.groups * shape.n ** 2 * shape.d) / (t.medianMs * 1e6) } }];
}

export async function benchZeroShot(ctx: GpuContext, opts: BenchOptions = {}): Promise<BenchResult[]> {
  const rng = new Rng(3);
  const shape = { batch: 256, classes: 1000, dim: 512, logitScale: 100 };
  const images = ctx.upload('bench.zs.images', rng.normal(shape.batch * shape.dim));
  const texts = ctx.upload('bench.zs.texts', rng.normal(shape.classes * shape.dim));
  const labels = ctx.upload('bench.zs.labels', Uint32Array.from({ length: shape.batch }, () => rng.int(0, shape.classes)));
  const ws = createZeroShotWorkspace(ctx, shape);
  const t = await timeRecorded(ctx, 'zeroShot', (rec) => encodeZeroShotLoss(rec, { images, texts, labels }, ws, shape), opts);
  releaseZeroShotWorkspace(ctx, ws);
  ctx.release(images, texts, labels);
  return [{ name: 'zeroShotLoss+grad', params: shape, ...t }];
}

export async function benchPgd(ctx: GpuContext, opts: BenchOptions = {}): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  const rng = new Rng(4);
  const n = 3 * 224 * 224;
  const batch = Math.max(1, Math.min(256, Math.floor(maxElems(ctx) / n)));
  const x0 = ctx.upload('bench.pgd.x0', rng.uniform(batch * n, 0, 1));
  const x = ctx.buffer('bench.pgd.x', batch * n * 4);
  const g = ctx.upload('bench.pgd.g', rng.normal(batch * n));
  const eps = ctx.upload('bench.pgd.eps', new Float32Array(batch).fill(4 / 255));
  const alpha = ctx.upload('bench.pgd.alpha', new Float32Array(batch).fill(1 / 255));
  for (const norm of ['linf', 'l2'] as const) {
    const shape = { batch, n, norm, box: true };
    await ctx.run('pgd.start', (rec) => encodePgdRandomStart(rec, x, x0, eps, shape, { seed: 1, step: 0 }));
    const t = await timeRecorded(ctx, `pgd ${norm}`, (rec) => encodePgdStep(rec, x, x0, g, eps, alpha, shape), opts);
    out.push({ name: `pgdStep-${norm}`, params: { batch, n }, ...t, rates: { GBps: (4 * 4 * batch * n) / (t.medianMs * 1e6) } });
  }
  ctx.release(x0, x, g, eps, alpha);
  return out;
}

export async function benchAdamw(ctx: GpuContext, opts: BenchOptions = {}): Promise<BenchResult[]> {
  const rng = new Rng(5);
  // ViT-B/32 vision tower: ~88M parameters (clamped to one binding on small adapters).
  const count = Math.min(88_000_000, maxElems(ctx));
  const params = ctx.upload('bench.adamw.p', rng.normal(count, 0.02));
  const grads = ctx.upload('bench.adamw.g', rng.normal(count, 1e-3));
  const m = ctx.upload('bench.adamw.m', new Float32Array(count));
  const v = ctx.upload('bench.adamw.v', new Float32Array(count));
  const gradNorm = createGradNormBuffer(ctx);
  let step = 0;
  const t = await timeRecorded(
    ctx,
    'adamw',
    (rec) => encodeAdamwStep(rec, { params, grads, m, v, gradNorm }, count, ++step, { lr: 1e-5, weightDecay: 1e-4, maxGradNorm: 1 }),
    opts,
  );
  ctx.release(params, grads, m, v, gradNorm);
  return [{ name: 'adamwStep+clip', params: { count }, ...t, rates: { Mparams_per_s: count / (t.medianMs * 1e3) } }];
}
