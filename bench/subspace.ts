/**
 * Benchmark of the subspace kernels at the size: 256 pairs of groups of 16 vectors of dimension 512 —
 * principal angles (bases, cross products, Jacobi SVDs: 5 dispatches) and the projection distance with its gradient
 * (joint Gram, coefficients, gradient, mean: 4 dispatches), and the directional residual distance with its gradient
 * (target bases, per-pair residuals, mean: 3 dispatches). One submission per run; GPU timestamps where the adapter
 * has them (sum of the dispatches), wall clock around submit + completion otherwise (see ./harness).
 */
import type { GpuContext } from '../src/gpu/context';
import { anglesWorkspace, encodePrincipalAngles } from '../src/subspace/angles';
import { encodeSubspaceLoss, subspaceLossWorkspace } from '../src/subspace/loss';
import { encodeResidualDistance, residualWorkspace } from '../src/subspace/residual';
import { Rng } from '../src/util/random';
import { timeRecorded, type BenchOptions, type BenchResult } from './harness';

export interface SubspaceBenchSize {
  pairs: number;
  n: number;
  d: number;
}

export const SUBSPACE_BENCH_SIZE: SubspaceBenchSize = { pairs: 256, n: 16, d: 512 };

export async function benchSubspace(ctx: GpuContext, opts: BenchOptions = {}, size: SubspaceBenchSize = SUBSPACE_BENCH_SIZE): Promise<BenchResult[]> {
  const { pairs, n, d } = size;
  const rng = new Rng(7);
  const unit = (count: number) => {
    const a = rng.normal(count);
    const s = 1 / Math.sqrt(d);
    for (let i = 0; i < count; i++) a[i] *= s;
    return a;
  };
  const x = ctx.upload('bench.subspace.X', unit(pairs * n * d));
  const y = ctx.upload('bench.subspace.Y', unit(pairs * n * d));
  const shape = { pairs, n, m: n, d };
  const params = { pairs, n, m: n, d };
  const out: BenchResult[] = [];

  const angles = ctx.buffer('bench.subspace.angles', pairs * n * 4);
  const count = ctx.buffer('bench.subspace.count', pairs * 4);
  const aws = anglesWorkspace(ctx, shape);
  const ta = await timeRecorded(ctx, 'subspace principal angles', (rec) => encodePrincipalAngles(rec, x, y, angles, count, aws, shape), opts);
  out.push({ name: 'subspace/principal-angles', params, ...ta, rates: { pairsPerSec: pairs / (ta.medianMs / 1e3) } });
  aws.release();

  const b = {
    x, y,
    perPair: ctx.buffer('bench.subspace.loss', pairs * 4),
    value: ctx.buffer('bench.subspace.value', 4),
    gx: ctx.buffer('bench.subspace.gX', pairs * n * d * 4),
    gy: ctx.buffer('bench.subspace.gY', pairs * n * d * 4),
  };
  const lws = subspaceLossWorkspace(ctx, shape);
  const tl = await timeRecorded(ctx, 'subspace distance+grad', (rec) => encodeSubspaceLoss(rec, b, lws, shape, { ridge: 1e-4 }), opts);
  out.push({ name: 'subspace/projection-distance+grad', params, ...tl, rates: { pairsPerSec: pairs / (tl.medianMs / 1e3) } });
  lws.release();

  // The directional residual distance (AoS's default) on the same pairs: target bases, per-pair values + ∂/∂X, mean.
  const targetOf = ctx.upload('bench.subspace.targetOf', Uint32Array.from({ length: pairs }, (_, p) => p));
  const rshape = { pairs, n, m: n, d, targets: pairs };
  const rws = residualWorkspace(ctx, rshape);
  const tr = await timeRecorded(ctx, 'subspace residual+grad', (rec) => encodeResidualDistance(rec, { x, y, targetOf, perPair: b.perPair, value: b.value, gx: b.gx }, rws, rshape, { ridge: 0.025 }), opts);
  out.push({ name: 'subspace/residual-distance+grad', params, ...tr, rates: { pairsPerSec: pairs / (tr.medianMs / 1e3) } });
  rws.release();
  ctx.release(x, y, angles, count, b.perPair, b.value, b.gx, b.gy, targetOf);
  return out;
}
