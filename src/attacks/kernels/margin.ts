/** Host side of the attack kernels: margin / DLR (see ../kernels.ts). */
import type { GpuContext, Recorder } from '../../gpu/context';
import { UniformWriter } from '../../gpu/uniforms';

export type MarginLoss = 'margin' | 'dlr';

export interface MarginShape {
  batch: number;
  classes: number;
  loss: MarginLoss;
  targeted: boolean;
  /** Cap of the C&W margin (the objective is min(margin, kappa)); default Infinity (no cap). Unused by DLR. */
  kappa?: number;
}

/** Largest finite f32: stands for "no cap" in the uniform. */
const F32_MAX = 3.4028234663852886e38;

export function checkMarginShape(s: MarginShape): void {
  if (!Number.isInteger(s.batch) || s.batch < 1 || !Number.isInteger(s.classes) || s.classes < 2) {
    throw new RangeError(`attack objective: batch ≥ 1 and classes ≥ 2 required, got ${s.batch}, ${s.classes}`);
  }
  if (s.loss === 'dlr' && s.classes < (s.targeted ? 4 : 3)) {
    throw new RangeError(`attack objective: ${s.targeted ? 'targeted ' : ''}DLR needs at least ${s.targeted ? 4 : 3} classes, got ${s.classes}`);
  }
  if (s.loss !== 'margin' && s.loss !== 'dlr') throw new RangeError(`attack objective: unknown loss '${String(s.loss)}'`);
}

/**
 * Per-row objective [batch] and its gradient w.r.t. the logits [batch, classes] (per sample, not averaged).
 * `targets` is read only by targeted objectives (any u32 buffer of `batch` entries otherwise).
 */
export function encodeMarginObjective(
  rec: Recorder, logits: GPUBuffer, labels: GPUBuffer, targets: GPUBuffer | undefined, objective: GPUBuffer, dLogits: GPUBuffer,
  shape: MarginShape, label = `attack.${shape.loss}`,
): void {
  checkMarginShape(shape);
  const kappa = shape.kappa ?? Infinity;
  if (!(kappa > 0 || kappa <= 0)) throw new RangeError('attack objective: kappa must be a number');
  const uniforms = new UniformWriter().u32(shape.batch).u32(shape.classes).u32(shape.targeted ? 1 : 0)
    .f32(Math.min(kappa, F32_MAX)).bytes();
  rec.dispatch({
    shader: 'attack_margin',
    entryPoint: 'rowObjective',
    label,
    constants: { LOSS: shape.loss === 'margin' ? 0 : 1 },
    uniforms,
    buffers: [logits, labels, shape.targeted ? targets ?? labels : labels, objective, dLogits],
    workgroups: [Math.ceil(shape.batch / 64)],
  });
}

/** One-shot: uploads, runs, reads back. */
export async function marginObjective(
  ctx: GpuContext, logits: Float32Array, labels: Uint32Array, targets: Uint32Array | undefined, shape: MarginShape,
): Promise<{ objective: Float32Array; dLogits: Float32Array }> {
  const { batch: B, classes: C } = shape;
  const gl = ctx.upload('margin.logits', logits), gy = ctx.upload('margin.labels', labels);
  const gt = targets ? ctx.upload('margin.targets', targets) : undefined;
  const go = ctx.buffer('margin.objective', B * 4), gd = ctx.buffer('margin.dLogits', B * C * 4);
  try {
    await ctx.run('margin', (rec) => encodeMarginObjective(rec, gl, gy, gt, go, gd, shape));
    return { objective: await ctx.readF32(go, B), dLogits: await ctx.readF32(gd, B * C) };
  } finally {
    ctx.release(gl, gy, gt, go, gd);
  }
}

/** Class order of one row: by value descending, ties to the lower index. */
function sortedClasses(z: ArrayLike<number>, o: number, C: number): number[] {
  return Array.from({ length: C }, (_, c) => c).sort((a, b) => z[o + b] - z[o + a] || a - b);
}

function argmaxExcept(z: ArrayLike<number>, o: number, C: number, skip: number): number {
  let best = -1;
  for (let c = 0; c < C; c++) if (c !== skip && (best < 0 || z[o + c] > z[o + best])) best = c;
  return best;
}

/** CPU reference (float64) of `encodeMarginObjective`. */
export function marginObjectiveRef(
  logits: ArrayLike<number>, labels: ArrayLike<number>, targets: ArrayLike<number> | undefined, shape: MarginShape,
): { objective: Float64Array; dLogits: Float64Array } {
  checkMarginShape(shape);
  const { batch: B, classes: C } = shape;
  const kappa = Math.min(shape.kappa ?? Infinity, F32_MAX);
  const objective = new Float64Array(B), dLogits = new Float64Array(B * C);
  for (let b = 0; b < B; b++) {
    const o = b * C, y = labels[b], t = targets ? targets[b] : y;
    if (shape.loss === 'margin') {
      const [hi, lo] = shape.targeted ? [t, argmaxExcept(logits, o, C, t)] : [argmaxExcept(logits, o, C, y), y];
      const m = logits[o + hi] - logits[o + lo];
      objective[b] = Math.min(m, kappa);
      if (m < kappa) {
        dLogits[o + hi] += 1;
        dLogits[o + lo] -= 1;
      }
      continue;
    }
    const pi = sortedClasses(logits, o, C);
    const other = shape.targeted ? t : argmaxExcept(logits, o, C, y);
    const den = shape.targeted
      ? logits[o + pi[0]] - 0.5 * (logits[o + pi[2]] + logits[o + pi[3]]) + 1e-12
      : logits[o + pi[0]] - logits[o + pi[2]] + 1e-12;
    const num = logits[o + y] - logits[o + other];
    objective[b] = -num / den;
    const a = 1 / den, q = num / (den * den);
    dLogits[o + y] -= a;
    dLogits[o + other] += a;
    dLogits[o + pi[0]] += q;
    if (shape.targeted) {
      dLogits[o + pi[2]] -= 0.5 * q;
      dLogits[o + pi[3]] -= 0.5 * q;
    } else dLogits[o + pi[2]] -= q;
  }
  return { objective, dLogits };
}
