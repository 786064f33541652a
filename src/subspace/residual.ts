/**
 * The directional residual distance on the GPU: for pairs of a moving group X_p [n, d] and a fixed target group
 * Y_target(p) [m, d] (n, m ≤ 32),
 *
 *   d(X → Y) = (1/n)·tr(P_X (I − P_Y)),   P_Z = Zᵀ(Z·Zᵀ + ρI)⁻¹Z,   value = mean_p d,   and ∂value/∂X (no ∂/∂Y),
 *
 * "how much of span(X) lies outside span(Y)", in [0, 1]. Why this distance (AoS's default; src/methods/README.md):
 * - directional: the target (the clean group, the class's text group) gets no gradient, so "adversarial → clean"
 *   pulls only the adversarial side, and the λ₂ term cannot pay the text tower to shed prompt diversity;
 * - one-sided: extra dimensions of the target (24 prompts vs 5 views) cost nothing, so the larger group gains nothing
 *   by collapsing onto the smaller one (the symmetric ½‖P_X − P_Y‖² bottoms out at (m − n)/2 and rewards it);
 * - bounded gradient: ‖∂d/∂X‖₂ ≤ 1/(n·√ρ) for any conditioning of X (./residualReference);
 * - no cancellation in fp32: value and gradient come from residual vectors (shaders/subspace_residual.wgsl), not from
 *   differences of traces.
 * Targets are given once and shared by index (`targetOf`): the λ₂ term's B image groups share C class text groups.
 *
 * Three dispatches in one submission: target bases (subspace_residual_basis.wgsl) → per-pair values and gradients
 * (subspace_residual.wgsl) → reduced value (subspace_reduce.wgsl).
 */
import type { GpuContext, Recorder } from '../gpu/context';
import { UniformWriter } from '../gpu/uniforms';
import { checkCount, checkLength, itemWorkgroups, SUBSPACE_MAX_ROWS } from './common';
import type { ResidualShape } from './residualReference';

export type { ResidualShape } from './residualReference';

function resolved(s: ResidualShape, ridge: number) {
  const targets = s.targets ?? s.pairs;
  checkCount('residualDistance', 'pairs', s.pairs, 65535 * 65535, 1);
  checkCount('residualDistance', 'targets', targets, 65535 * 65535, 1);
  checkCount('residualDistance', 'n', s.n, SUBSPACE_MAX_ROWS, 1);
  checkCount('residualDistance', 'm', s.m, SUBSPACE_MAX_ROWS, 1);
  checkCount('residualDistance', 'd', s.d, 1 << 20, 1);
  if (!(ridge > 0 && Number.isFinite(ridge))) throw new RangeError(`residualDistance: ridge must be a finite number > 0, got ${ridge}`);
  return { pairs: s.pairs, targets, n: s.n, m: s.m, d: s.d, ridge };
}

/** Scratch of the distance: the targets' augmented bases and each pair's residual vectors. */
export interface ResidualWorkspace {
  qy: GPUBuffer;
  work: GPUBuffer;
  release(): void;
}

export function residualWorkspace(ctx: GpuContext, shape: ResidualShape): ResidualWorkspace {
  const s = resolved(shape, 1);
  const L = s.d + s.m, LX = s.d + s.n;
  const qy = ctx.buffer('residualDistance.QY', s.targets * s.m * L * 4);
  const work = ctx.buffer('residualDistance.work', s.pairs * (2 * s.n * L + 2 * s.n * LX) * 4);
  return { qy, work, release: () => ctx.release(qy, work) };
}

export interface ResidualBuffers {
  /** Moving groups [pairs, n, d] f32. */
  x: GPUBuffer;
  /** Target groups [targets, m, d] f32. */
  y: GPUBuffer;
  /** Target of each pair [pairs] u32. */
  targetOf: GPUBuffer;
  /** Per-pair distances [pairs] f32. */
  perPair: GPUBuffer;
  /** The mean over pairs, [1] f32 (optional). */
  value?: GPUBuffer;
  /** ∂(mean · gradScale)/∂X [pairs, n, d] f32. */
  gx: GPUBuffer;
}

