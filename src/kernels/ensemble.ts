/**
 * The prompt ensemble of zero-shot CLIP on the GPU: prompts [classes · perClass, d] (class-major) → class embedding
 * c = normalise(mean_g normalise(prompt_{c,g})), and its backward ∂/∂prompts from ∂/∂class embeddings — so a trained
 * text tower's class embeddings never leave the GPU between its forward, the losses and its backward. The
 * normalisations are normalize.wgsl's; the group mean and its adjoint are shaders/ensemble.wgsl. The float64 CPU
 * reference (`ensemble`, `ensembleBackward`) is beside them; the check in ensemble.check.ts compares the two.
 */
import type { GpuContext, Recorder } from '../gpu/context';
import { UniformWriter } from '../gpu/uniforms';
import { normalizeRows, normalizeRowsBackward } from '../util/cosine';
import { encodeNormalize, encodeNormalizeBackward, itemGrid } from './normalize';
import { requirePositiveIntegers } from './shape';

export interface EnsembleShape {
  classes: number;
  perClass: number;
  d: number;
}

/** The CPU reference's result (float64), with what its backward needs. */
export interface Ensemble {
  /** [classes, d] unit class embeddings. */
  classEmb: Float64Array;
  classes: number;
  perClass: number;
  d: number;
  /** Normalised prompt rows and their norms; normalised means' norms. */
  unit: Float64Array;
  norms: Float64Array;
  meanNorms: Float64Array;
}

/** CPU reference: the prompt ensemble in float64 (as `ensembleClassEmbeddings` in src/train/zeroshot.ts). */
export function ensemble(prompts: ArrayLike<number>, classes: number, perClass: number, d: number): Ensemble {
  const { y: unit, norms } = normalizeRows(prompts, classes * perClass, d);
  const mean = new Float64Array(classes * d);
  for (let c = 0; c < classes; c++) {
    for (let g = 0; g < perClass; g++) for (let k = 0; k < d; k++) mean[c * d + k] += unit[(c * perClass + g) * d + k] / perClass;
  }
  const { y: classEmb, norms: meanNorms } = normalizeRows(mean, classes, d);
  return { classEmb, classes, perClass, d, unit, norms, meanNorms };
}

/** CPU reference: ∂/∂prompts from ∂/∂classEmb. */
export function ensembleBackward(e: Ensemble, gClass: ArrayLike<number>): Float64Array {
  const { classes: C, perClass: G, d } = e;
  const gMean = normalizeRowsBackward(e.classEmb, e.meanNorms, gClass, C, d);
  const gUnit = new Float64Array(C * G * d);
  for (let c = 0; c < C; c++) for (let g = 0; g < G; g++) for (let k = 0; k < d; k++) gUnit[(c * G + g) * d + k] = gMean[c * d + k] / G;
  return normalizeRowsBackward(e.unit, e.norms, gUnit, C * G, d);
}

/** GPU buffers of one ensemble: the forward's outputs (`unit`, `classEmb`) and what its backward reads and writes. */
export interface EnsembleBuffers {
  /** [classes · perClass, d] unit prompt rows (AoS's text groups) and their norms. */
  unit: GPUBuffer;
  norms: GPUBuffer;
  /** [classes, d] group means, their norms, and the unit class embeddings. */
  mean: GPUBuffer;
  meanNorms: GPUBuffer;
  classEmb: GPUBuffer;
  /** Backward scratch: ∂/∂means and ∂/∂unit rows. */
  gMean: GPUBuffer;
  gUnit: GPUBuffer;
}

function checkShape(s: EnsembleShape): void {
  requirePositiveIntegers('ensemble', s, ['classes', 'perClass', 'd']);
}

export function createEnsembleBuffers(ctx: GpuContext, s: EnsembleShape, label = 'ensemble'): EnsembleBuffers {
  checkShape(s);
  const rows = s.classes * s.perClass, b = (name: string, floats: number) => ctx.buffer(`${label}.${name}`, floats * 4);
  return {
    unit: b('unit', rows * s.d), norms: b('norms', rows), mean: b('mean', s.classes * s.d), meanNorms: b('meanNorms', s.classes),
    classEmb: b('classEmb', s.classes * s.d), gMean: b('gMean', s.classes * s.d), gUnit: b('gUnit', rows * s.d),
  };
}

