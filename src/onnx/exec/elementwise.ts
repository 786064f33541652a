/**
 * The generic element-wise kernel. An expression tree over operands (strided views broadcast to the output's dims)
 * becomes WGSL text: one invocation per output element decomposes its index over the (coalesced) output dims and
 * reads each operand at offset + Σ index·stride. Shapes, strides and offsets live in the uniform, so the text depends
 * only on the expression, operand types and the operand → binding map: one pipeline serves every shape. Chains of
 * element-wise nodes fuse into one expression (plan.ts). Scalar float constants (ε, scales) are uniforms too, so the
 * text does not depend on their values either; only a constant exponent of Pow (2, 3, ½, …) specialises the text.
 */
import type { Alloc, Command, ShaderTexts, Step, Val } from './types';
import { ExecError, Fields, grid1d } from './types';
import { coalesce, numelOf, type ElemType, type View } from './view';

export const MAX_RANK = 8;
/** Storage bindings per dispatch: inputs + 1 output stays within the WebGPU default of 8. */
export const MAX_EW_BINDINGS = 7;
export const MAX_EW_OPERANDS = 12;

export type Expr =
  | { k: 'in'; i: number }
  | { k: 'lit'; v: number; t: ElemType }
  | { k: 'op'; op: string; args: Expr[]; t: ElemType; a?: Record<string, number> };

type Arg = { c: string; t: ElemType; e: Expr };

const WGSL_T: Record<ElemType, string> = { f32: 'f32', i32: 'i32', bool: 'u32' };

function f32Lit(v: number): string {
  const u = new Uint32Array(new Float32Array([v]).buffer)[0];
  const hex = `0x${u.toString(16).padStart(8, '0')}u`;
  return Number.isFinite(v) ? `bitcast<f32>(${hex})` : `ex_f32bits(${hex})`;
}

export function literal(v: number, t: ElemType): string {
  if (t === 'f32') return f32Lit(v);
  if (t === 'i32') return `bitcast<i32>(0x${((v | 0) >>> 0).toString(16)}u)`;
  return v ? 'true' : 'false';
}

function cast(a: Arg, to: ElemType): string {
  if (a.t === to) return a.c;
  if (to === 'f32') return a.t === 'bool' ? `select(0.0, 1.0, ${a.c})` : `f32(${a.c})`;
  if (to === 'i32') return a.t === 'bool' ? `select(0, 1, ${a.c})` : `i32(${a.c})`;
  return a.t === 'f32' ? `(${a.c} != 0.0)` : `(${a.c} != 0)`;
}

/** Element-wise ops the generator knows, with their arity ('n' = variadic). */
export const EW_OPS: Record<string, number | 'n'> = {
  Identity: 1, Neg: 1, Abs: 1, Sqrt: 1, Exp: 1, Log: 1, Tanh: 1, Erf: 1, Sigmoid: 1, Relu: 1, Reciprocal: 1,
  Floor: 1, Ceil: 1, Round: 1, Sign: 1, Sin: 1, Cos: 1, Softplus: 1, Softsign: 1, Elu: 1, LeakyRelu: 1,
  HardSigmoid: 1, Gelu: 1, Not: 1, IsNaN: 1, IsInf: 1, Cast: 1,
  Add: 2, Sub: 2, Mul: 2, Div: 2, Pow: 2, Mod: 2, PRelu: 2,
  Equal: 2, Less: 2, Greater: 2, LessOrEqual: 2, GreaterOrEqual: 2, And: 2, Or: 2, Xor: 2,
  Where: 3, Clip: 3, Sum: 'n', Max: 'n', Min: 'n', Mean: 'n',
};

/** Result type of an element-wise op from its input types (Cast: the `to` element type). */
export function ewResultType(op: string, ins: ElemType[], castTo?: ElemType): ElemType {
  switch (op) {
    case 'Equal': case 'Less': case 'Greater': case 'LessOrEqual': case 'GreaterOrEqual':
    case 'And': case 'Or': case 'Xor': case 'Not': case 'IsNaN': case 'IsInf':
      return 'bool';
    case 'Cast': return castTo!;
    case 'Where': return ins[1];
    default: return ins[0];
  }
}

