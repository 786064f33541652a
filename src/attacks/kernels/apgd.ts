/** Host side of the attack kernels: APGD (see ../kernels.ts). */
import type { Recorder } from '../../gpu/context';
import { UniformWriter } from '../../gpu/uniforms';

export type AttackNorm = 'linf' | 'l2';

/** Per-sample APGD state: f32 [batch, APGD_STATE] (see shaders/attack_apgd.wgsl). */
export const APGD_STATE = 8;

export interface ApgdShape {
  batch: number;
  n: number;
  norm: AttackNorm;
}

export interface ApgdParams {
  objSign?: number;
  /** Initial step size as a multiple of ε (Croce & Hein: 2). */
  etaInit?: number;
  /** Condition-1 threshold ρ (0.75). */
  rho?: number;
  /** Momentum weight a of the step (1 − 0.75 of the previous direction: a = 0.75); 1 = no momentum. */
  a?: number;
  /** Checkpoint window length w_j − w_{j−1}. */
  window?: number;
  init?: boolean;
}

function apgdUniforms(s: ApgdShape, q: ApgdParams): Uint8Array<ArrayBuffer> {
  return new UniformWriter().u32(s.n).u32(s.batch).u32(q.init ? 1 : 0).u32(q.window ?? 0)
    .f32(q.objSign ?? 1).f32(q.etaInit ?? 2).f32(q.rho ?? 0.75).f32(q.a ?? 0.75).bytes();
}

export interface ApgdBuffers {
  x: GPUBuffer;
  xPrev: GPUBuffer;
  x0: GPUBuffer;
  g: GPUBuffer;
  eps: GPUBuffer;
  state: GPUBuffer;
  xMax: GPUBuffer;
  gMax: GPUBuffer;
}

export function encodeApgdRecord(rec: Recorder, b: ApgdBuffers, objective: GPUBuffer, shape: ApgdShape, q: ApgdParams, label = 'apgd.record'): void {
  rec.dispatch({
    shader: 'attack_apgd', entryPoint: 'record', label, uniforms: apgdUniforms(shape, q),
    buffers: [b.x, b.g, objective, b.eps, b.state, b.xMax, b.gMax], workgroups: [shape.batch],
  });
}

export function encodeApgdCheckpoint(rec: Recorder, b: ApgdBuffers, shape: ApgdShape, q: ApgdParams, label = 'apgd.checkpoint'): void {
  rec.dispatch({
    shader: 'attack_apgd', entryPoint: 'checkpoint', label, uniforms: apgdUniforms(shape, q),
    buffers: [b.x, b.xPrev, b.g, b.state, b.xMax, b.gMax], workgroups: [shape.batch],
  });
}

export function encodeApgdStep(rec: Recorder, b: ApgdBuffers, shape: ApgdShape, q: ApgdParams, label = `apgd.${shape.norm}Step`): void {
  if (shape.batch * shape.n > 0xffffffff) throw new RangeError('apgd: batch·n exceeds u32 indexing');
  rec.dispatch({
    shader: 'attack_apgd', entryPoint: shape.norm === 'linf' ? 'linfStep' : 'l2Step', label, uniforms: apgdUniforms(shape, q),
    buffers: [b.x, b.xPrev, b.x0, b.g, b.eps, b.state],
    workgroups: shape.norm === 'linf' ? [Math.min(Math.ceil((shape.batch * shape.n) / 256), 65535)] : [shape.batch],
  });
}

/**
 * APGD checkpoints (Croce & Hein 2020): p_0 = 0, p_1 = 0.22, p_{j+1} = p_j + max(p_j − p_{j−1} − 0.03, 0.06);
 * w_j = ⌈p_j · steps⌉. Returns the w_j with 0 < w_j < steps (distinct, increasing).
 */
export function apgdCheckpoints(steps: number): number[] {
  const out: number[] = [];
  let prev = 0, cur = 0.22;
  while (cur <= 1) {
    const w = Math.ceil(cur * steps);
    if (w > 0 && w < steps && (out.length === 0 || w > out[out.length - 1])) out.push(w);
    const next = cur + Math.max(cur - prev - 0.03, 0.06);
    prev = cur;
    cur = next;
  }
  return out;
}

