/**
 * Optimisers on one flat f32 parameter buffer (several tensors packed back to back: only the total length
 * matters), with global gradient-norm clipping that never leaves the GPU. WGSL in shaders/optim.wgsl.
 *
 * The `gradNorm` buffer (GRAD_NORM_FLOATS f32, from `createGradNormBuffer`) holds [‖g‖, clip scale, ‖g‖², non-finite
 * flag, stage-1 partial sums…]; with clipping on (a number or 'precomputed'), a non-finite ‖g‖ masks the whole update
 * on the GPU (params and moments untouched) and leaves the flag set for the caller to report: callers may copy element 0 into a log buffer each step to log the norm without a readback.
 */
import type { GpuContext, Recorder } from '../gpu/context';
import { UniformWriter } from '../gpu/uniforms';

/** Most stage-1 workgroups of the ‖g‖² reduction (each grid-strides over its share). */
export const GRAD_NORM_PARTIALS = 256;
/** f32 elements of a gradNorm buffer: a 4-float header and the stage-1 partial sums. */
export const GRAD_NORM_FLOATS = 4 + GRAD_NORM_PARTIALS;
/** Added to ‖g‖ in the clip scale min(1, maxGradNorm / (‖g‖ + CLIP_EPS)), as in PyTorch's clip_grad_norm_. */
export const CLIP_EPS = 1e-6;

const WG = 256;

export interface AdamwOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Decoupled: p ← p·(1 − lr·weightDecay) before the Adam step. */
  weightDecay?: number;
  /** Clip the global gradient norm to this (on the GPU) before the update; undefined: no clipping. */
  maxGradNorm?: number;
}

export interface SgdOptions {
  lr: number;
  /** 0 (default): plain SGD; the momentum buffer is bound but not touched. */
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  /** L2-style (coupled), as in PyTorch SGD: g ← g + weightDecay·p. */
  weightDecay?: number;
  maxGradNorm?: number;
}

/**
 * Options of the encode functions: also `maxGradNorm: 'precomputed'` — apply the clip scale already in
 * `gradNorm[1]` (an earlier `encodeGlobalGradNorm`, e.g. over several towers' gradients that then update at
 * different learning rates).
 */
export type EncodeOptions<O extends { maxGradNorm?: number }> = O | (Omit<O, 'maxGradNorm'> & { maxGradNorm: 'precomputed' });

export interface AdamwBuffers {
  params: GPUBuffer;
  grads: GPUBuffer;
  /** First and second moments, zero before step 1. */
  m: GPUBuffer;
  v: GPUBuffer;
  /** GRAD_NORM_FLOATS f32; read only when clipping (but always bound: pass a buffer of its own). */
  gradNorm: GPUBuffer;
}

export interface SgdBuffers {
  params: GPUBuffer;
  grads: GPUBuffer;
  /** Momentum buffer (any contents before step 1: it starts as g). */
  momentum: GPUBuffer;
  gradNorm: GPUBuffer;
}

function adamwDefaults<O extends EncodeOptions<AdamwOptions>>(o: O) {
  return { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, ...o };
}

function sgdDefaults<O extends EncodeOptions<SgdOptions>>(o: O) {
  const s = { momentum: 0, dampening: 0, nesterov: false, weightDecay: 0, ...o };
  if (s.nesterov && (s.momentum <= 0 || s.dampening !== 0)) throw new RangeError('sgd: Nesterov needs momentum > 0 and dampening = 0');
  return s;
}

interface OptimUniforms {
  count: number;
  clip: boolean;
  step?: number;
  maxNorm?: number;
  lr?: number;
  weightDecay?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  stepSize?: number;
  bc2Sqrt?: number;
  momentum?: number;
  dampening?: number;
  sticky?: boolean;
}