function opCode(op: string, args: Arg[], t: ElemType, a: Record<string, number> = {}): string {
  const [x, y] = args;
  const isF = t === 'f32';
  const zero = isF ? '0.0' : '0';
  const num = (k: string, d: number) => (a[k] ?? d);
  switch (op) {
    case 'Identity': return x.c;
    case 'Cast': return cast(x, t);
    case 'Neg': return `(-${x.c})`;
    case 'Abs': return `abs(${x.c})`;
    case 'Sign': return `sign(${x.c})`;
    case 'Relu': return `max(${x.c}, ${zero})`;
    case 'Sqrt': return `sqrt(${x.c})`;
    case 'Exp': return `exp(${x.c})`;
    case 'Log': return `log(${x.c})`;
    case 'Tanh': return `ex_tanh(${x.c})`;
    case 'Erf': return `ex_erf(${x.c})`;
    case 'Sigmoid': return `ex_sigmoid(${x.c})`;
    case 'Reciprocal': return `(1.0 / ${x.c})`;
    case 'Floor': return `floor(${x.c})`;
    case 'Ceil': return `ceil(${x.c})`;
    case 'Round': return `ex_round(${x.c})`;
    case 'Sin': return `ex_sin(${x.c})`;
    case 'Cos': return `ex_cos(${x.c})`;
    case 'Softplus': return `ex_softplus(${x.c})`;
    case 'Softsign': return `(${x.c} / (1.0 + abs(${x.c})))`;
    case 'Elu': return `select(${f32Lit(num('alpha', 1))} * (exp(${x.c}) - 1.0), ${x.c}, ${x.c} > 0.0)`;
    case 'LeakyRelu': return `select(${f32Lit(num('alpha', 0.01))} * ${x.c}, ${x.c}, ${x.c} >= 0.0)`;
    case 'HardSigmoid': return `clamp(${f32Lit(num('alpha', 0.2))} * ${x.c} + ${f32Lit(num('beta', 0.5))}, 0.0, 1.0)`;
    case 'Gelu':
      return num('tanh', 0)
        ? `(0.5 * ${x.c} * (1.0 + ex_tanh(${f32Lit(Math.sqrt(2 / Math.PI))} * (${x.c} + ${f32Lit(0.044715)} * ${x.c} * ${x.c} * ${x.c}))))`
        : `(0.5 * ${x.c} * (1.0 + ex_erf(${x.c} * ${f32Lit(Math.SQRT1_2)})))`;
    case 'Not': return `(!${x.c})`;
    case 'IsNaN': return `ex_isnan(${x.c})`;
    case 'IsInf': {
      const pos = num('detect_positive', 1), neg = num('detect_negative', 1);
      if (pos && neg) return `ex_isinf(${x.c})`;
      if (pos) return `(ex_isinf(${x.c}) && ${x.c} > 0.0)`;
      if (neg) return `(ex_isinf(${x.c}) && ${x.c} < 0.0)`;
      return 'false';
    }
    case 'Add': return `(${x.c} + ${cast(y, t)})`;
    case 'Sub': return `(${x.c} - ${cast(y, t)})`;
    case 'Mul': return `(${x.c} * ${cast(y, t)})`;
    case 'Div': return isF ? `(${x.c} / ${y.c})` : `ex_idiv(${x.c}, ${y.c})`;
    case 'Pow': {
      if (!isF) return `ex_ipow(${x.c}, ${cast(y, 'i32')})`;
      if (y.e.k === 'lit') {
        const v = y.e.v;
        if (v === 1) return x.c;
        if (v === 2) return `(${x.c} * ${x.c})`;
        if (v === 3) return `(${x.c} * ${x.c} * ${x.c})`;
        if (v === 0.5) return `sqrt(${x.c})`;
        if (v === -1) return `(1.0 / ${x.c})`;
        if (v === -0.5) return `inverseSqrt(${x.c})`;
      }
      return `ex_pow(${x.c}, ${cast(y, 'f32')})`;
    }
    case 'Mod':
      if (isF) return num('fmod', 0) ? `(${x.c} - ${y.c} * trunc(${x.c} / ${y.c}))` : `(${x.c} - ${y.c} * floor(${x.c} / ${y.c}))`;
      return num('fmod', 0) ? `select(${x.c} % ${y.c}, 0, ${y.c} == 0)` : `ex_imod(${x.c}, ${y.c})`;
    case 'PRelu': return `select(${y.c} * ${x.c}, ${x.c}, ${x.c} >= ${zero})`;
    case 'Equal': return `(${x.c} == ${y.c})`;
    case 'Less': return `(${x.c} < ${y.c})`;
    case 'Greater': return `(${x.c} > ${y.c})`;
    case 'LessOrEqual': return `(${x.c} <= ${y.c})`;
    case 'GreaterOrEqual': return `(${x.c} >= ${y.c})`;
    case 'And': return `(${x.c} && ${y.c})`;
    case 'Or': return `(${x.c} || ${y.c})`;
    case 'Xor': return `(${x.c} != ${y.c})`;
    case 'Where': return `select(${args[2].c}, ${y.c}, ${x.c})`;
    case 'Clip': {
      let c = x.c;
      if (args[1]) c = `max(${c}, ${args[1].c})`;
      if (args[2]) c = `min(${c}, ${args[2].c})`;
      return c;
    }
    case 'Sum': return `(${args.map((q) => q.c).join(' + ')})`;
    case 'Mean': return `((${args.map((q) => q.c).join(' + ')}) / ${f32Lit(args.length)})`;
    case 'Max': return args.slice(1).reduce((acc, q) => `max(${acc}, ${q.c})`, x.c);
    case 'Min': return args.slice(1).reduce((acc, q) => `min(${acc}, ${q.c})`, x.c);
    default: throw new ExecError(`element-wise generator: unknown op ${op}`);
  }
}

