/**
 * Reductions over any set of axes of a strided view: one invocation per (output element, chunk) loops over the
 * reduced elements. When few outputs reduce many elements, a first pass writes per-chunk partials and a second pass
 * combines them (no workgroup memory, no barriers). Text is generated per reduction kind only; dims, strides and
 * offsets are uniforms. ArgMax/ArgMin track the index along their single axis.
 */
import type { Alloc, Command, ShaderTexts, Step, Val } from './types';
import { ExecError, Fields, grid1d } from './types';
import { literal, MAX_RANK } from './elementwise';
import { coalesce, numelOf, type ElemType, type View } from './view';

export type ReduceKind = 'sum' | 'mean' | 'max' | 'min' | 'prod' | 'sumsquare' | 'l1' | 'l2' | 'logsumexp' | 'argmax' | 'argmin';

export const REDUCE_OPS: Record<string, ReduceKind> = {
  ReduceSum: 'sum', ReduceMean: 'mean', ReduceMax: 'max', ReduceMin: 'min', ReduceProd: 'prod',
  ReduceSumSquare: 'sumsquare', ReduceL1: 'l1', ReduceL2: 'l2', ReduceLogSumExp: 'logsumexp',
  ArgMax: 'argmax', ArgMin: 'argmin',
};

const WGSL_T: Record<ElemType, string> = { f32: 'f32', i32: 'i32', bool: 'u32' };

interface Pass {
  /** Accumulator combine: 'sum' | 'max' | 'min' | 'prod'. */
  acc: 'sum' | 'max' | 'min' | 'prod';
  /** Map applied to each loaded element (x) before accumulating. */
  pre: string;
  /** Applied to the accumulator (a) before storing; `scale` is a uniform. */
  fin: string;
}

function passes(kind: ReduceKind, split: boolean): Pass[] {
  const main: Record<string, Pass> = {
    sum: { acc: 'sum', pre: 'x', fin: 'a' },
    mean: { acc: 'sum', pre: 'x', fin: 'a * scale' },
    max: { acc: 'max', pre: 'x', fin: 'a' },
    min: { acc: 'min', pre: 'x', fin: 'a' },
    prod: { acc: 'prod', pre: 'x', fin: 'a' },
    sumsquare: { acc: 'sum', pre: 'x * x', fin: 'a' },
    l1: { acc: 'sum', pre: 'abs(x)', fin: 'a' },
    l2: { acc: 'sum', pre: 'x * x', fin: 'sqrt(a)' },
  };
  const m = main[kind];
  if (!m) throw new ExecError(`internal: no pass plan for ${kind}`);
  if (!split) return [m];
  return [{ acc: m.acc, pre: m.pre, fin: 'a' }, { acc: m.acc, pre: 'x', fin: m.fin }];
}

function init(acc: Pass['acc'], t: ElemType): string {
  if (acc === 'sum') return t === 'f32' ? '0.0' : '0';
  if (acc === 'prod') return t === 'f32' ? '1.0' : '1';
  if (t === 'f32') return literal(acc === 'max' ? -Infinity : Infinity, 'f32');
  return literal(acc === 'max' ? -2147483648 : 2147483647, 'i32');
}

function combine(acc: Pass['acc'], a: string, x: string): string {
  switch (acc) {
    case 'sum': return `${a} + ${x}`;
    case 'prod': return `${a} * ${x}`;
    case 'max': return `max(${a}, ${x})`;
    case 'min': return `min(${a}, ${x})`;
  }
}

// Uniform words: [outCount, keptRank, redRank, R, chunk, nChunks, inOffset, scale(f32), keptDims[8], keptStrides[8],
// redDims[8], redStrides[8]].
const KD = 8, KS = KD + MAX_RANK, RD = KS + MAX_RANK, RS = RD + MAX_RANK, WORDS = RS + MAX_RANK;

