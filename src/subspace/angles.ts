/**
 * Batched principal angles between span(X[p]) and span(Y[p]) for pairs of groups of row vectors (X [pairs, n, d],
 * Y [pairs, m, d], n, m ≤ 32) → angles [pairs, min(n, m)] ascending, NaN beyond count [pairs] = min(rank X, rank Y).
 * For display and metrics (not differentiated). Float64 reference: `principalAnglesRef` in ./reference.
 *
 * Five dispatches in one submission:
 *   1–2. CGS2 bases U of X and V of Y with the rank threshold (shaders/subspace_basis.wgsl);
 *   3.   Cuv = U·Vᵀ and the twice-projected residual B = (I − P_big)·S of the lower-rank basis
 *        (shaders/subspace_cross.wgsl);
 *   4.   B = L_B·Q by the same CGS2 kernel with no rank threshold (only L_B is used);
 *   5.   one-sided Jacobi singular values of Cuv (cosines) and L_B (sines), sorted and combined index by index:
 *        asin(sine) below π/4, acos(cosine) above (Knyazev–Argentati) (shaders/subspace_angles.wgsl).
 * Nothing squares a condition number: the fp32 error is ~ε₃₂·κ(X) (the spans of fp32 spanning sets are only that
 * well defined) plus ~1e-7 absolute from the residual's round-off — see tests/subspace-gpu.test.ts for measurements.
 */
import type { GpuContext, Recorder } from '../gpu/context';
import { UniformWriter } from '../gpu/uniforms';
import { encodeBasis } from './basis';
import { checkCount, checkLength, itemWorkgroups, SUBSPACE_MAX_ROWS } from './common';
import { DEFAULT_RANK_TOL } from './reference';

export interface AnglesShape {
  pairs: number;
  /** Vectors per X group, ≤ 32. */
  n: number;
  /** Vectors per Y group, ≤ 32 (default n). */
  m?: number;
  d: number;
  /** Rank threshold of the bases, relative to each group's largest vector norm (default 1e-5). */
  tol?: number;
  /** Jacobi sweeps at most (default 16; it stops earlier once no rotation happens). */
  sweeps?: number;
}

/** Relative off-diagonal threshold of the fp32 Jacobi rotations (~ a few ulp × √32). */
const JACOBI_TOL = 4e-7;

function resolved(s: AnglesShape) {
  const m = s.m ?? s.n;
  checkCount('principalAngles', 'pairs', s.pairs, 65535 * 65535);
  checkCount('principalAngles', 'n', s.n, SUBSPACE_MAX_ROWS, 1);
  checkCount('principalAngles', 'm', m, SUBSPACE_MAX_ROWS, 1);
  checkCount('principalAngles', 'd', s.d, Infinity, 1);
  const tol = s.tol ?? DEFAULT_RANK_TOL;
  const nb = Math.max(s.n, m);
  return { pairs: s.pairs, n: s.n, m, d: s.d, tol, nb, kOut: Math.min(s.n, m), rows: nb + (nb % 2), sweeps: s.sweeps ?? 16 };
}

/** Scratch buffers of the angle pipeline (reusable across calls with the same shape). */
export interface AnglesWorkspace {
  u: GPUBuffer; lx: GPUBuffer; rx: GPUBuffer;
  v: GPUBuffer; ly: GPUBuffer; ry: GPUBuffer;
  cuv: GPUBuffer; b: GPUBuffer; q: GPUBuffer; lb: GPUBuffer; rb: GPUBuffer;
  release(): void;
}

export function anglesWorkspace(ctx: GpuContext, shape: AnglesShape): AnglesWorkspace {
  const { pairs, n, m, d, nb } = resolved(shape);
  const f = (label: string, count: number) => ctx.buffer(`angles.${label}`, count * 4);
  const ws = {
    u: f('U', pairs * n * d), lx: f('LX', pairs * n * n), rx: f('rankX', pairs),
    v: f('V', pairs * m * d), ly: f('LY', pairs * m * m), ry: f('rankY', pairs),
    cuv: f('Cuv', pairs * n * m), b: f('B', pairs * nb * d), q: f('Q', pairs * nb * d), lb: f('LB', pairs * nb * nb), rb: f('rankB', pairs),
  };
  return { ...ws, release: () => ctx.release(...Object.values(ws)) };
}