export interface EwLayout {
  /** Per operand: its binding (index among input bindings). */
  binding: number[];
  /** Element type per input binding. */
  bindingTypes: ElemType[];
  outType: ElemType;
}

const POW_SPECIAL = new Set([1, 2, 3, 0.5, -1, -0.5]);

/** Consecutive elements of the innermost (coalesced) dim each invocation computes. */
export const EW_PER_THREAD = 4;

/**
 * WGSL for `expr` (operand i read as `in i`) over outputs of coalesced rank `rank` (1…8, part of the text: the
 * index decomposition is unrolled, no loop over a runtime rank — on software adapters that loop cost 3×), and the
 * values of its float constants. Each invocation computes up to EW_PER_THREAD consecutive elements of the innermost
 * dim, stepping every offset by its innermost stride (one index decomposition per EW_PER_THREAD elements).
 * Uniform (u32 words): [n, rank, chunksPerRow, threads, dims[8], outOffset, outStrides[8], then per operand:
 * offset, strides[8], then the float constants]. Bindings: 0 uniform, 1.. inputs, last output.
 */
export function ewShader(common: string, expr: Expr, layout: EwLayout, rank = MAX_RANK): { code: string; consts: number[] } {
  const R = Math.max(1, Math.min(rank, MAX_RANK));
  const nOps = layout.binding.length;
  const constBase = 4 + MAX_RANK + 1 + MAX_RANK + nOps * (1 + MAX_RANK);
  const consts: number[] = [];
  const lines: string[] = [];
  const memo = new Map<Expr, Arg>();
  let n = 0;
  const used = new Set<number>();
  const gen = (e: Expr): Arg => {
    const hit = memo.get(e);
    if (hit) return hit;
    let r: Arg;
    if (e.k === 'in') {
      used.add(e.i);
      const bt = layout.bindingTypes[layout.binding[e.i]];
      const load = `b${layout.binding[e.i]}[o${e.i}]`;
      r = { c: bt === 'bool' ? `(${load} != 0u)` : load, t: bt, e };
    } else if (e.k === 'lit') {
      if (e.t === 'f32') {
        let k = consts.findIndex((v) => Object.is(v, e.v) || (Number.isNaN(v) && Number.isNaN(e.v)));
        if (k < 0) k = consts.push(e.v) - 1;
        r = { c: `k${k}`, t: e.t, e };
      } else r = { c: literal(e.v, e.t), t: e.t, e };
    } else {
      const special = e.op === 'Pow' && e.t === 'f32' && e.args[1].k === 'lit' && POW_SPECIAL.has(e.args[1].v);
      const args = special ? [gen(e.args[0]), { c: '', t: 'f32' as ElemType, e: e.args[1] }] : e.args.map(gen);
      const code = opCode(e.op, args, e.t, e.a);
      const name = `v${n++}`;
      lines.push(`    let ${name}: ${e.t === 'bool' ? 'bool' : e.t} = ${code};`);
      r = { c: name, t: e.t, e };
    }
    memo.set(e, r);
    return r;
  };
  const root = gen(expr);
  const value = root.t === layout.outType ? root.c : cast(root, layout.outType);
  const store = layout.outType === 'bool' ? `select(0u, 1u, ${value})` : value;
  const decl = layout.bindingTypes.map((t, b) => `@group(0) @binding(${b + 1}) var<storage, read> b${b}: array<${WGSL_T[t]}>;`);
  const outBinding = layout.bindingTypes.length + 1;
  const offs = [...used].sort((a, b) => a - b);
  const opBase = (i: number) => 4 + MAX_RANK + 1 + MAX_RANK + i * (1 + MAX_RANK);
  const OS = 4 + MAX_RANK + 1;
  const words = constBase + consts.length;
  const last = R - 1;
  // Index decomposition of the row (dims 0 … R-2), innermost first, unrolled.
  const dec: string[] = [];
  for (let d = R - 2; d >= 0; d--) {
    const c = d === 0 ? 'rem' : `(rem % P(${4 + d}u))`;
    dec.push(`  let c${d} = i32(${c});`);
    if (d > 0) dec.push(`  rem = rem / P(${4 + d}u);`);
    dec.push(`  oo = oo + c${d} * S(${OS + d}u);`);
    for (const i of offs) dec.push(`  o${i} = o${i} + c${d} * S(${opBase(i) + 1 + d}u);`);
  }
  const code = `${common}
struct Params { v: array<vec4<u32>, ${Math.ceil(words / 4)}> }
@group(0) @binding(0) var<uniform> p: Params;
${decl.join('\n')}
@group(0) @binding(${outBinding}) var<storage, read_write> out: array<${WGSL_T[layout.outType]}>;
fn P(i: u32) -> u32 { return p.v[i >> 2u][i & 3u]; }
fn S(i: u32) -> i32 { return bitcast<i32>(p.v[i >> 2u][i & 3u]); }

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = gid.x + gid.y * nwg.x * 256u;
  if (t >= P(3u)) { return; }
  let chunks = P(2u);
  let inner = P(${4 + last}u);
  let j0 = (t % chunks) * ${EW_PER_THREAD}u;
  var rem: u32 = t / chunks;
  var oo: i32 = S(${OS - 1}u) + i32(j0) * S(${OS + last}u);
${offs.map((i) => `  var o${i}: i32 = S(${opBase(i)}u) + i32(j0) * S(${opBase(i) + 1 + last}u);`).join('\n')}
${dec.join('\n')}
${consts.map((_, k) => `  let k${k} = bitcast<f32>(P(${constBase + k}u));`).join('\n')}
  let so = S(${OS + last}u);
${offs.map((i) => `  let s${i} = S(${opBase(i) + 1 + last}u);`).join('\n')}
  let e = min(${EW_PER_THREAD}u, inner - j0);
  for (var j: u32 = 0u; j < e; j = j + 1u) {
${lines.join('\n')}
    out[oo] = ${store};
    oo = oo + so;
${offs.map((i) => `    o${i} = o${i} + s${i};`).join('\n')}
  }
}
`;
  return { code, consts };
}