/** Packs the `Params` struct of optim.wgsl, in declaration order. */
function optimUniforms(u: OptimUniforms) {
  return new UniformWriter()
    .u32(u.count).u32(partialsFor(u.count)).u32(u.clip ? 1 : 0).u32(u.step ?? 1)
    .f32(u.maxNorm ?? 0).f32(u.lr ?? 0).f32(u.weightDecay ?? 0)
    .f32(u.beta1 ?? 0).f32(u.beta2 ?? 0).f32(u.eps ?? 0).f32(u.stepSize ?? 0).f32(u.bc2Sqrt ?? 1)
    .f32(u.momentum ?? 0).f32(u.dampening ?? 0).u32(u.sticky ? 1 : 0)
    .bytes();
}

function partialsFor(count: number): number {
  return Math.max(1, Math.min(Math.ceil(count / WG), GRAD_NORM_PARTIALS));
}

function updateWorkgroups(count: number): [number] {
  return [Math.min(Math.ceil(count / WG), 65535)];
}

function checkStep(step: number): void {
  if (!Number.isInteger(step) || step < 1) throw new RangeError(`optimiser step must be an integer ≥ 1, got ${step}`);
}

/** A gradNorm buffer (GRAD_NORM_FLOATS f32) from the context's pool. */
export function createGradNormBuffer(ctx: GpuContext, label = 'optim.gradNorm'): GPUBuffer {
  return ctx.buffer(label, GRAD_NORM_FLOATS * 4);
}

/**
 * Two-stage reduction of ‖g‖² over `count` gradients into `gradNorm`: [0] = ‖g‖, [1] = clip scale
 * min(1, maxGradNorm / (‖g‖ + 1e-6)) or 1 when `maxGradNorm` is undefined, [2] = ‖g‖², [3] = 1 when ‖g‖ is not
 * finite — with `sticky`, [3] stays 1 once set (until the caller clears it), so every later update stays masked.
 */
export function encodeGlobalGradNorm(
  rec: Recorder,
  grads: GPUBuffer,
  gradNorm: GPUBuffer,
  count: number,
  maxGradNorm?: number,
  label = 'optim.gradNorm',
  o: { sticky?: boolean } = {},
): void {
  const uniforms = optimUniforms({ count, clip: maxGradNorm !== undefined, maxNorm: maxGradNorm, sticky: o.sticky });
  rec.dispatch({ shader: 'optim', label: `${label}.sumSquares`, entryPoint: 'gradSumSquares', uniforms, buffers: [gradNorm, grads], workgroups: [partialsFor(count)] });
  rec.dispatch({ shader: 'optim', label: `${label}.finish`, entryPoint: 'gradNormFinish', uniforms, buffers: [gradNorm], workgroups: [1] });
}

/** AdamW step `step` (1-based) in place; with a numeric `maxGradNorm` it first encodes the global norm into `b.gradNorm`. */
export function encodeAdamwStep(rec: Recorder, b: AdamwBuffers, count: number, step: number, options: EncodeOptions<AdamwOptions>, label = 'optim.adamwStep'): void {
  checkStep(step);
  const o = adamwDefaults(options);
  const clip = o.maxGradNorm !== undefined;
  if (typeof o.maxGradNorm === 'number') encodeGlobalGradNorm(rec, b.grads, b.gradNorm, count, o.maxGradNorm, `${label}.gradNorm`);
  // Bias corrections in float64 on the host; the kernel sees lr/(1 − β1^t) and √(1 − β2^t).
  const uniforms = optimUniforms({
    count, clip, step, lr: o.lr, weightDecay: o.weightDecay, beta1: o.beta1, beta2: o.beta2, eps: o.eps,
    stepSize: o.lr / (1 - o.beta1 ** step), bc2Sqrt: Math.sqrt(1 - o.beta2 ** step),
  });
  rec.dispatch({
    shader: 'optim', label, entryPoint: 'adamwStep', uniforms,
    buffers: [b.gradNorm, b.grads, b.params, b.m, b.v], workgroups: updateWorkgroups(count),
  });
}

