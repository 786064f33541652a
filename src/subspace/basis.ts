/**
 * Batched orthonormal bases (CGS2 with a numerical-rank threshold) of groups of row vectors: X [groups, n, d] →
 * U [groups, n, d] (orthonormal rows 0…rank-1, zero rows after), L [groups, n, n] (x_j = Σ_i L[j][i]·u_i) and
 * rank [groups]. WGSL in shaders/subspace_basis.wgsl; float64 reference `basisRef` in ./reference.
 *
 * Classical Gram–Schmidt run twice keeps ‖UUᵀ − I‖ at fp32 round-off for condition numbers up to ~1e4 (and
 * beyond); the span of an fp32 spanning set is itself only defined to ~ε₃₂·κ, which bounds what any fp32 method can
 * reach. A residual ≤ tol·max_j‖x_j‖ adds no direction.
 */
import type { GpuContext, Recorder } from '../gpu/context';
import { UniformWriter } from '../gpu/uniforms';
import { checkCount, checkLength, itemWorkgroups, SUBSPACE_MAX_ROWS } from './common';
import { DEFAULT_RANK_TOL } from './reference';

export interface BasisShape {
  groups: number;
  /** Vectors per group, ≤ 32. */
  n: number;
  d: number;
  /** Rank threshold relative to the group's largest vector norm (default DEFAULT_RANK_TOL = 1e-5). */
  tol?: number;
}

function resolved(s: BasisShape) {
  checkCount('basis', 'groups', s.groups, 65535 * 65535);
  checkCount('basis', 'n', s.n, SUBSPACE_MAX_ROWS);
  checkCount('basis', 'd', s.d);
  const tol = s.tol ?? DEFAULT_RANK_TOL;
  if (!(tol >= 0)) throw new RangeError(`basis: tol must be >= 0, got ${tol}`);
  return { ...s, tol };
}

/** Records the basis of x into u (groups·n·d f32), l (groups·n·n f32) and rank (groups u32). */
export function encodeBasis(rec: Recorder, x: GPUBuffer, u: GPUBuffer, l: GPUBuffer, rank: GPUBuffer, shape: BasisShape, label = 'subspace-basis'): void {
  const s = resolved(shape);
  rec.dispatch({
    shader: 'subspace_basis',
    label,
    uniforms: new UniformWriter().u32(s.groups).u32(s.n).u32(s.d).f32(s.tol).bytes(),
    buffers: [x, u, l, rank],
    workgroups: itemWorkgroups(s.n > 0 ? s.groups : 0),
  });
}

export interface BasisResult {
  u: Float32Array;
  l: Float32Array;
  rank: Uint32Array;
}

/** One-shot convenience: uploads, runs and reads back. */
export async function basis(ctx: GpuContext, x: Float32Array, shape: BasisShape): Promise<BasisResult> {
  const s = resolved(shape);
  checkLength('basis', 'x', x, s.groups * s.n * s.d);
  const gx = ctx.upload('basis.X', x);
  const gu = ctx.buffer('basis.U', x.byteLength);
  const gl = ctx.buffer('basis.L', s.groups * s.n * s.n * 4);
  const gr = ctx.buffer('basis.rank', s.groups * 4);
  try {
    await ctx.run('subspace-basis', (rec) => encodeBasis(rec, gx, gu, gl, gr, s));
    return {
      u: await ctx.readF32(gu, s.groups * s.n * s.d),
      l: await ctx.readF32(gl, s.groups * s.n * s.n),
      rank: await ctx.readU32(gr, s.groups),
    };
  } finally {
    ctx.release(gx, gu, gl, gr);
  }
}
