/**
 * Subspace-alignment training losses for pairs of groups of row vectors (X [pairs, n, d], Y [pairs, m, d],
 * n, m ≤ 32), with analytic gradients w.r.t. the raw feature vectors — no SVD, so the gradients stay finite at
 * coincident subspaces, repeated angles and nearly rank-deficient groups:
 *
 *   loss_p = proj · d(X_p, Y_p) + moment · L(X_p, Y_p),   value = mean_p loss_p (or the sum),
 *
 * d = ½‖P_X − P_Y‖²_F of the ridge-regularised projectors P_X = Xᵀ(X·Xᵀ + ρI)⁻¹X (the symmetric projection
 * distance; rank fixed at the number of vectors) and L = ‖XᵀX/n − YᵀY/m‖²_F (second-moment matching, uncentred by
 * default, computed through the n×n / n×m / m×m Grams). Formulas and derivations: `projectionDistancePair` and
 * `momentLossPair` in ./reference (the float64 reference these kernels are checked against).
 *
 * Four dispatches in one submission: joint Gram W = [X; Y][X; Y]ᵀ (subspace_gram.wgsl) → per-pair losses and the
 * gradient's (n+m)×(n+m) coefficient matrix (subspace_loss.wgsl) → gradients = scale·Coef·[X; Y]
 * (subspace_apply.wgsl) → reduced value (subspace_reduce.wgsl).
 */
import type { GpuContext, Recorder } from '../gpu/context';
import { UniformWriter } from '../gpu/uniforms';
import { checkCount, checkLength, itemWorkgroups, SUBSPACE_MAX_ROWS } from './common';
import { DEFAULT_RIDGE } from './reference';

export interface SubspaceLossShape {
  pairs: number;
  /** Vectors per X group, ≤ 32. */
  n: number;
  /** Vectors per Y group, ≤ 32 (default n). */
  m?: number;
  d: number;
}

export interface SubspaceLossOptions {
  /** Weight of the projection distance (default 1). */
  proj?: number;
  /** Weight of the second-moment matching (default 0: off). */
  moment?: number;
  /** Ridge ρ > 0 of the Gram matrices in the projection distance (default 1e-4, for roughly unit-norm features). */
  ridge?: number;
  /** Centre each group before the moment term (default false: the mean direction carries the class). */
  center?: boolean;
  /** 'mean' (default) or 'sum' over pairs, for the value and the gradients. 'sum' gives per-pair gradients. */
  reduction?: 'mean' | 'sum';
  /** Multiplies the gradients (an upstream gradient of the reduced value; default 1). */
  gradScale?: number;
  /** Add the gradients into gx, gy instead of overwriting them (default false). */
  accumulate?: boolean;
}

function resolved(s: SubspaceLossShape, o: SubspaceLossOptions) {
  const m = s.m ?? s.n;
  checkCount('subspaceLoss', 'pairs', s.pairs, 65535, 1);
  checkCount('subspaceLoss', 'n', s.n, SUBSPACE_MAX_ROWS, 1);
  checkCount('subspaceLoss', 'm', m, SUBSPACE_MAX_ROWS, 1);
  checkCount('subspaceLoss', 'd', s.d, Infinity, 1);
  const proj = o.proj ?? 1, moment = o.moment ?? 0, ridge = o.ridge ?? DEFAULT_RIDGE;
  if (proj !== 0 && !(ridge > 0)) throw new RangeError(`subspaceLoss: ridge must be > 0, got ${ridge}`);
  const reduce = (o.reduction ?? 'mean') === 'mean' ? 1 / s.pairs : 1;
  return { pairs: s.pairs, n: s.n, m, d: s.d, proj, moment, ridge, center: !!o.center, reduce, gradScale: reduce * (o.gradScale ?? 1), accumulate: !!o.accumulate };
}

/** Scratch of the loss pipeline: the joint Grams and the gradient coefficients, [pairs, n+m, n+m] each. */
export interface SubspaceLossWorkspace {
  w: GPUBuffer;
  coef: GPUBuffer;
  release(): void;
}

export function subspaceLossWorkspace(ctx: GpuContext, shape: SubspaceLossShape): SubspaceLossWorkspace {
  const N = shape.n + (shape.m ?? shape.n);
  const w = ctx.buffer('subspaceLoss.W', shape.pairs * N * N * 4);
  const coef = ctx.buffer('subspaceLoss.coef', shape.pairs * N * N * 4);
  return { w, coef, release: () => ctx.release(w, coef) };
}

