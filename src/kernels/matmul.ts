/** Batched matmul with transposes: the building block of the other kernels. WGSL in shaders/matmul.wgsl. */
import type { GpuContext, Recorder } from '../gpu/context';
import { UniformWriter } from '../gpu/uniforms';

export interface MatmulShape {
  batch: number;
  M: number;
  N: number;
  K: number;
  transA?: boolean;
  transB?: boolean;
  /** Elements between consecutive batch items; 0 broadcasts. Defaults: packed (M*K, K*N, M*N). */
  strideA?: number;
  strideB?: number;
  strideC?: number;
  alpha?: number;
  /** C = alpha·op(A)op(B) + beta·C; with beta = 0 the old C is never read. */
  beta?: number;
}

function resolved(s: MatmulShape) {
  return {
    ...s,
    transA: !!s.transA,
    transB: !!s.transB,
    strideA: s.strideA ?? s.M * s.K,
    strideB: s.strideB ?? s.K * s.N,
    strideC: s.strideC ?? s.M * s.N,
    alpha: s.alpha ?? 1,
    beta: s.beta ?? 0,
  };
}

export function encodeMatmul(rec: Recorder, a: GPUBuffer, b: GPUBuffer, c: GPUBuffer, shape: MatmulShape, label = 'matmul'): void {
  const s = resolved(shape);
  const uniforms = new UniformWriter()
    .u32(s.M).u32(s.N).u32(s.K).u32(s.batch)
    .u32(s.strideA).u32(s.strideB).u32(s.strideC)
    .f32(s.alpha).f32(s.beta)
    .bytes();
  rec.dispatch({
    shader: 'matmul',
    label,
    constants: { TRANS_A: s.transA ? 1 : 0, TRANS_B: s.transB ? 1 : 0 },
    uniforms,
    buffers: [a, b, c],
    workgroups: [Math.ceil(s.N / 64), Math.ceil(s.M / 64), s.batch],
  });
}

/** One-shot convenience: uploads, runs and reads back. */
export async function matmul(ctx: GpuContext, a: Float32Array, b: Float32Array, shape: MatmulShape, cInit?: Float32Array): Promise<Float32Array> {
  const s = resolved(shape);
  const cLen = (s.batch - 1) * s.strideC + s.M * s.N;
  const ga = ctx.upload('matmul.A', a);
  const gb = ctx.upload('matmul.B', b);
  const gc = cInit ? ctx.upload('matmul.C', cInit) : ctx.buffer('matmul.C', cLen * 4);
  try {
    await ctx.run('matmul', (rec) => encodeMatmul(rec, ga, gb, gc, shape));
    return await ctx.readF32(gc, cLen);
  } finally {
    ctx.release(ga, gb, gc);
  }
}

/** CPU reference (float64 accumulation). */
export function matmulRef(a: ArrayLike<number>, b: ArrayLike<number>, shape: MatmulShape, cInit?: ArrayLike<number>): Float64Array {
  const s = resolved(shape);
  const cLen = (s.batch - 1) * s.strideC + s.M * s.N;
  const c = new Float64Array(cLen);
  if (cInit) for (let i = 0; i < cLen; i++) c[i] = cInit[i];
  for (let bi = 0; bi < s.batch; bi++) {
    const ao = bi * s.strideA, bo = bi * s.strideB, co = bi * s.strideC;
    for (let i = 0; i < s.M; i++) {
      for (let j = 0; j < s.N; j++) {
        let acc = 0;
        for (let k = 0; k < s.K; k++) {
          const av = s.transA ? a[ao + k * s.M + i] : a[ao + i * s.K + k];
          const bv = s.transB ? b[bo + j * s.K + k] : b[bo + k * s.N + j];
          acc += av * bv;
        }
        const idx = co + i * s.N + j;
        c[idx] = s.alpha * acc + (s.beta !== 0 ? s.beta * c[idx] : 0);
      }
    }
  }
  return c;
}
