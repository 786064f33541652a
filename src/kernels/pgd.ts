/**
 * PGD attack steps and random starts on a batch of samples, each with its own budget ε and step size α. WGSL in
 * shaders/pgd.wgsl (with shaders/random.wgsl prepended). Steps ascend the gradient `g` (pass −g to descend).
 * Pixels use the [0, 1] box; embeddings (e.g. FARE-style attacks in embedding space) turn it off.
 */
import type { GpuContext, Recorder } from '../gpu/context';
import { UniformWriter } from '../gpu/uniforms';
import { randNormalRef, randUniformOpenRef, randUniformRef } from './random';

export type PgdNorm = 'linf' | 'l2';

export interface PgdShape {
  batch: number;
  /** Elements per sample, e.g. 3·224·224 for images or the embedding width. */
  n: number;
  norm: PgdNorm;
  /** Clamp to [0, 1] after the projection: on for pixels, off for embeddings. */
  box: boolean;
}

/** Selects the random draws of a start: same (seed, step) → same start, on the GPU and in `pgdRandomStartRef`. */
export interface PgdStartSeed {
  seed: number;
  /** E.g. the training step or restart index: each value draws an independent start. */
  step: number;
}

const WG = 256;

function pgdUniforms(shape: PgdShape, start: PgdStartSeed = { seed: 0, step: 0 }) {
  if (shape.batch * shape.n > 0xffffffff) throw new RangeError(`pgd: batch·n = ${shape.batch * shape.n} exceeds u32 indexing`);
  return new UniformWriter()
    .u32(shape.n).u32(shape.batch).u32(shape.box ? 1 : 0)
    .u32(start.seed >>> 0).u32(start.step >>> 0)
    .bytes();
}

/** Elementwise kernels grid-stride over batch·n; per-sample kernels take one workgroup per sample. */
function workgroups(shape: PgdShape): [number] {
  return shape.norm === 'linf' ? [Math.min(Math.ceil((shape.batch * shape.n) / WG), 65535)] : [shape.batch];
}

/** One PGD step in place on `x` ([batch, n]), projected onto the ε-ball around `x0` (and the box when on). */
export function encodePgdStep(
  rec: Recorder,
  x: GPUBuffer,
  x0: GPUBuffer,
  g: GPUBuffer,
  eps: GPUBuffer,
  alpha: GPUBuffer,
  shape: PgdShape,
  label = `pgd.${shape.norm}Step`,
): void {
  rec.dispatch({
    shader: 'pgd',
    label,
    entryPoint: shape.norm === 'linf' ? 'linfStep' : 'l2Step',
    uniforms: pgdUniforms(shape),
    buffers: [x, x0, eps, alpha, g],
    workgroups: workgroups(shape),
  });
}

/** Writes a random start x = x0 + δ into `x`: δ uniform in the L∞ or L2 ε-ball, then the box when on. */
export function encodePgdRandomStart(
  rec: Recorder,
  x: GPUBuffer,
  x0: GPUBuffer,
  eps: GPUBuffer,
  shape: PgdShape,
  start: PgdStartSeed,
  label = `pgd.${shape.norm}RandomStart`,
): void {
  rec.dispatch({
    shader: 'pgd',
    label,
    entryPoint: shape.norm === 'linf' ? 'linfRandomStart' : 'l2RandomStart',
    uniforms: pgdUniforms(shape, start),
    buffers: [x, x0, eps],
    workgroups: workgroups(shape),
  });
}

/** One-shot: uploads, runs `steps` PGD steps with the same gradient (default 1) and reads x back. */
export async function pgdStep(
  ctx: GpuContext,
  x: Float32Array,
  x0: Float32Array,
  g: Float32Array,
  eps: Float32Array,
  alpha: Float32Array,
  shape: PgdShape,
  steps = 1,
): Promise<Float32Array> {
  const gx = ctx.upload('pgd.x', x), gx0 = ctx.upload('pgd.x0', x0), gg = ctx.upload('pgd.g', g);
  const ge = ctx.upload('pgd.eps', eps), ga = ctx.upload('pgd.alpha', alpha);
  try {
    await ctx.run('pgdStep', (rec) => {
      for (let s = 0; s < steps; s++) encodePgdStep(rec, gx, gx0, gg, ge, ga, shape, `pgd.${shape.norm}Step[${s}]`);
    });
    return await ctx.readF32(gx, shape.batch * shape.n);
  } finally {
    ctx.release(gx, gx0, gg, ge, ga);
  }
}

