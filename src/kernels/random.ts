/**
 * Counter-based GPU random numbers: WGSL in shaders/random.wgsl (prepended to the kernels that draw) and
 * shaders/random_fill.wgsl (the fill kernel). The `…Ref` functions are the CPU side of the same draws: u32s are
 * identical, uniforms are identical (24-bit, exact in f32), normals agree to float rounding.
 */
import type { GpuContext, Recorder } from '../gpu/context';
import { UniformWriter } from '../gpu/uniforms';
import { hashU32 } from '../util/random';

export type RandomDistribution = 'u32' | 'uniform' | 'normal';

export interface RandomFillShape {
  count: number;
  seed: number;
  stream: number;
  dist: RandomDistribution;
}

const FILL_WG = 256;
const ENTRY: Record<RandomDistribution, string> = { u32: 'fillU32', uniform: 'fillUniform', normal: 'fillNormal' };

/** Draw `index` of stream `stream` under `seed` (randU32 in shaders/random.wgsl). */
export function randU32Ref(seed: number, stream: number, index: number): number {
  const key = hashU32((seed ^ hashU32(stream)) >>> 0);
  return hashU32((key ^ hashU32(index)) >>> 0);
}

/** Uniform in [0, 1) from the top 24 bits (randUniform). */
export function randUniformRef(seed: number, stream: number, index: number): number {
  return (randU32Ref(seed, stream, index) >>> 8) / 16777216;
}

/** Uniform in (0, 1] (randUniformOpen). */
export function randUniformOpenRef(seed: number, stream: number, index: number): number {
  return ((randU32Ref(seed, stream, index) >>> 8) + 1) / 16777216;
}

/** Standard normal by Box–Muller from draws 2·index and 2·index + 1 (randNormal). */
export function randNormalRef(seed: number, stream: number, index: number): number {
  const u1 = randUniformOpenRef(seed, stream, (2 * index) >>> 0);
  const u2 = randUniformRef(seed, stream, (2 * index + 1) >>> 0);
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2 - Math.PI);
}

/** Writes `count` draws into `out` (u32 words; the float distributions as f32 bit patterns). */
export function encodeRandomFill(rec: Recorder, out: GPUBuffer, shape: RandomFillShape, label = `random.${shape.dist}`): void {
  const uniforms = new UniformWriter().u32(shape.count).u32(shape.seed >>> 0).u32(shape.stream >>> 0).bytes();
  rec.dispatch({
    shader: 'random',
    label,
    entryPoint: ENTRY[shape.dist],
    uniforms,
    buffers: [out],
    workgroups: [Math.min(Math.ceil(shape.count / FILL_WG), 65535)],
  });
}

/** One-shot: draws on the GPU and reads them back (Uint32Array for 'u32', Float32Array otherwise). */
export async function randomFill(ctx: GpuContext, shape: RandomFillShape): Promise<Uint32Array | Float32Array> {
  const out = ctx.buffer(`random.${shape.dist}.out`, shape.count * 4);
  try {
    await ctx.run('randomFill', (rec) => encodeRandomFill(rec, out, shape));
    return shape.dist === 'u32' ? await ctx.readU32(out, shape.count) : await ctx.readF32(out, shape.count);
  } finally {
    ctx.release(out);
  }
}

/** CPU reference of `randomFill`. */
export function randomFillRef(shape: RandomFillShape): Uint32Array | Float64Array {
  const { count, seed, stream, dist } = shape;
  if (dist === 'u32') {
    const out = new Uint32Array(count);
    for (let i = 0; i < count; i++) out[i] = randU32Ref(seed, stream, i);
    return out;
  }
  const out = new Float64Array(count);
  const draw = dist === 'uniform' ? randUniformRef : randNormalRef;
  for (let i = 0; i < count; i++) out[i] = draw(seed, stream, i);
  return out;
}