/** SGD step `step` (1-based) in place; with a numeric `maxGradNorm` it first encodes the global norm into `b.gradNorm`. */
export function encodeSgdStep(rec: Recorder, b: SgdBuffers, count: number, step: number, options: EncodeOptions<SgdOptions>, label = 'optim.sgdStep'): void {
  checkStep(step);
  const o = sgdDefaults(options);
  const clip = o.maxGradNorm !== undefined;
  if (typeof o.maxGradNorm === 'number') encodeGlobalGradNorm(rec, b.grads, b.gradNorm, count, o.maxGradNorm, `${label}.gradNorm`);
  const uniforms = optimUniforms({ count, clip, step, lr: o.lr, weightDecay: o.weightDecay, momentum: o.momentum, dampening: o.dampening });
  rec.dispatch({
    shader: 'optim', label, entryPoint: 'sgdStep', constants: { NESTEROV: o.nesterov ? 1 : 0 }, uniforms,
    buffers: [b.gradNorm, b.grads, b.params, b.momentum], workgroups: updateWorkgroups(count),
  });
}

/** One-shot: ‖g‖ and the clip scale, read back. */
export async function globalGradNorm(ctx: GpuContext, grads: Float32Array, maxGradNorm?: number): Promise<{ norm: number; scale: number }> {
  const gg = ctx.upload('optim.grads', grads), gn = createGradNormBuffer(ctx);
  try {
    await ctx.run('globalGradNorm', (rec) => encodeGlobalGradNorm(rec, gg, gn, grads.length, maxGradNorm));
    const [norm, scale] = await ctx.readF32(gn, 2);
    return { norm, scale };
  } finally {
    ctx.release(gg, gn);
  }
}

export interface OptimRun<State extends string> {
  params: Float32Array;
  state: Record<State, Float32Array>;
  /** ‖g‖ before each step (before clipping), logged on the GPU by copying gradNorm[0] each step. */
  gradNorms: Float32Array;
}

/**
 * One-shot driver shared by `adamwStep` and `sgdStep`: one step per gradient in `grads` (steps 1, 2, …), one submit
 * per step, the gradient norm logged on the GPU, everything read back at the end.
 */
async function runSteps<State extends string>(
  ctx: GpuContext,
  name: string,
  params: Float32Array,
  grads: Float32Array[],
  stateNames: State[],
  maxGradNorm: number | undefined,
  encodeStep: (rec: Recorder, gParams: GPUBuffer, gGrads: GPUBuffer, gNorm: GPUBuffer, state: GPUBuffer[], step: number) => void,
): Promise<OptimRun<State>> {
  const count = params.length;
  const gParams = ctx.upload(`${name}.params`, params);
  const gGrads = ctx.buffer(`${name}.grads`, count * 4);
  const gNorm = createGradNormBuffer(ctx, `${name}.gradNorm`);
  const gLog = ctx.buffer(`${name}.gradNormLog`, grads.length * 4);
  const state = stateNames.map((s) => ctx.upload(`${name}.${s}`, new Float32Array(count)));
  try {
    for (const [i, g] of grads.entries()) {
      if (g.length !== count) throw new RangeError(`${name}: gradient ${i} has ${g.length} elements, params ${count}`);
      ctx.write(gGrads, g);
      await ctx.run(`${name}[${i + 1}]`, (rec) => {
        // Without clipping the update ignores gradNorm; compute it anyway so the log is complete.
        if (maxGradNorm === undefined) encodeGlobalGradNorm(rec, gGrads, gNorm, count, undefined, `${name}.gradNorm`);
        encodeStep(rec, gParams, gGrads, gNorm, state, i + 1);
        rec.copy(gNorm, 0, gLog, 4 * i, 4);
      });
    }
    const out = { params: await ctx.readF32(gParams, count), state: {} as Record<State, Float32Array>, gradNorms: await ctx.readF32(gLog, grads.length) };
    for (const [k, s] of stateNames.entries()) out.state[s] = await ctx.readF32(state[k], count);
    return out;
  } finally {
    ctx.release(gParams, gGrads, gNorm, gLog, ...state);
  }
}