export interface ResidualOptions {
  ridge: number;
  /** Multiplies the gradient of the mean (a loss weight; default 1). */
  gradScale?: number;
  /** Add into gx instead of overwriting it (default false). */
  accumulate?: boolean;
}

/** Records the distance of every pair, its mean and the gradient w.r.t. the moving groups. */
export function encodeResidualDistance(rec: Recorder, b: ResidualBuffers, ws: ResidualWorkspace, shape: ResidualShape, o: ResidualOptions, label = 'residual-distance'): void {
  const s = resolved(shape, o.ridge);
  rec.dispatch({
    shader: 'subspace_residual_basis',
    label: `${label}.targets`,
    uniforms: new UniformWriter().u32(s.targets).u32(s.m).u32(s.d).f32(s.ridge).bytes(),
    buffers: [b.y, ws.qy],
    workgroups: itemWorkgroups(s.targets),
  });
  rec.dispatch({
    shader: 'subspace_residual',
    label: `${label}.pairs`,
    uniforms: new UniformWriter().u32(s.pairs).u32(s.n).u32(s.m).u32(s.d).f32(s.ridge).f32((o.gradScale ?? 1) / s.pairs).u32(o.accumulate ? 1 : 0).bytes(),
    buffers: [b.x, ws.qy, b.targetOf, ws.work, b.gx, b.perPair],
    workgroups: itemWorkgroups(s.pairs),
  });
  if (b.value) {
    rec.dispatch({
      shader: 'subspace_reduce',
      label: `${label}.mean`,
      uniforms: new UniformWriter().u32(s.pairs).f32(1 / s.pairs).bytes(),
      buffers: [b.perPair, b.value],
      workgroups: [1],
    });
  }
}

export interface ResidualResult {
  value: number;
  perPair: Float32Array;
  gx: Float32Array;
}

/** One-shot: uploads, runs and reads back the mean distance, the per-pair distances and ∂mean/∂X. */
export async function residualDistance(
  ctx: GpuContext, x: Float32Array, y: Float32Array, shape: ResidualShape, o: ResidualOptions, targetOf?: ArrayLike<number>,
): Promise<ResidualResult> {
  const s = resolved(shape, o.ridge);
  checkLength('residualDistance', 'x', x, s.pairs * s.n * s.d);
  checkLength('residualDistance', 'y', y, s.targets * s.m * s.d);
  const idx = Uint32Array.from(targetOf ?? Array.from({ length: s.pairs }, (_, p) => p));
  checkLength('residualDistance', 'targetOf', idx, s.pairs);
  for (const t of idx) if (t >= s.targets) throw new RangeError(`residualDistance: targetOf names group ${t}, there are ${s.targets}`);
  const b = {
    x: ctx.upload('residualDistance.X', x),
    y: ctx.upload('residualDistance.Y', y),
    targetOf: ctx.upload('residualDistance.targetOf', idx),
    perPair: ctx.buffer('residualDistance.perPair', s.pairs * 4),
    value: ctx.buffer('residualDistance.value', 4),
    gx: ctx.buffer('residualDistance.gX', x.byteLength),
  };
  const ws = residualWorkspace(ctx, shape);
  try {
    await ctx.run('residual-distance', (rec) => encodeResidualDistance(rec, b, ws, shape, { ...o, accumulate: false }));
    const [value, perPair, gx] = await ctx.readMany([{ buffer: b.value, count: 1 }, { buffer: b.perPair, count: s.pairs }, { buffer: b.gx, count: x.length }]);
    return { value: new Float32Array(value)[0], perPair: new Float32Array(perPair), gx: new Float32Array(gx) };
  } finally {
    ws.release();
    ctx.release(...Object.values(b));
  }
}