function header(common: string, inT: ElemType, outT: ElemType): string {
  return `${common}
struct Params { v: array<vec4<u32>, ${WORDS / 4}> }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<${WGSL_T[inT]}>;
@group(0) @binding(2) var<storage, read_write> out: array<${WGSL_T[outT]}>;
fn P(i: u32) -> u32 { return p.v[i >> 2u][i & 3u]; }
fn S(i: u32) -> i32 { return bitcast<i32>(p.v[i >> 2u][i & 3u]); }

// Offset of output element o's first input (kept coordinates).
fn baseOffset(o: u32) -> i32 {
  var off: i32 = S(6u);
  var rem: u32 = o;
  let kr = P(1u);
  for (var k: u32 = 0u; k < kr; k = k + 1u) {
    let d = kr - 1u - k;
    let size = P(${KD}u + d);
    off = off + i32(rem % size) * S(${KS}u + d);
    rem = rem / size;
  }
  return off;
}

// Offset of reduced element r relative to the base.
fn redOffset(r: u32) -> i32 {
  let rr = P(2u);
  if (rr == 1u) { return i32(r) * S(${RS}u); }
  var off: i32 = 0;
  var rem: u32 = r;
  for (var k: u32 = 0u; k < rr; k = k + 1u) {
    let d = rr - 1u - k;
    let size = P(${RD}u + d);
    off = off + i32(rem % size) * S(${RS}u + d);
    rem = rem / size;
  }
  return off;
}
`;
}

/** WGSL of one reduction pass (value kinds) over elements of type `t`. */
export function reduceShader(common: string, pass: Pass, t: ElemType): string {
  const T = t === 'f32' ? 'f32' : 'i32';
  const load = t === 'bool' ? 'select(0, 1, src[u32(base + redOffset(r))] != 0u)' : `src[u32(base + redOffset(r))]`;
  return `${header(common, t, t === 'bool' ? 'i32' : t)}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = gid.x + gid.y * nwg.x * 256u;
  let nChunks = P(5u);
  if (idx >= P(0u) * nChunks) { return; }
  let o = idx / nChunks;
  let ch = idx % nChunks;
  let chunk = P(4u);
  let R = P(3u);
  let base = baseOffset(o);
  let scale = bitcast<f32>(P(7u));
  var a: ${T} = ${init(pass.acc, t)};
  let r0 = ch * chunk;
  let r1 = min(R, r0 + chunk);
  for (var r: u32 = r0; r < r1; r = r + 1u) {
    let x: ${T} = ${load};
    a = ${combine(pass.acc, 'a', pass.pre)};
  }
  out[idx] = ${pass.fin.replace('scale', t === 'f32' ? 'scale' : 'i32(scale)')};
}
`;
}

/** WGSL of ArgMax/ArgMin (or the stable log-sum-exp) along one reduced axis. */
export function argShader(common: string, kind: 'argmax' | 'argmin' | 'logsumexp', t: ElemType, selectLast: boolean): string {
  const T = t === 'f32' ? 'f32' : 'i32';
  const load = t === 'bool' ? 'select(0, 1, src[u32(base + redOffset(r))] != 0u)' : `src[u32(base + redOffset(r))]`;
  if (kind === 'logsumexp') {
    return `${header(common, t, 'f32')}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = gid.x + gid.y * nwg.x * 256u;
  if (idx >= P(0u)) { return; }
  let R = P(3u);
  let base = baseOffset(idx);
  var m: f32 = ${literal(-Infinity, 'f32')};
  // An empty axis: log(Σ over nothing) = log 0 = −∞ (ONNX's test_reduce_log_sum_exp_empty_set), not −∞ + log 0.
  if (R == 0u) { out[idx] = m; return; }
  for (var r: u32 = 0u; r < R; r = r + 1u) { m = max(m, f32(${load})); }
  var s: f32 = 0.0;
  for (var r: u32 = 0u; r < R; r = r + 1u) { s = s + exp(f32(${load}) - m); }
  out[idx] = m + log(s);
}
`;
  }
  const better = kind === 'argmax' ? (selectLast ? '>=' : '>') : (selectLast ? '<=' : '<');
  return `${header(common, t, 'i32')}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = gid.x + gid.y * nwg.x * 256u;
  if (idx >= P(0u)) { return; }
  let R = P(3u);
  let base = baseOffset(idx);
  var best: ${T} = ${init(kind === 'argmax' ? 'max' : 'min', t)};
  var bi: i32 = 0;
  for (var r: u32 = 0u; r < R; r = r + 1u) {
    let x: ${T} = ${load};
    if (r == 0u || x ${better} best) { best = x; bi = i32(r); }
  }
  out[idx] = bi;
}
`;
}

function reduceUniforms(outCount: number, kept: { dims: number[]; strides: number[] }, red: { dims: number[]; strides: number[] },
  offset: number, chunk: number, nChunks: number, scale: number): Uint32Array {
  if (kept.dims.length > MAX_RANK || red.dims.length > MAX_RANK) throw new ExecError('reduction: rank exceeds 8 after coalescing');
  return new Fields().u(outCount).u(kept.dims.length).u(Math.max(red.dims.length, 1)).u(numelOf(red.dims)).u(chunk).u(nChunks)
    .i(offset).f(scale)
    .is(kept.dims, MAX_RANK, 1).is(kept.strides, MAX_RANK).is(red.dims.length ? red.dims : [1], MAX_RANK, 1).is(red.strides.length ? red.strides : [0], MAX_RANK)
    .done(WORDS);
}