/** One-shot random start: returns x0 + δ. */
export async function pgdRandomStart(
  ctx: GpuContext,
  x0: Float32Array,
  eps: Float32Array,
  shape: PgdShape,
  start: PgdStartSeed,
): Promise<Float32Array> {
  const len = shape.batch * shape.n;
  const gx = ctx.buffer('pgd.x', len * 4), gx0 = ctx.upload('pgd.x0', x0), ge = ctx.upload('pgd.eps', eps);
  try {
    await ctx.run('pgdRandomStart', (rec) => encodePgdRandomStart(rec, gx, gx0, ge, shape, start));
    return await ctx.readF32(gx, len);
  } finally {
    ctx.release(gx, gx0, ge);
  }
}

const clamp01 = (v: number) => Math.min(1, Math.max(0, v));

/** CPU reference of `steps` PGD steps with a fixed gradient (float64). */
export function pgdStepRef(
  x: ArrayLike<number>,
  x0: ArrayLike<number>,
  g: ArrayLike<number>,
  eps: ArrayLike<number>,
  alpha: ArrayLike<number>,
  shape: PgdShape,
  steps = 1,
): Float64Array {
  const { batch, n, box } = shape;
  const out = Float64Array.from(x);
  for (let s = 0; s < steps; s++) {
    for (let b = 0; b < batch; b++) {
      const o = b * n, e = eps[b], a = alpha[b];
      if (shape.norm === 'linf') {
        for (let j = o; j < o + n; j++) {
          const v = Math.min(x0[j] + e, Math.max(x0[j] - e, out[j] + a * Math.sign(g[j])));
          out[j] = box ? clamp01(v) : v;
        }
        continue;
      }
      let gg = 0;
      for (let j = o; j < o + n; j++) gg += g[j] * g[j];
      const gNorm = Math.sqrt(gg);
      const stepScale = gNorm > 0 ? a / gNorm : 0;
      let dd = 0;
      for (let j = o; j < o + n; j++) {
        out[j] += stepScale * g[j];
        dd += (out[j] - x0[j]) ** 2;
      }
      const dNorm = Math.sqrt(dd);
      const shrink = dNorm > e ? e / dNorm : 1;
      for (let j = o; j < o + n; j++) {
        const v = x0[j] + shrink * (out[j] - x0[j]);
        out[j] = box ? clamp01(v) : v;
      }
    }
  }
  return out;
}

/** CPU reference of the random start: the same draws as the GPU (see shaders/pgd.wgsl for the streams). */
export function pgdRandomStartRef(x0: ArrayLike<number>, eps: ArrayLike<number>, shape: PgdShape, start: PgdStartSeed): Float64Array {
  const { batch, n, box } = shape;
  const seed = start.seed >>> 0, stream = (2 * start.step) >>> 0;
  const out = new Float64Array(batch * n);
  for (let b = 0; b < batch; b++) {
    const o = b * n;
    if (shape.norm === 'linf') {
      for (let j = o; j < o + n; j++) {
        const v = x0[j] + eps[b] * (2 * randUniformRef(seed, stream, j) - 1);
        out[j] = box ? clamp01(v) : v;
      }
      continue;
    }
    const z = new Float64Array(n);
    let zz = 0;
    for (let j = 0; j < n; j++) {
      z[j] = randNormalRef(seed, stream, o + j);
      zz += z[j] * z[j];
    }
    const zNorm = Math.sqrt(zz);
    const radius = eps[b] * randUniformOpenRef(seed, (stream + 1) >>> 0, b) ** (1 / n);
    const scale = zNorm > 0 ? radius / zNorm : 0;
    for (let j = 0; j < n; j++) {
      const v = x0[o + j] + scale * z[j];
      out[o + j] = box ? clamp01(v) : v;
    }
  }
  return out;
}