export interface ApgdStateRef {
  x: Float64Array;
  xPrev: Float64Array;
  g: Float64Array;
  state: Float64Array;
  xMax: Float64Array;
  gMax: Float64Array;
}

export function apgdRecordRef(s: ApgdStateRef, objective: ArrayLike<number>, eps: ArrayLike<number>, shape: ApgdShape, q: ApgdParams): void {
  const { batch: B, n } = shape;
  for (let b = 0; b < B; b++) {
    const o = b * APGD_STATE, f = (q.objSign ?? 1) * objective[b];
    const keep = q.init || f > s.state[o + 1];
    if (q.init) {
      s.state.set([(q.etaInit ?? 2) * eps[b], f, f, 0, f, 0, 0, s.state[o + 7]], o);
    } else {
      s.state[o + 3] += f > s.state[o + 2] ? 1 : 0;
      s.state[o + 2] = f;
      if (keep) s.state[o + 1] = f;
    }
    if (keep) for (let j = b * n; j < (b + 1) * n; j++) { s.xMax[j] = s.x[j]; s.gMax[j] = s.g[j]; }
  }
}

export function apgdCheckpointRef(s: ApgdStateRef, shape: ApgdShape, q: ApgdParams): boolean[] {
  const { batch: B, n } = shape;
  const reduced: boolean[] = [];
  for (let b = 0; b < B; b++) {
    const o = b * APGD_STATE, st = s.state;
    const reduce = st[o + 3] < (q.rho ?? 0.75) * (q.window ?? 0) || (st[o + 5] === 0 && st[o + 4] >= st[o + 1]);
    reduced.push(reduce);
    st[o + 3] = 0;
    st[o + 4] = st[o + 1];
    st[o + 5] = reduce ? 1 : 0;
    if (reduce) {
      st[o] *= 0.5;
      st[o + 2] = st[o + 1];
      st[o + 6] += 1;
      for (let j = b * n; j < (b + 1) * n; j++) { s.x[j] = s.xMax[j]; s.xPrev[j] = s.xMax[j]; s.g[j] = s.gMax[j]; }
    }
  }
  return reduced;
}

export const clamp01 = (v: number) => Math.min(1, Math.max(0, v));

/** CPU reference of one APGD step (mutates s.x and s.xPrev). */
export function apgdStepRef(s: ApgdStateRef, x0: ArrayLike<number>, eps: ArrayLike<number>, shape: ApgdShape, q: ApgdParams): void {
  const { batch: B, n } = shape;
  const a = q.a ?? 0.75;
  for (let b = 0; b < B; b++) {
    const o = b * n, e = eps[b], eta = s.state[b * APGD_STATE];
    if (shape.norm === 'linf') {
      for (let j = o; j < o + n; j++) {
        const proj = (v: number) => clamp01(Math.min(x0[j] + e, Math.max(x0[j] - e, v)));
        const xi = s.x[j];
        const z = proj(xi + eta * Math.sign(s.g[j]));
        const u = xi + a * (z - xi) + (1 - a) * (xi - s.xPrev[j]);
        s.xPrev[j] = xi;
        s.x[j] = proj(u);
      }
      continue;
    }
    let gg = 0;
    for (let j = o; j < o + n; j++) gg += s.g[j] ** 2;
    const gNorm = Math.sqrt(gg);
    const stepScale = gNorm > 0 ? eta / gNorm : 0;
    let dd = 0;
    for (let j = o; j < o + n; j++) dd += (s.x[j] + stepScale * s.g[j] - x0[j]) ** 2;
    const n1 = Math.sqrt(dd), s1 = n1 > e ? e / n1 : 1;
    const u = new Float64Array(n);
    let uu = 0;
    for (let j = o; j < o + n; j++) {
      const xi = s.x[j];
      const z = clamp01(x0[j] + s1 * (xi + stepScale * s.g[j] - x0[j]));
      u[j - o] = xi + a * (z - xi) + (1 - a) * (xi - s.xPrev[j]) - x0[j];
      uu += u[j - o] ** 2;
    }
    const n2 = Math.sqrt(uu), s2 = n2 > e ? e / n2 : 1;
    for (let j = o; j < o + n; j++) {
      s.xPrev[j] = s.x[j];
      s.x[j] = clamp01(x0[j] + s2 * u[j - o]);
    }
  }
}
