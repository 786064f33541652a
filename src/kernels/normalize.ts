/** Row-wise L2 normalisation y = x / max(‖x‖, eps) and its gradient. WGSL in shaders/normalize.wgsl. */
import type { GpuContext, Recorder } from '../gpu/context';
import { UniformWriter } from '../gpu/uniforms';

export interface NormalizeShape {
  rows: number;
  d: number;
  /** Lower clamp of the norm (default 1e-12, as torch.nn.functional.normalize). */
  eps?: number;
}

export const DEFAULT_NORMALIZE_EPS = 1e-12;

/** The per-dimension workgroup limit every WebGPU device guarantees. */
const MAX_WORKGROUPS_PER_DIM = 65535;

/**
 * Workgroup grid for one workgroup per item: items beyond 65535 spill into y. Kernels recover the item as
 * `workgroup_id.x + workgroup_id.y * num_workgroups.x` and return when it is past the count.
 */
export function itemGrid(count: number): [number, number] {
  if (count <= MAX_WORKGROUPS_PER_DIM) return [count, 1];
  const y = Math.ceil(count / MAX_WORKGROUPS_PER_DIM);
  return [Math.ceil(count / y), y];
}

function params(s: NormalizeShape): Uint8Array<ArrayBuffer> {
  if (!Number.isInteger(s.rows) || !Number.isInteger(s.d) || s.rows < 0 || s.d < 0) {
    throw new RangeError(`normalize: bad shape rows=${s.rows} d=${s.d}`);
  }
  const eps = s.eps ?? DEFAULT_NORMALIZE_EPS;
  if (!(eps > 0)) throw new RangeError(`normalize: eps must be > 0, got ${eps}`);
  return new UniformWriter().u32(s.rows).u32(s.d).f32(eps).bytes();
}

/** y[r] = x[r] / max(‖x[r]‖, eps); norms[r] = ‖x[r]‖ (unclamped: the backward needs to know which branch). */
export function encodeNormalize(
  rec: Recorder, x: GPUBuffer, y: GPUBuffer, norms: GPUBuffer, shape: NormalizeShape, label = 'normalize',
): void {
  rec.dispatch({
    shader: 'normalize',
    entryPoint: 'forward',
    label,
    uniforms: params(shape),
    buffers: [x, y, norms],
    workgroups: itemGrid(shape.d > 0 ? shape.rows : 0),
  });
}

/** gx = ∂⟨gy, y⟩/∂x from the forward's y and norms. */
export function encodeNormalizeBackward(
  rec: Recorder, y: GPUBuffer, norms: GPUBuffer, gy: GPUBuffer, gx: GPUBuffer, shape: NormalizeShape,
  label = 'normalize.backward',
): void {
  rec.dispatch({
    shader: 'normalize',
    entryPoint: 'backward',
    label,
    uniforms: params(shape),
    buffers: [y, norms, gy, gx],
    workgroups: itemGrid(shape.d > 0 ? shape.rows : 0),
  });
}

/** One-shot forward: uploads, runs and reads back. */
export async function normalize(ctx: GpuContext, x: Float32Array, shape: NormalizeShape): Promise<{ y: Float32Array; norms: Float32Array }> {
  const n = shape.rows * shape.d;
  if (x.length !== n) throw new RangeError(`normalize: x has ${x.length} values, shape needs ${n}`);
  const gx = ctx.upload('normalize.x', x);
  const gy = ctx.buffer('normalize.y', n * 4);
  const gn = ctx.buffer('normalize.norms', shape.rows * 4);
  try {
    await ctx.run('normalize', (rec) => encodeNormalize(rec, gx, gy, gn, shape));
    return { y: await ctx.readF32(gy, n), norms: await ctx.readF32(gn, shape.rows) };
  } finally {
    ctx.release(gx, gy, gn);
  }
}

/** One-shot backward from x (forward and backward recorded into one submit). */
export async function normalizeBackward(ctx: GpuContext, x: Float32Array, gy: Float32Array, shape: NormalizeShape): Promise<Float32Array> {
  const n = shape.rows * shape.d;
  if (x.length !== n || gy.length !== n) throw new RangeError(`normalizeBackward: inputs must have ${n} values`);
  const bx = ctx.upload('normalize.x', x);
  const bgy = ctx.upload('normalize.gy', gy);
  const by = ctx.buffer('normalize.y', n * 4);
  const bn = ctx.buffer('normalize.norms', shape.rows * 4);
  const bgx = ctx.buffer('normalize.gx', n * 4);
  try {
    await ctx.run('normalize.backward', (rec) => {
      encodeNormalize(rec, bx, by, bn, shape, 'normalize.forward');
      encodeNormalizeBackward(rec, by, bn, bgy, bgx, shape, 'normalize.backward');
    });
    return await ctx.readF32(bgx, n);
  } finally {
    ctx.release(bx, bgy, by, bn, bgx);
  }
}

/** CPU reference (float64). */
export function normalizeRef(x: ArrayLike<number>, shape: NormalizeShape): { y: Float64Array; norms: Float64Array } {
  const { rows, d } = shape;
  const eps = shape.eps ?? DEFAULT_NORMALIZE_EPS;
  const y = new Float64Array(rows * d);
  const norms = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let ss = 0;
    for (let k = 0; k < d; k++) ss += x[r * d + k] * x[r * d + k];
    const norm = Math.sqrt(ss);
    const denom = Math.max(norm, eps);
    for (let k = 0; k < d; k++) y[r * d + k] = x[r * d + k] / denom;
    norms[r] = norm;
  }
  return { y, norms };
}

/** CPU reference of the gradient (float64), from x. */
export function normalizeBackwardRef(x: ArrayLike<number>, gy: ArrayLike<number>, shape: NormalizeShape): Float64Array {
  const { rows, d } = shape;
  const eps = shape.eps ?? DEFAULT_NORMALIZE_EPS;
  const { y, norms } = normalizeRef(x, shape);
  const gx = new Float64Array(rows * d);
  for (let r = 0; r < rows; r++) {
    const o = r * d;
    if (norms[r] >= eps) {
      let dot = 0;
      for (let k = 0; k < d; k++) dot += y[o + k] * gy[o + k];
      for (let k = 0; k < d; k++) gx[o + k] = (gy[o + k] - y[o + k] * dot) / norms[r];
    } else {
      for (let k = 0; k < d; k++) gx[o + k] = gy[o + k] / eps;
    }
  }
  return gx;
}