/** One-shot AdamW: from zero moments, one step per gradient; returns params, moments and the logged norms. */
export function adamwStep(ctx: GpuContext, params: Float32Array, grads: Float32Array[], options: AdamwOptions): Promise<OptimRun<'m' | 'v'>> {
  return runSteps(ctx, 'adamw', params, grads, ['m', 'v'], options.maxGradNorm, (rec, p, g, gradNorm, [m, v], step) =>
    encodeAdamwStep(rec, { params: p, grads: g, m, v, gradNorm }, params.length, step, options, `optim.adamwStep[${step}]`));
}

/** One-shot SGD: one step per gradient; returns params, the momentum buffer and the logged norms. */
export function sgdStep(ctx: GpuContext, params: Float32Array, grads: Float32Array[], options: SgdOptions): Promise<OptimRun<'momentum'>> {
  return runSteps(ctx, 'sgd', params, grads, ['momentum'], options.maxGradNorm, (rec, p, g, gradNorm, [momentum], step) =>
    encodeSgdStep(rec, { params: p, grads: g, momentum, gradNorm }, params.length, step, options, `optim.sgdStep[${step}]`));
}

/** CPU reference of the global norm and clip scale (float64). */
export function globalGradNormRef(grads: ArrayLike<number>, maxGradNorm?: number): { norm: number; scale: number } {
  let ss = 0;
  for (let i = 0; i < grads.length; i++) ss += grads[i] * grads[i];
  const norm = Math.sqrt(ss);
  return { norm, scale: maxGradNorm === undefined ? 1 : Math.min(1, maxGradNorm / (norm + CLIP_EPS)) };
}

export interface OptimRunRef<State extends string> {
  params: Float64Array;
  state: Record<State, Float64Array>;
  gradNorms: Float64Array;
}

/** CPU reference of `adamwStep` (float64). */
export function adamwStepRef(params: ArrayLike<number>, grads: ArrayLike<number>[], options: AdamwOptions): OptimRunRef<'m' | 'v'> {
  const o = adamwDefaults(options);
  const n = params.length;
  const p = Float64Array.from(params), m = new Float64Array(n), v = new Float64Array(n);
  const gradNorms = new Float64Array(grads.length);
  for (const [i, g] of grads.entries()) {
    const t = i + 1;
    const { norm, scale } = globalGradNormRef(g, o.maxGradNorm);
    gradNorms[i] = norm;
    if (o.maxGradNorm !== undefined && !Number.isFinite(norm)) continue; // masked on the GPU (shaders/optim.wgsl)
    const bc1 = 1 - o.beta1 ** t, bc2 = 1 - o.beta2 ** t;
    for (let j = 0; j < n; j++) {
      const gj = g[j] * scale;
      m[j] = o.beta1 * m[j] + (1 - o.beta1) * gj;
      v[j] = o.beta2 * v[j] + (1 - o.beta2) * gj * gj;
      p[j] *= 1 - o.lr * o.weightDecay;
      p[j] -= (o.lr / bc1) * m[j] / (Math.sqrt(v[j]) / Math.sqrt(bc2) + o.eps);
    }
  }
  return { params: p, state: { m, v }, gradNorms };
}

/** CPU reference of `sgdStep` (float64). */
export function sgdStepRef(params: ArrayLike<number>, grads: ArrayLike<number>[], options: SgdOptions): OptimRunRef<'momentum'> {
  const o = sgdDefaults(options);
  const n = params.length;
  const p = Float64Array.from(params), buf = new Float64Array(n);
  const gradNorms = new Float64Array(grads.length);
  for (const [i, g] of grads.entries()) {
    const { norm, scale } = globalGradNormRef(g, o.maxGradNorm);
    gradNorms[i] = norm;
    if (o.maxGradNorm !== undefined && !Number.isFinite(norm)) continue; // masked on the GPU (shaders/optim.wgsl)
    for (let j = 0; j < n; j++) {
      let d = g[j] * scale + o.weightDecay * p[j];
      if (o.momentum !== 0) {
        buf[j] = i === 0 ? d : o.momentum * buf[j] + (1 - o.dampening) * d;
        d = o.nesterov ? d + o.momentum * buf[j] : buf[j];
      }
      p[j] -= o.lr * d;
    }
  }
  return { params: p, state: { momentum: buf }, gradNorms };
}