/** Uniform words for an element-wise dispatch (views already broadcast to `out.dims`), its rank and thread count. */
export function ewUniforms(out: View, operands: View[], consts: number[] = []): { words: Uint32Array; n: number; rank: number; threads: number } {
  const n = numelOf(out.dims);
  const c = coalesce(out.dims, [out.strides, ...operands.map((v) => v.strides)]);
  if (c.dims.length > MAX_RANK) throw new ExecError(`element-wise kernel: rank ${c.dims.length} after coalescing exceeds ${MAX_RANK}`);
  if (c.dims.length === 0) {
    // A single element: one dim of 1.
    c.dims.push(1);
    c.strides.forEach((s) => s.push(0));
  }
  const rank = c.dims.length;
  const inner = c.dims[rank - 1];
  const chunks = Math.ceil(inner / EW_PER_THREAD);
  const threads = (n / inner) * chunks;
  const f = new Fields().u(n).u(rank).u(chunks).u(threads).is(c.dims, MAX_RANK, 1).i(out.offset).is(c.strides[0], MAX_RANK);
  operands.forEach((v, i) => f.i(v.offset).is(c.strides[i + 1], MAX_RANK));
  for (const v of consts) f.f(v);
  return { words: f.done(), n, rank, threads };
}

/** An element-wise step: `out = expr(operands)`; operand views are broadcast to the output's dims. */
export class EwStep implements Step {
  public expr: Expr;
  public operands: Val[];