/** Records the principal angles of x [pairs, n, d] and y [pairs, m, d] into angles (f32, [pairs, min(n, m)]) and count (u32, [pairs]). */
export function encodePrincipalAngles(
  rec: Recorder, x: GPUBuffer, y: GPUBuffer, angles: GPUBuffer, count: GPUBuffer, ws: AnglesWorkspace, shape: AnglesShape,
  label = 'principal-angles',
): void {
  const s = resolved(shape);
  encodeBasis(rec, x, ws.u, ws.lx, ws.rx, { groups: s.pairs, n: s.n, d: s.d, tol: s.tol }, `${label}.basisX`);
  encodeBasis(rec, y, ws.v, ws.ly, ws.ry, { groups: s.pairs, n: s.m, d: s.d, tol: s.tol }, `${label}.basisY`);
  const grid = itemWorkgroups(s.pairs);
  rec.dispatch({
    shader: 'subspace_cross',
    label: `${label}.cross`,
    uniforms: new UniformWriter().u32(s.pairs).u32(s.n).u32(s.m).u32(s.d).u32(s.nb).bytes(),
    buffers: [ws.u, ws.v, ws.rx, ws.ry, ws.cuv, ws.b],
    workgroups: grid,
  });
  encodeBasis(rec, ws.b, ws.q, ws.lb, ws.rb, { groups: s.pairs, n: s.nb, d: s.d, tol: 0 }, `${label}.basisB`);
  rec.dispatch({
    shader: 'subspace_angles',
    label: `${label}.jacobi`,
    uniforms: new UniformWriter().u32(s.pairs).u32(s.n).u32(s.m).u32(s.nb).u32(s.kOut).u32(s.rows).u32(s.sweeps).f32(JACOBI_TOL).bytes(),
    buffers: [ws.cuv, ws.lb, ws.rx, ws.ry, angles, count],
    workgroups: grid,
  });
}

export interface AnglesResult {
  /** [pairs, min(n, m)], ascending per pair, NaN beyond count. */
  angles: Float32Array;
  count: Uint32Array;
}

/** One-shot convenience: uploads, runs and reads back. */
export async function principalAngles(ctx: GpuContext, x: Float32Array, y: Float32Array, shape: AnglesShape): Promise<AnglesResult> {
  return (await principalAnglesMany(ctx, [{ x, y, shape }]))[0];
}

/** Several one-shots (each its own shape) in one submission and one readback. */
export async function principalAnglesMany(ctx: GpuContext, items: ReadonlyArray<{ x: Float32Array; y: Float32Array; shape: AnglesShape }>): Promise<AnglesResult[]> {
  const runs = items.map(({ x, y, shape }) => {
    const s = resolved(shape);
    checkLength('principalAngles', 'x', x, s.pairs * s.n * s.d);
    checkLength('principalAngles', 'y', y, s.pairs * s.m * s.d);
    return { s, shape, x, y };
  });
  const held: Array<{ gx: GPUBuffer; gy: GPUBuffer; ga: GPUBuffer; gc: GPUBuffer; ws: AnglesWorkspace }> = [];
  try {
    for (const r of runs) {
      held.push({
        gx: ctx.upload('angles.X', r.x), gy: ctx.upload('angles.Y', r.y),
        ga: ctx.buffer('angles.out', r.s.pairs * r.s.kOut * 4), gc: ctx.buffer('angles.count', r.s.pairs * 4), ws: anglesWorkspace(ctx, r.shape),
      });
    }
    await ctx.run('principal-angles', (rec) => held.forEach((h, i) => encodePrincipalAngles(rec, h.gx, h.gy, h.ga, h.gc, h.ws, runs[i].shape)));
    const read = await ctx.readMany(held.flatMap((h, i) => [{ buffer: h.ga, count: runs[i].s.pairs * runs[i].s.kOut }, { buffer: h.gc, count: runs[i].s.pairs }]));
    return runs.map((_, i) => ({ angles: new Float32Array(read[2 * i]), count: new Uint32Array(read[2 * i + 1]) }));
  } finally {
    for (const h of held) {
      h.ws.release();
      ctx.release(h.gx, h.gy, h.ga, h.gc);
    }
  }
}
