/**
 * Batched Gram / cross-Gram of many small groups of row features: G[g] = scale·X[g]·Y[g]ᵀ (+ ridge·I when n = m).
 * X is [groups, n, d], Y is [groups, m, d], G is [groups, n, m], row-major. WGSL in shaders/gram.wgsl.
 */
import type { GpuContext, Recorder } from '../gpu/context';
import { UniformWriter } from '../gpu/uniforms';
import { itemGrid } from './normalize';

export interface GramShape {
  groups: number;
  /** Rows of X per group, 1…64. */
  n: number;
  /** Rows of Y per group, 1…64 (default n). */
  m?: number;
  /** Feature length (any). */
  d: number;
  /** Multiplies X·Yᵀ (default 1). */
  scale?: number;
  /** Added to the diagonal after scaling; only when n = m (default 0). */
  ridge?: number;
}

/** Largest n or m one workgroup handles (its staged chunk is [32][64] per operand). */
export const GRAM_MAX_ROWS = 64;

function resolved(s: GramShape) {
  const r = { groups: s.groups, n: s.n, m: s.m ?? s.n, d: s.d, scale: s.scale ?? 1, ridge: s.ridge ?? 0 };
  for (const [k, v] of Object.entries({ groups: r.groups, n: r.n, m: r.m, d: r.d })) {
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`gram: ${k} must be a non-negative integer, got ${v}`);
  }
  if (r.n > GRAM_MAX_ROWS || r.m > GRAM_MAX_ROWS) throw new RangeError(`gram: n, m must be <= ${GRAM_MAX_ROWS}, got ${r.n}, ${r.m}`);
  if (r.ridge !== 0 && r.n !== r.m) throw new RangeError(`gram: a ridge needs a square result, got n=${r.n} m=${r.m}`);
  return r;
}

/** Records G = scale·X·Yᵀ (+ ridge·I). For the plain Gram matrix pass the same buffer as `x` and `y`. */
export function encodeGram(rec: Recorder, x: GPUBuffer, y: GPUBuffer, g: GPUBuffer, shape: GramShape, label = 'gram'): void {
  const s = resolved(shape);
  const uniforms = new UniformWriter().u32(s.groups).u32(s.n).u32(s.m).u32(s.d).f32(s.scale).f32(s.ridge).bytes();
  rec.dispatch({
    shader: 'gram',
    label,
    uniforms,
    buffers: [x, y, g],
    workgroups: itemGrid(s.n * s.m > 0 ? s.groups : 0),
  });
}

/** One-shot convenience: uploads, runs and reads back. `y` omitted: the Gram matrix of `x` (m = n). */
export async function gram(ctx: GpuContext, x: Float32Array, y: Float32Array | undefined, shape: GramShape): Promise<Float32Array> {
  const s = resolved(shape);
  if (!y && s.m !== s.n) throw new RangeError('gram: without y, m must equal n');
  if (x.length !== s.groups * s.n * s.d) throw new RangeError(`gram: x has ${x.length} values, shape needs ${s.groups * s.n * s.d}`);
  if (y && y.length !== s.groups * s.m * s.d) throw new RangeError(`gram: y has ${y.length} values, shape needs ${s.groups * s.m * s.d}`);
  const outLen = s.groups * s.n * s.m;
  const gx = ctx.upload('gram.X', x);
  const gy = y ? ctx.upload('gram.Y', y) : gx;
  const gg = ctx.buffer('gram.G', outLen * 4);
  try {
    await ctx.run('gram', (rec) => encodeGram(rec, gx, gy, gg, s));
    return await ctx.readF32(gg, outLen);
  } finally {
    ctx.release(gx, gy, gg);
  }
}

/** CPU reference (float64 accumulation). */
export function gramRef(x: ArrayLike<number>, y: ArrayLike<number> | undefined, shape: GramShape): Float64Array {
  const s = resolved(shape);
  const yy = y ?? x;
  const out = new Float64Array(s.groups * s.n * s.m);
  for (let g = 0; g < s.groups; g++) {
    const xo = g * s.n * s.d, yo = g * s.m * s.d, go = g * s.n * s.m;
    for (let i = 0; i < s.n; i++) {
      for (let j = 0; j < s.m; j++) {
        let acc = 0;
        for (let k = 0; k < s.d; k++) acc += x[xo + i * s.d + k] * yy[yo + j * s.d + k];
        out[go + i * s.m + j] = s.scale * acc + (i === j && s.n === s.m ? s.ridge : 0);
      }
    }
  }
  return out;
}
