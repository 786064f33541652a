/**
 * PMG-AFT's KL terms on GPU buffers (WGSL in shaders/kl.wgsl): per row, KL(softmax(zP) ‖ softmax(zQ)) and its
 * gradients w.r.t. both logit matrices, scaled by the term's weight; the mean over rows in `stats[0]`. The float64
 * reference `klDivergenceRef` (the host path of src/methods/pmgAft.ts) beside it; check in kl.check.ts.
 */
import type { Recorder } from '../gpu/context';
import { UniformWriter } from '../gpu/uniforms';
import { softmaxRows } from '../util/softmax';
import { itemGrid } from './normalize';
import { requirePositiveIntegers } from './shape';

const WG = 64;

export interface KlShape {
  batch: number;
  classes: number;
  /** Scales both gradients: they are ∂(weight · mean_i KL_i)/∂logits. */
  weight: number;
}

function checkShape(s: KlShape): void {
  requirePositiveIntegers('kl', s, ['batch', 'classes']);
  if (!Number.isFinite(s.weight)) throw new RangeError(`kl: weight must be finite, got ${s.weight}`);
}

/** dP, dQ [batch, classes] = weight · ∂(mean KL)/∂zP, ∂zQ; stats = [mean KL, KL_0 … KL_{batch−1}]. */
export function encodeKl(rec: Recorder, b: { zP: GPUBuffer; zQ: GPUBuffer; dP: GPUBuffer; dQ: GPUBuffer; stats: GPUBuffer }, s: KlShape, label = 'kl'): void {
  checkShape(s);
  const uniforms = new UniformWriter().u32(s.batch).u32(s.classes).f32(s.weight / s.batch).u32(0).bytes();
  rec.dispatch({ shader: 'kl', entryPoint: 'rows', label: `${label}.rows`, uniforms, buffers: [b.stats, b.zP, b.zQ, b.dP, b.dQ], workgroups: itemGrid(Math.ceil(s.batch / WG)) });
  rec.dispatch({ shader: 'kl', entryPoint: 'finish', label: `${label}.finish`, uniforms, buffers: [b.stats], workgroups: [1] });
}

/**
 * Mean over rows of KL(softmax(target_i) ‖ softmax(z_i)) — torch's KLDivLoss(log_softmax(z), softmax(target)) with
 * batch-mean reduction — and its gradients w.r.t. z and the target logits.
 */
export function klDivergenceRef(target: ArrayLike<number>, z: ArrayLike<number>, n: number, C: number): { loss: number; dz: Float64Array; dTarget: Float64Array } {
  const t = softmaxRows(target, n, C), q = softmaxRows(z, n, C);
  const dz = new Float64Array(n * C), dTarget = new Float64Array(n * C);
  let loss = 0;
  for (let i = 0; i < n; i++) {
    let kl = 0;
    for (let c = 0; c < C; c++) kl += t.p[i * C + c] * (t.logp[i * C + c] - q.logp[i * C + c]);
    loss += kl / n;
    for (let c = 0; c < C; c++) {
      const j = i * C + c;
      dz[j] = (q.p[j] - t.p[j]) / n;
      // ∂KL/∂target_c = p_c (r_c − Σ_j p_j r_j), r = log p − log q, Σ p r = KL.
      dTarget[j] = (t.p[j] * (t.logp[j] - q.logp[j] - kl)) / n;
    }
  }
  return { loss, dz, dTarget };
}