export interface SubspaceLossBuffers {
  x: GPUBuffer;
  y: GPUBuffer;
  /** Per-pair losses, [pairs] f32. */
  perPair: GPUBuffer;
  /** The reduced value, [1] f32 (optional). */
  value?: GPUBuffer;
  /** Gradients of the reduced value, like x and y (optional: omit both for the forward pass only). */
  gx?: GPUBuffer;
  gy?: GPUBuffer;
}

/** Records the losses (and, with gx and gy, their gradients). */
export function encodeSubspaceLoss(rec: Recorder, b: SubspaceLossBuffers, ws: SubspaceLossWorkspace, shape: SubspaceLossShape, opts: SubspaceLossOptions = {}, label = 'subspace-loss'): void {
  const s = resolved(shape, opts);
  const grid = itemWorkgroups(s.pairs);
  const N = s.n + s.m;
  rec.dispatch({
    shader: 'subspace_gram',
    label: `${label}.gram`,
    uniforms: new UniformWriter().u32(s.pairs).u32(s.n).u32(s.m).u32(s.d).bytes(),
    buffers: [b.x, b.y, ws.w],
    workgroups: grid,
  });
  rec.dispatch({
    shader: 'subspace_loss',
    label: `${label}.coef`,
    uniforms: new UniformWriter().u32(s.pairs).u32(s.n).u32(s.m).u32(s.center ? 1 : 0).f32(s.ridge).f32(s.proj).f32(s.moment).bytes(),
    buffers: [ws.w, ws.coef, b.perPair],
    workgroups: grid,
  });
  if (b.gx || b.gy) {
    if (!b.gx || !b.gy) throw new Error('encodeSubspaceLoss: give both gx and gy, or neither');
    rec.dispatch({
      shader: 'subspace_apply',
      label: `${label}.grad`,
      uniforms: new UniformWriter().u32(s.pairs).u32(s.n).u32(s.m).u32(s.d).f32(s.gradScale).u32(s.accumulate ? 1 : 0).bytes(),
      buffers: [ws.coef, b.x, b.y, b.gx, b.gy],
      workgroups: [Math.ceil(s.d / 64), Math.ceil(N / 8), s.pairs],
    });
  }
  if (b.value) {
    rec.dispatch({
      shader: 'subspace_reduce',
      label: `${label}.reduce`,
      uniforms: new UniformWriter().u32(s.pairs).f32(s.reduce).bytes(),
      buffers: [b.perPair, b.value],
      workgroups: [1],
    });
  }
}

export interface SubspaceLossResult {
  perPair: Float32Array;
  value: number;
  gx: Float32Array;
  gy: Float32Array;
}

/** One-shot convenience: uploads, runs and reads back the per-pair losses, the reduced value and the gradients. */
export async function subspaceLoss(ctx: GpuContext, x: Float32Array, y: Float32Array, shape: SubspaceLossShape, opts: SubspaceLossOptions = {}): Promise<SubspaceLossResult> {
  const s = resolved(shape, opts);
  checkLength('subspaceLoss', 'x', x, s.pairs * s.n * s.d);
  checkLength('subspaceLoss', 'y', y, s.pairs * s.m * s.d);
  const b = {
    x: ctx.upload('subspaceLoss.X', x),
    y: ctx.upload('subspaceLoss.Y', y),
    perPair: ctx.buffer('subspaceLoss.perPair', s.pairs * 4),
    value: ctx.buffer('subspaceLoss.value', 4),
    gx: ctx.buffer('subspaceLoss.gX', x.byteLength),
    gy: ctx.buffer('subspaceLoss.gY', y.byteLength),
  };
  const ws = subspaceLossWorkspace(ctx, shape);
  try {
    await ctx.run('subspace-loss', (rec) => encodeSubspaceLoss(rec, b, ws, shape, { ...opts, accumulate: false }));
    const [perPair, value, gx, gy] = await ctx.readMany([
      { buffer: b.perPair, count: s.pairs }, { buffer: b.value, count: 1 }, { buffer: b.gx, count: x.length }, { buffer: b.gy, count: y.length },
    ]);
    return { perPair: new Float32Array(perPair), value: new Float32Array(value)[0], gx: new Float32Array(gx), gy: new Float32Array(gy) };
  } finally {
    ws.release();
    ctx.release(...Object.values(b));
  }
}