  constructor(
    public label: string,
    expr: Expr,
    operands: Val[],
    public out: Val,
  ) {
    // Identical operands merged, unused ones dropped: every declared binding is used by the kernel.
    const c = compactOperands(expr, operands);
    this.expr = c.expr;
    this.operands = c.operands;
    for (const o of operands) {
      if (o.view.dims.join(',') !== out.view.dims.join(',')) throw new ExecError(`${label}: operand dims [${o.view.dims}] differ from output [${out.view.dims}]`);
    }
  }

  reads(): Alloc[] {
    return [...new Set(this.operands.map((o) => o.alloc))];
  }

  writes(): Alloc[] {
    return [this.out.alloc];
  }

  bindingCount(): number {
    return new Set(this.operands.map((o) => o.alloc)).size;
  }

  layout(): EwLayout {
    const allocs: Alloc[] = [];
    const binding = this.operands.map((o) => {
      let b = allocs.indexOf(o.alloc);
      if (b < 0) b = allocs.push(o.alloc) - 1;
      return b;
    });
    return { binding, bindingTypes: allocs.map((a) => a.type), outType: this.out.alloc.type };
  }

  commands(sh: ShaderTexts): Command[] {
    const n = numelOf(this.out.view.dims);
    if (n === 0) return [];
    const layout = this.layout();
    const allocs: Alloc[] = [];
    for (const o of this.operands) if (!allocs.includes(o.alloc)) allocs.push(o.alloc);
    // The rank (part of the text) and the constants' count (which the uniform layout depends on) come first.
    const probe = ewUniforms(this.out.view, this.operands.map((o) => o.view));
    const { code, consts } = ewShader(sh.common, this.expr, layout, probe.rank);
    const { words, threads } = ewUniforms(this.out.view, this.operands.map((o) => o.view), consts);
    return [{
      kind: 'dispatch', label: this.label, code, entry: 'main',
      uniforms: words, bindings: [...allocs, this.out.alloc], workgroups: grid1d(threads),
    }];
  }
}

export const sameView = (a: View, b: View) => a.offset === b.offset && a.dims.join() === b.dims.join() && a.strides.join() === b.strides.join();

/** Merges identical operands and drops unused ones. */
export function compactOperands(expr: Expr, operands: Val[]): { expr: Expr; operands: Val[] } {
  const used = [...exprInputs(expr)].sort((a, b) => a - b);
  const out: Val[] = [];
  const map = new Map<number, number>();
  for (const i of used) {
    const o = operands[i];
    let j = out.findIndex((q) => q.alloc === o.alloc && sameView(q.view, o.view));
    if (j < 0) j = out.push(o) - 1;
    map.set(i, j);
  }
  const memo = new Map<number, Expr>();
  return { expr: substitute(expr, (i) => memo.get(i) ?? (memo.set(i, { k: 'in', i: map.get(i)! }), memo.get(i)!)), operands: out };
}

/** Replaces operand references: `in i` → `map(i)`. */
export function substitute(e: Expr, map: (i: number) => Expr): Expr {
  const memo = new Map<Expr, Expr>();
  const go = (x: Expr): Expr => {
    const hit = memo.get(x);
    if (hit) return hit;
    const r: Expr = x.k === 'in' ? map(x.i) : x.k === 'lit' ? x : { ...x, args: x.args.map(go) };
    memo.set(x, r);
    return r;
  };
  return go(e);
}

/** Operand indices an expression reads. */
export function exprInputs(e: Expr, acc = new Set<number>()): Set<number> {
  if (e.k === 'in') acc.add(e.i);
  else if (e.k === 'op') for (const a of e.args) exprInputs(a, acc);
  return acc;
}
