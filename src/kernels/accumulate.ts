/**
 * dst[dstOffset + i] += src[srcOffset + i]: gradient accumulation on the GPU (src/methods adds each backward's
 * weight gradients into its tower's flat accumulator this way instead of reading them back). WGSL in
 * shaders/accumulate.wgsl; CPU reference beside it; check in accumulate.check.ts.
 */
import type { Recorder } from '../gpu/context';
import { UniformWriter } from '../gpu/uniforms';
import { itemGrid } from './normalize';

export interface AccumulateRange {
  count: number;
  dstOffset?: number;
  srcOffset?: number;
}

const THREADS = 256;

export function encodeAccumulate(rec: Recorder, dst: GPUBuffer, src: GPUBuffer, r: AccumulateRange, label = 'accumulate'): void {
  const dstOffset = r.dstOffset ?? 0, srcOffset = r.srcOffset ?? 0;
  for (const [v, what] of [[r.count, 'count'], [dstOffset, 'dstOffset'], [srcOffset, 'srcOffset']] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`accumulate: ${what} must be an integer in 0…2^32 − 1, got ${v}`);
  }
  if ((dstOffset + r.count) * 4 > dst.size) throw new RangeError(`accumulate: ${r.count} values at offset ${dstOffset} overrun the destination (${dst.size / 4} values)`);
  if ((srcOffset + r.count) * 4 > src.size) throw new RangeError(`accumulate: ${r.count} values at offset ${srcOffset} overrun the source (${src.size / 4} values)`);
  if (r.count === 0) return;
  rec.dispatch({
    shader: 'accumulate', label, uniforms: new UniformWriter().u32(r.count).u32(dstOffset).u32(srcOffset).u32(0).bytes(),
    buffers: [dst, src], workgroups: itemGrid(Math.ceil(r.count / THREADS)),
  });
}

/** CPU reference (in place on `dst`), f32 arithmetic as the kernel. */
export function accumulateRef(dst: Float32Array, src: ArrayLike<number>, r: AccumulateRange): void {
  const dstOffset = r.dstOffset ?? 0, srcOffset = r.srcOffset ?? 0;
  for (let i = 0; i < r.count; i++) dst[dstOffset + i] = Math.fround(dst[dstOffset + i] + src[srcOffset + i]);
}