/**
 * `out` = reduction of `src` over `axes` (keepdims only changes the output's dims, which the caller sets). The output
 * is a fresh contiguous allocation in the order of the kept axes. `partial` is a temp for split reductions.
 */
export class ReduceStep implements Step {
  constructor(
    public label: string,
    public kind: ReduceKind,
    public src: Val,
    public axes: number[],
    public out: Val,
    public partial?: Alloc,
    public selectLast = false,
  ) {}

  /**
   * Chunking for a two-pass reduction, or undefined for one pass: when the outputs alone give fewer than ~16K
   * invocations, the reduced range splits into chunks of at least 64 elements (up to 256 chunks).
   */
  static split(kind: ReduceKind, outCount: number, R: number): { chunk: number; nChunks: number } | undefined {
    if (kind === 'argmax' || kind === 'argmin' || kind === 'logsumexp') return undefined;
    const nChunks = Math.min(256, Math.ceil(16384 / Math.max(outCount, 1)), Math.floor(R / 64));
    if (nChunks < 4) return undefined;
    const chunk = Math.ceil(R / nChunks);
    return { chunk, nChunks: Math.ceil(R / chunk) };
  }

  reads(): Alloc[] {
    return [this.src.alloc];
  }

  writes(): Alloc[] {
    return this.partial ? [this.partial, this.out.alloc] : [this.out.alloc];
  }

  commands(sh: ShaderTexts): Command[] {
    const v: View = this.src.view;
    const axes = new Set(this.axes);
    const keptIdx = v.dims.map((_, i) => i).filter((i) => !axes.has(i));
    const redIdx = v.dims.map((_, i) => i).filter((i) => axes.has(i));
    const kc = coalesce(keptIdx.map((i) => v.dims[i]), [keptIdx.map((i) => v.strides[i])]);
    const rc = coalesce(redIdx.map((i) => v.dims[i]), [redIdx.map((i) => v.strides[i])]);
    const kept = { dims: kc.dims, strides: kc.strides[0] };
    const red = { dims: rc.dims, strides: rc.strides[0] };
    const outCount = numelOf(kept.dims);
    const R = numelOf(red.dims);
    if (outCount === 0) return [];
    const t = this.src.alloc.type;
    const label = this.label;
    if (this.kind === 'argmax' || this.kind === 'argmin' || this.kind === 'logsumexp') {
      if (R === 0 && this.kind !== 'logsumexp') throw new ExecError(`${label}: ${this.kind} over an empty axis`);
      return [{
        kind: 'dispatch', label, code: argShader(sh.common, this.kind, t, this.selectLast), entry: 'main',
        uniforms: reduceUniforms(outCount, kept, red, v.offset, R, 1, 1), bindings: [this.src.alloc, this.out.alloc], workgroups: grid1d(outCount),
      }];
    }
    const scale = this.kind === 'mean' ? 1 / R : 1;
    const split = ReduceStep.split(this.kind, outCount, R);
    const ps = passes(this.kind, !!split);
    if (!split) {
      return [{
        kind: 'dispatch', label, code: reduceShader(sh.common, ps[0], t), entry: 'main',
        uniforms: reduceUniforms(outCount, kept, red, v.offset, R, 1, scale), bindings: [this.src.alloc, this.out.alloc], workgroups: grid1d(outCount),
      }];
    }
    if (!this.partial) throw new ExecError(`internal: ${label} needs a partials buffer`);
    const tt: ElemType = t === 'bool' ? 'i32' : t;
    return [
      {
        kind: 'dispatch', label: `${label}.partial`, code: reduceShader(sh.common, ps[0], t), entry: 'main',
        uniforms: reduceUniforms(outCount, kept, red, v.offset, split.chunk, split.nChunks, 1),
        bindings: [this.src.alloc, this.partial], workgroups: grid1d(outCount * split.nChunks),
      },
      {
        kind: 'dispatch', label: `${label}.combine`, code: reduceShader(sh.common, ps[1], tt), entry: 'main',
        uniforms: reduceUniforms(outCount, { dims: [outCount], strides: [split.nChunks] }, { dims: [split.nChunks], strides: [1] }, 0, split.nChunks, 1, scale),
        bindings: [this.partial, this.out.alloc], workgroups: grid1d(outCount),
      },
    ];
  }
}
