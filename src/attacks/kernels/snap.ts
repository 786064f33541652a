/** Host side of the attack kernels: 8-bit snapping (see ../kernels.ts). */
import type { Recorder } from '../../gpu/context';
import { UniformWriter } from '../../gpu/uniforms';
import type { AttackNorm } from './apgd';

/** The float32 values of the 8-bit grid, k/255 correctly rounded (what decoding a PNG gives). */
export const GRID_8BIT: Float32Array = Float32Array.from({ length: 256 }, (_, k) => k / 255);

function snapUniforms(shape: { batch: number; n: number }): Uint8Array<ArrayBuffer> {
  const w = new UniformWriter(4 + 256).u32(shape.n).u32(shape.batch).u32(0).u32(0);
  for (const v of GRID_8BIT) w.f32(v);
  return w.bytes();
}

export function encodeSnap8bit(
  rec: Recorder, x: GPUBuffer, x0: GPUBuffer, eps: GPUBuffer, out: GPUBuffer, shape: { batch: number; n: number; norm: AttackNorm },
  label = 'attack.snap8bit',
): void {
  rec.dispatch({
    shader: 'attack_snap', entryPoint: 'snap', label, constants: { NORM: shape.norm === 'linf' ? 0 : 1 },
    uniforms: snapUniforms(shape),
    buffers: [x, x0, eps, out], workgroups: [shape.batch],
  });
}

/** Round half to even, as WGSL's round(). */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const SNAP_TOL = 1e-3;

/** CPU reference of `encodeSnap8bit` (float64: agrees with the GPU away from rounding boundaries). */
export function snap8bitRef(
  x: ArrayLike<number>, x0: ArrayLike<number>, eps: ArrayLike<number>, shape: { batch: number; n: number; norm: AttackNorm },
): Float64Array {
  const { batch: B, n } = shape;
  const out = new Float64Array(B * n);
  for (let b = 0; b < B; b++) {
    const o = b * n, e = eps[b];
    if (shape.norm === 'linf') {
      for (let j = o; j < o + n; j++) {
        const lo = Math.ceil(Math.max(x0[j] - e, 0) * 255 - SNAP_TOL), hi = Math.floor(Math.min(x0[j] + e, 1) * 255 + SNAP_TOL);
        let g = roundHalfEven(x[j] * 255);
        g = lo <= hi ? Math.min(hi, Math.max(lo, g)) : roundHalfEven(x0[j] * 255);
        out[j] = GRID_8BIT[g];
      }
      continue;
    }
    let dd = 0;
    for (let j = o; j < o + n; j++) dd += (Math.min(255, Math.max(0, roundHalfEven(x[j] * 255))) / 255 - x0[j]) ** 2;
    const inside = Math.sqrt(dd) <= e;
    for (let j = o; j < o + n; j++) {
      let g = Math.min(255, Math.max(0, roundHalfEven(x[j] * 255)));
      if (!inside) {
        const k0 = roundHalfEven(x0[j] * 255);
        g = Math.min(255, Math.max(0, k0 + Math.trunc(x[j] * 255 - k0)));
      }
      out[j] = GRID_8BIT[g];
    }
  }
  return out;
}
