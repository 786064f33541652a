/**
 * AoS's prompt attack on GPU buffers (WGSL in shaders/prompt_attack.wgsl), so a training step's text side reads
 * nothing back:
 *  - `encodePromptRadius`: per prompt, the L2 norm of its token-embedding rows up to and including EOS, read straight
 *    from the text tower's flat params → the PGD radius ε_b = epsRel·r_b and step α_b = alphaRel·r_b;
 *  - `encodePromptCe`: the attack's objective — the mean zero-shot CE of the clean views of class y against the class
 *    embeddings where class y's comes from the adversarial text group and the others' from the clean one — as its
 *    gradient w.r.t. the adversarial class embeddings (what the ensemble's backward takes to the prompts).
 * CPU references (`promptRadiusRef`, `promptCeRef`, float64) beside them; checks in promptAttack.check.ts.
 */
import type { GpuContext, Recorder } from '../gpu/context';
import { UniformWriter } from '../gpu/uniforms';
import { itemGrid } from './normalize';
import { requirePositiveIntegers } from './shape';

const WG = 64;

/** EOS position of each of `batch` prompts [batch, T]: the highest token id (where CLIP's text tower pools). */
export function eosPositions(ids: BigInt64Array, batch: number): Uint32Array {
  const T = ids.length / batch, out = new Uint32Array(batch);
  for (let b = 0; b < batch; b++) {
    let eos = 0;
    for (let t = 1; t < T; t++) if (ids[b * T + t] > ids[b * T + eos]) eos = t;
    out[b] = eos;
  }
  return out;
}

export interface PromptRadiusShape {
  batch: number;
  /** Context length T. */
  tokens: number;
  /** Token-embedding width W. */
  width: number;
  /** Element offset of the [vocab, W] token-embedding table in the params buffer. */
  offset: number;
  /** Rows of the table (every id must be below it). */
  vocab: number;
}

function checkRadiusShape(s: PromptRadiusShape): void {
  for (const [k, v] of Object.entries(s)) {
    if (!Number.isInteger(v) || v < (k === 'offset' ? 0 : 1) || v > 0xffffffff) throw new RangeError(`promptRadius: ${k} must be an integer ≥ ${k === 'offset' ? 0 : 1}, got ${v}`);
  }
}

/** Token ids as u32 (checked against the table) and EOS positions, for the radius kernel. */
export function radiusInputs(ids: BigInt64Array, s: PromptRadiusShape): { ids: Uint32Array; eos: Uint32Array } {
  checkRadiusShape(s);
  if (ids.length !== s.batch * s.tokens) throw new RangeError(`promptRadius: ${ids.length} token ids for [${s.batch}, ${s.tokens}]`);
  const out = new Uint32Array(ids.length);
  for (let i = 0; i < ids.length; i++) {
    const v = ids[i];
    if (v < 0n || v >= BigInt(s.vocab)) throw new RangeError(`promptRadius: token id ${v} at ${i} is outside the table's ${s.vocab} rows`);
    out[i] = Number(v);
  }
  return { ids: out, eos: eosPositions(ids, s.batch) };
}

/** eps[b] = epsRel · r_b and alpha[b] = alphaRel · r_b, r_b = ‖token rows of prompt b up to EOS‖. */
export function encodePromptRadius(
  rec: Recorder, b: { params: GPUBuffer; ids: GPUBuffer; eos: GPUBuffer; eps: GPUBuffer; alpha: GPUBuffer }, s: PromptRadiusShape,
  rel: { epsRel: number; alphaRel: number }, label = 'promptRadius',
): void {
  checkRadiusShape(s);
  rec.dispatch({
    shader: 'prompt_attack', entryPoint: 'radius', label,
    uniforms: new UniformWriter().u32(s.batch).u32(s.tokens).u32(s.width).u32(s.offset).u32(0).f32(rel.epsRel).f32(rel.alphaRel).f32(0).bytes(),
    buffers: [b.params, b.ids, b.eos, b.eps, b.alpha], workgroups: itemGrid(s.batch),
  });
}

/** CPU reference of the radius r_b (float64). */
export function promptRadiusRef(params: ArrayLike<number>, ids: ArrayLike<number>, eos: ArrayLike<number>, s: PromptRadiusShape): Float64Array {
  const out = new Float64Array(s.batch);
  for (let b = 0; b < s.batch; b++) {
    let ss = 0;
    for (let t = 0; t <= eos[b]; t++) {
      const row = ids[b * s.tokens + t];
      for (let k = 0; k < s.width; k++) ss += params[s.offset + row * s.width + k] ** 2;
    }
    out[b] = Math.sqrt(ss);
  }
  return out;
}

export interface PromptCeShape {
  /** Clean views N. */
  batch: number;
  classes: number;
  dim: number;
  logitScale: number;
}

