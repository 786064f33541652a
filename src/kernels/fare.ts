/**
 * FARE's training loss (Schlarmann et al., ICML 2024) on GPU buffers, so a FARE step reads nothing back: the mean
 * over samples of ‖e_i − t_i‖² (or ‖·‖₂), its gradient w.r.t. the embeddings e (the attack's ascent direction and
 * the training step's backward seed) and the per-sample losses. WGSL in shaders/fare.wgsl; the float64 reference
 * `fareLossRef` beside it (the host path of src/methods/fare.ts); check in fare.check.ts.
 */
import type { Recorder } from '../gpu/context';
import { UniformWriter } from '../gpu/uniforms';
import { itemGrid } from './normalize';
import { requirePositiveIntegers } from './shape';

export type FareLossKind = 'l2-squared' | 'l2';

export interface FareShape {
  batch: number;
  dim: number;
  kind: FareLossKind;
}

function checkShape(s: FareShape): void {
  requirePositiveIntegers('fareLoss', s, ['batch', 'dim']);
  if (s.kind !== 'l2-squared' && s.kind !== 'l2') throw new RangeError(`fareLoss: kind must be 'l2-squared' or 'l2', got ${String(s.kind)}`);
}

/** grad [batch, dim] = ∂(mean loss)/∂embeds; stats = [mean loss, loss_0 … loss_{batch−1}]. */
export function encodeFareLoss(rec: Recorder, b: { embeds: GPUBuffer; target: GPUBuffer; grad: GPUBuffer; stats: GPUBuffer }, s: FareShape, label = 'fareLoss'): void {
  checkShape(s);
  const uniforms = new UniformWriter().u32(s.batch).u32(s.dim).u32(s.kind === 'l2' ? 1 : 0).u32(0).bytes();
  rec.dispatch({ shader: 'fare', entryPoint: 'rows', label: `${label}.rows`, uniforms, buffers: [b.stats, b.embeds, b.target, b.grad], workgroups: itemGrid(s.batch) });
  rec.dispatch({ shader: 'fare', entryPoint: 'finish', label: `${label}.finish`, uniforms, buffers: [b.stats], workgroups: [1] });
}

/** CPU reference (float64): the mean loss, ∂(mean loss)/∂embeds and the per-sample losses. */
export function fareLossRef(embeds: ArrayLike<number>, target: ArrayLike<number>, n: number, d: number, kind: FareLossKind): { loss: number; grad: Float64Array; perSample: Float64Array } {
  const grad = new Float64Array(n * d), perSample = new Float64Array(n);
  let loss = 0;
  for (let i = 0; i < n; i++) {
    let ss = 0;
    for (let k = 0; k < d; k++) ss += (embeds[i * d + k] - target[i * d + k]) ** 2;
    const r = Math.sqrt(ss);
    perSample[i] = kind === 'l2' ? r : ss;
    loss += perSample[i] / n;
    // l2: ∂r = diff / r (0 at r = 0, the subgradient).
    const f = kind === 'l2' ? (r > 0 ? 1 / (r * n) : 0) : 2 / n;
    for (let k = 0; k < d; k++) grad[i * d + k] = f * (embeds[i * d + k] - target[i * d + k]);
  }
  return { loss, grad, perSample };
}