export function releaseEnsembleBuffers(ctx: GpuContext, b: EnsembleBuffers): void {
  ctx.release(b.unit, b.norms, b.mean, b.meanNorms, b.classEmb, b.gMean, b.gUnit);
}

function groupUniforms(s: EnsembleShape): Uint8Array<ArrayBuffer> {
  return new UniformWriter().u32(s.classes).u32(s.perClass).u32(s.d).u32(0).bytes();
}

/** prompts [classes · perClass, d] → `b.unit` (normalised rows) and `b.classEmb` (normalised group means). */
export function encodeEnsemble(rec: Recorder, prompts: GPUBuffer, b: EnsembleBuffers, s: EnsembleShape, label = 'ensemble'): void {
  checkShape(s);
  const rows = s.classes * s.perClass;
  encodeNormalize(rec, prompts, b.unit, b.norms, { rows, d: s.d }, `${label}.normalizePrompts`);
  rec.dispatch({ shader: 'ensemble', entryPoint: 'groupMean', label: `${label}.groupMean`, uniforms: groupUniforms(s), buffers: [b.unit, b.mean], workgroups: itemGrid(Math.ceil((s.classes * s.d) / 256)) });
  encodeNormalize(rec, b.mean, b.classEmb, b.meanNorms, { rows: s.classes, d: s.d }, `${label}.normalizeMeans`);
}

/** ∂/∂prompts [classes · perClass, d] into `gPrompts` from ∂/∂classEmb [classes, d] (after `encodeEnsemble` on `b`). */
export function encodeEnsembleBackward(rec: Recorder, b: EnsembleBuffers, gClassEmb: GPUBuffer, gPrompts: GPUBuffer, s: EnsembleShape, label = 'ensemble.backward'): void {
  checkShape(s);
  const rows = s.classes * s.perClass;
  encodeNormalizeBackward(rec, b.classEmb, b.meanNorms, gClassEmb, b.gMean, { rows: s.classes, d: s.d }, `${label}.means`);
  rec.dispatch({ shader: 'ensemble', entryPoint: 'groupSpread', label: `${label}.groupSpread`, uniforms: groupUniforms(s), buffers: [b.gMean, b.gUnit], workgroups: itemGrid(Math.ceil((rows * s.d) / 256)) });
  encodeNormalizeBackward(rec, b.unit, b.norms, b.gUnit, gPrompts, { rows, d: s.d }, `${label}.prompts`);
}

/** One-shot (checks, tests): the ensemble of `prompts` and, with `gClassEmb`, ∂/∂prompts — read back. */
export async function ensembleOnGpu(ctx: GpuContext, prompts: Float32Array, s: EnsembleShape, gClassEmb?: Float32Array): Promise<{ unit: Float32Array; classEmb: Float32Array; gPrompts?: Float32Array }> {
  checkShape(s);
  const rows = s.classes * s.perClass;
  if (prompts.length !== rows * s.d) throw new RangeError(`ensemble: ${prompts.length} prompt values for [${rows}, ${s.d}]`);
  if (gClassEmb && gClassEmb.length !== s.classes * s.d) throw new RangeError(`ensemble: ${gClassEmb.length} gradient values for [${s.classes}, ${s.d}]`);
  const b = createEnsembleBuffers(ctx, s, 'ensemble.oneShot');
  const p = ctx.upload('ensemble.oneShot.prompts', prompts);
  const g = gClassEmb ? ctx.upload('ensemble.oneShot.gClassEmb', gClassEmb) : undefined;
  const gp = gClassEmb ? ctx.buffer('ensemble.oneShot.gPrompts', rows * s.d * 4) : undefined;
  try {
    await ctx.run('ensemble.oneShot', (rec) => {
      encodeEnsemble(rec, p, b, s);
      if (g && gp) encodeEnsembleBackward(rec, b, g, gp, s);
    });
    const parts = await ctx.readMany([{ buffer: b.unit, count: rows * s.d }, { buffer: b.classEmb, count: s.classes * s.d }, ...(gp ? [{ buffer: gp, count: rows * s.d }] : [])]);
    return { unit: new Float32Array(parts[0]), classEmb: new Float32Array(parts[1]), gPrompts: gp ? new Float32Array(parts[2]) : undefined };
  } finally {
    releaseEnsembleBuffers(ctx, b);
    ctx.release(p, ...(g ? [g] : []), ...(gp ? [gp] : []));
  }
}
