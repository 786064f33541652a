/** Host side of the attack kernels: Square-style random search (L∞) (see ../kernels.ts). */
import type { Recorder } from '../../gpu/context';
import { UniformWriter } from '../../gpu/uniforms';
import { clamp01 } from './apgd';
import { randU32Ref } from '../../kernels/random';

export interface SquareShape {
  batch: number;
  channels: number;
  height: number;
  width: number;
}

export interface SquareParams {
  seed: number;
  /** Proposal index ≥ 1 (selects the draws). */
  iter?: number;
  /** Side of the square in pixels (1 … min(height, width)). */
  side?: number;
  objSign?: number;
  force?: boolean;
}

function squareUniforms(s: SquareShape, q: SquareParams): Uint8Array<ArrayBuffer> {
  const n = s.channels * s.height * s.width;
  const side = q.side ?? 1;
  if (!(Number.isInteger(side) && side >= 1 && side <= Math.min(s.height, s.width))) throw new RangeError(`square: side ${side} out of range`);
  return new UniformWriter().u32(n).u32(s.batch).u32(s.channels).u32(s.height).u32(s.width).u32(side)
    .u32(q.seed >>> 0).u32((q.iter ?? 0) >>> 0).u32(q.force ? 1 : 0).f32(q.objSign ?? 1).bytes();
}

function elementwiseGrid(count: number): [number] {
  return [Math.min(Math.ceil(count / 256), 65535)];
}

export function encodeSquareInit(rec: Recorder, x0: GPUBuffer, eps: GPUBuffer, cand: GPUBuffer, shape: SquareShape, q: SquareParams, label = 'square.init'): void {
  rec.dispatch({
    shader: 'attack_square', entryPoint: 'init', label, uniforms: squareUniforms(shape, q),
    buffers: [x0, eps, cand], workgroups: elementwiseGrid(shape.batch * shape.channels * shape.height * shape.width),
  });
}

export function encodeSquarePropose(
  rec: Recorder, x0: GPUBuffer, eps: GPUBuffer, cur: GPUBuffer, cand: GPUBuffer, shape: SquareShape, q: SquareParams, label = 'square.propose',
): void {
  rec.dispatch({
    shader: 'attack_square', entryPoint: 'propose', label, uniforms: squareUniforms(shape, q),
    buffers: [x0, eps, cur, cand], workgroups: elementwiseGrid(shape.batch * shape.channels * shape.height * shape.width),
  });
}

export function encodeSquareAccept(
  rec: Recorder, cand: GPUBuffer, objective: GPUBuffer, cur: GPUBuffer, objCur: GPUBuffer, shape: SquareShape, q: SquareParams, label = 'square.accept',
): void {
  rec.dispatch({
    shader: 'attack_square', entryPoint: 'accept', label, uniforms: squareUniforms(shape, q),
    buffers: [cand, objective, cur, objCur], workgroups: [shape.batch],
  });
}

/**
 * Side of the square at proposal `iter` (1-based) of `total`: the fraction p of pixels changed starts at pInit and
 * halves at iterations 10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000 of a 10 000-query budget (rescaled to `total`),
 * side = round(√(p·H·W)) clamped to [1, min(H, W) − 1] (at least 1).
 */
export function squareSide(iter: number, total: number, pInit: number, height: number, width: number): number {
  const i = Math.floor((iter * 10000) / Math.max(total, 1));
  const marks = [10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000];
  let p = pInit;
  for (const m of marks) if (i > m) p /= 2;
  const side = Math.round(Math.sqrt(p * height * width));
  return Math.max(1, Math.min(side, Math.min(height, width) - 1));
}

/** CPU reference of `encodeSquareInit` (out = the candidate). */
export function squareInitRef(x0: ArrayLike<number>, eps: ArrayLike<number>, shape: SquareShape, q: SquareParams): Float64Array {
  const { batch: B, channels: C, height: H, width: W } = shape;
  const n = C * H * W;
  const out = new Float64Array(B * n);
  for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) for (let r = 0; r < H; r++) for (let col = 0; col < W; col++) {
    const i = b * n + (c * H + r) * W + col;
    const s = randU32Ref(q.seed >>> 0, 0, (b * C + c) * W + col) & 1 ? 1 : -1;
    out[i] = clamp01(Math.fround(x0[i] + eps[b] * s));
  }
  return out;
}

/** CPU reference of `encodeSquarePropose`. */
export function squareProposeRef(x0: ArrayLike<number>, eps: ArrayLike<number>, cur: ArrayLike<number>, shape: SquareShape, q: SquareParams): Float64Array {
  const { batch: B, channels: C, height: H, width: W } = shape;
  const n = C * H * W, side = q.side ?? 1, seed = q.seed >>> 0, it = q.iter ?? 0;
  const out = Float64Array.from(cur);
  for (let b = 0; b < B; b++) {
    const top = randU32Ref(seed, (2 * it) >>> 0, 2 * b) % (H - side + 1);
    const left = randU32Ref(seed, (2 * it) >>> 0, 2 * b + 1) % (W - side + 1);
    for (let c = 0; c < C; c++) {
      const s = randU32Ref(seed, (2 * it + 1) >>> 0, b * C + c) & 1 ? 1 : -1;
      for (let r = top; r < top + side; r++) for (let col = left; col < left + side; col++) {
        const i = b * n + (c * H + r) * W + col;
        out[i] = clamp01(Math.fround(x0[i] + eps[b] * s));
      }
    }
  }
  return out;
}