function checkCeShape(s: PromptCeShape): void {
  requirePositiveIntegers('promptCe', s, ['batch', 'classes', 'dim']);
  if (!Number.isFinite(s.logitScale)) throw new RangeError(`promptCe: logitScale must be finite, got ${s.logitScale}`);
}

function ceUniforms(s: PromptCeShape): Uint8Array<ArrayBuffer> {
  return new UniformWriter().u32(s.batch).u32(0).u32(s.dim).u32(0).u32(s.classes).f32(0).f32(0).f32(s.logitScale).bytes();
}

/**
 * gClass [C, D] = ∂(mean CE)/∂advClass for unit rows [N, D] of class `labels`, clean and adversarial unit class
 * embeddings [C, D]; `coef` [N] is scratch.
 */
export function encodePromptCe(
  rec: Recorder, b: { unit: GPUBuffer; cleanClass: GPUBuffer; advClass: GPUBuffer; labels: GPUBuffer; coef: GPUBuffer; gClass: GPUBuffer }, s: PromptCeShape,
  label = 'promptCe',
): void {
  checkCeShape(s);
  const uniforms = ceUniforms(s);
  rec.dispatch({ shader: 'prompt_attack', entryPoint: 'sampleCoef', label: `${label}.sampleCoef`, uniforms, buffers: [b.unit, b.cleanClass, b.advClass, b.labels, b.coef], workgroups: [Math.ceil(s.batch / WG)] });
  rec.dispatch({ shader: 'prompt_attack', entryPoint: 'classGrad', label: `${label}.classGrad`, uniforms, buffers: [b.unit, b.labels, b.coef, b.gClass], workgroups: itemGrid(Math.ceil((s.classes * s.dim) / WG)) });
}

/** CPU reference (float64) of `encodePromptCe`'s gClass, the objective of AoS's host path. */
export function promptCeRef(unit: ArrayLike<number>, cleanClass: ArrayLike<number>, advClass: ArrayLike<number>, labels: ArrayLike<number>, s: PromptCeShape): Float64Array {
  const { batch: N, classes: C, dim: D, logitScale: sc } = s;
  const gClass = new Float64Array(C * D), z = new Float64Array(C);
  for (let i = 0; i < N; i++) {
    const y = labels[i];
    let max = -Infinity;
    for (let k = 0; k < C; k++) {
      const t = k === y ? advClass : cleanClass;
      let dot = 0;
      for (let j = 0; j < D; j++) dot += unit[i * D + j] * t[k * D + j];
      z[k] = sc * dot;
      max = Math.max(max, z[k]);
    }
    let sum = 0;
    for (let k = 0; k < C; k++) sum += Math.exp(z[k] - max);
    const f = (sc * (Math.exp(z[y] - max) / sum - 1)) / N;
    for (let j = 0; j < D; j++) gClass[y * D + j] += f * unit[i * D + j];
  }
  return gClass;
}

/** One-shot (checks): the radius kernel on host inputs, read back as [eps, alpha]. */
export async function promptRadius(ctx: GpuContext, params: Float32Array, ids: Uint32Array, eos: Uint32Array, s: PromptRadiusShape, rel: { epsRel: number; alphaRel: number }): Promise<{ eps: Float32Array; alpha: Float32Array }> {
  const b = {
    params: ctx.upload('promptRadius.params', params), ids: ctx.upload('promptRadius.ids', ids), eos: ctx.upload('promptRadius.eos', eos),
    eps: ctx.buffer('promptRadius.eps', s.batch * 4), alpha: ctx.buffer('promptRadius.alpha', s.batch * 4),
  };
  try {
    await ctx.run('promptRadius', (rec) => encodePromptRadius(rec, b, s, rel));
    const [eps, alpha] = await ctx.readMany([{ buffer: b.eps, count: s.batch }, { buffer: b.alpha, count: s.batch }]);
    return { eps: new Float32Array(eps), alpha: new Float32Array(alpha) };
  } finally {
    ctx.release(...Object.values(b));
  }
}

/** One-shot (checks): `encodePromptCe` on host inputs, gClass read back. */
export async function promptCe(ctx: GpuContext, unit: Float32Array, cleanClass: Float32Array, advClass: Float32Array, labels: Uint32Array, s: PromptCeShape): Promise<Float32Array> {
  const b = {
    unit: ctx.upload('promptCe.unit', unit), cleanClass: ctx.upload('promptCe.clean', cleanClass), advClass: ctx.upload('promptCe.adv', advClass),
    labels: ctx.upload('promptCe.labels', labels), coef: ctx.buffer('promptCe.coef', s.batch * 4), gClass: ctx.buffer('promptCe.gClass', s.classes * s.dim * 4),
  };
  try {
    await ctx.run('promptCe', (rec) => encodePromptCe(rec, b, s));
    return await ctx.readF32(b.gClass, s.classes * s.dim);
  } finally {
    ctx.release(...Object.values(b));
  }
}
