/**
 * Self-checks of the executor's generated element-wise kernels: fused multi-op expressions over operands with
 * broadcasting (stride 0) and transposed (strided) views, float, integer and boolean types, against a float64 CPU
 * evaluation of the same expression tree. Tolerance |diff| ≤ 2e-6 + 1e-5·|ref| (f32 arithmetic; the erf
 * approximation is within 1.5e-7).
 */
import type { KernelCheck } from '../../gpu/kernelCheck';
import type { Rng } from '../../util/random';
import { validate } from '../../util/validate';
import type { GpuContext } from '../../gpu/context';
import { EwStep, type Expr } from './elementwise';
import { prepareSteps, recordCommands } from './session';
import type { Alloc, Val } from './types';
import { broadcastView, contiguousView, numelOf, rowMajor, transposeView, type ElemType, type View } from './view';

const IN = (i: number): Expr => ({ k: 'in', i });
const L = (v: number, t: ElemType = 'f32'): Expr => ({ k: 'lit', v, t });
const op = (o: string, t: ElemType, ...args: Expr[]): Expr => ({ k: 'op', op: o, args, t });
const F = (o: string, ...args: Expr[]) => op(o, 'f32', ...args);

/** float64 erf: Maclaurin series below 2.5, asymptotic erfc above (≤ 1e-12 absolute). */
export function erfRef(x: number): number {
  const a = Math.abs(x);
  if (a < 2.5) {
    let term = x, sum = x;
    for (let n = 1; n < 60; n++) {
      term *= (-x * x) / n;
      sum += term / (2 * n + 1);
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  let s = 1, t = 1;
  for (let n = 1; n < 12; n++) {
    t *= -(2 * n - 1) / (2 * a * a);
    s += t;
  }
  const erfc = (Math.exp(-a * a) / (a * Math.sqrt(Math.PI))) * s;
  return Math.sign(x) * (1 - erfc);
}

/** float64 reference of an expression at one output element (operand values given). */
export function evalExpr(e: Expr, x: (i: number) => number): number {
  if (e.k === 'in') return x(e.i);
  if (e.k === 'lit') return e.v;
  const v = e.args.map((a) => evalExpr(a, x));
  const [a, b, c] = v;
  const int = e.t === 'i32';
  switch (e.op) {
    case 'Identity': return a;
    case 'Cast': return e.t === 'bool' ? (a !== 0 ? 1 : 0) : e.t === 'i32' ? Math.trunc(a) : a;
    case 'Neg': return -a;
    case 'Abs': return Math.abs(a);
    case 'Sqrt': return Math.sqrt(a);
    case 'Exp': return Math.exp(a);
    case 'Log': return Math.log(a);
    case 'Tanh': return Math.tanh(a);
    case 'Erf': return erfRef(a);
    case 'Sigmoid': return 1 / (1 + Math.exp(-a));
    case 'Add': return a + b;
    case 'Sub': return a - b;
    case 'Mul': return a * b;
    case 'Div': return int ? (b === 0 ? 0 : Math.trunc(a / b)) : a / b;
    case 'Pow': return a ** b;
    case 'Mod': { if (b === 0) return 0; const r = a % b; return r !== 0 && (r < 0) !== (b < 0) ? r + b : r; }
    case 'Less': return a < b ? 1 : 0;
    case 'Greater': return a > b ? 1 : 0;
    case 'Equal': return a === b ? 1 : 0;
    case 'And': return a && b ? 1 : 0;
    case 'Not': return a ? 0 : 1;
    case 'Where': return a ? b : c;
    case 'Max': return Math.max(...v);
    default: throw new Error(`evalExpr: no reference for ${e.op}`);
  }
}

interface Template {
  name: string;
  expr: Expr;
  types: ElemType[];
  outType: ElemType;
  gen: (rng: Rng, n: number, i: number) => number[];
  /** Absolute tolerance when the default 2e-6 is below what WGSL promises for the built-ins used. */
  atol?: number;
}

const sym = (lo: number, hi: number) => (rng: Rng, n: number) => Array.from(rng.uniform(n, lo, hi));

export const EW_TEMPLATES: Template[] = [
  {
    name: 'erf-sigmoid-tanh',
    expr: F('Add', F('Mul', F('Erf', IN(0)), F('Sigmoid', IN(1))), F('Tanh', IN(2))),
    types: ['f32', 'f32', 'f32'], outType: 'f32', gen: sym(-4, 4),
    // WGSL's tanh inherits sinh/cosh's accuracy, i.e. exp's (3 + 2|x|) ULP: up to ~2.6e-6 at |x| = 4 on a term of
    // size ~1, which stays absolute when erf·sigmoid cancels it (|ref| ≈ 0). Seen: 2.26e-6 (AOS_SEED=774598491).
    atol: 4e-6,
  },
  {
    name: 'gelu-and-quick-gelu',
    expr: F('Add',
      F('Mul', F('Mul', IN(0), L(0.5)), F('Add', L(1), F('Erf', F('Mul', IN(0), L(Math.SQRT1_2))))),
      F('Mul', IN(1), F('Sigmoid', F('Mul', IN(1), L(1.702))))),
    types: ['f32', 'f32', 'f32'], outType: 'f32', gen: sym(-3, 3),
  },
  {
    name: 'where-pow-exp-div',
    expr: F('Div',
      F('Where', op('Less', 'bool', IN(0), IN(1)), F('Pow', F('Add', F('Abs', IN(0)), L(0.5)), IN(2)), F('Exp', F('Neg', F('Mul', IN(1), IN(1))))),
      F('Sqrt', F('Add', F('Abs', IN(2)), L(1)))),
    types: ['f32', 'f32', 'f32'], outType: 'f32', gen: sym(-2, 2),
  },
  {
    name: 'decomposed-layernorm-pieces',
    expr: F('Add', F('Mul', F('Div', F('Sub', IN(0), IN(1)), F('Sqrt', F('Add', F('Pow', IN(2), L(2)), L(1e-5)))), IN(1)), F('Max', IN(0), IN(2), L(0.25))),
    types: ['f32', 'f32', 'f32'], outType: 'f32', gen: sym(-3, 3),
  },
  {
    name: 'integer-mod-div-pow',
    expr: op('Cast', 'f32', op('Add', 'i32', op('Mod', 'i32', IN(0), IN(1)), op('Mul', 'i32', op('Div', 'i32', IN(0), IN(1)), op('Pow', 'i32', IN(2), L(2, 'i32'))))),
    types: ['i32', 'i32', 'i32'], outType: 'f32',
    gen: (rng, n, i) => Array.from({ length: n }, () => (i === 1 ? (rng.next() < 0.5 ? -1 : 1) * rng.int(1, 6) : rng.int(-9, 10))),
  },
  {
    name: 'boolean-logic',
    expr: op('Cast', 'f32', op('And', 'bool', op('Greater', 'bool', IN(0), IN(1)), op('Not', 'bool', IN(2)))),
    types: ['f32', 'f32', 'bool'], outType: 'f32',
    gen: (rng, n, i) => (i === 2 ? Array.from({ length: n }, () => (rng.next() < 0.5 ? 1 : 0)) : Array.from(rng.uniform(n, -1, 1))),
  },
];

function upload(ctx: GpuContext, type: ElemType, values: number[]): GPUBuffer {
  const data = type === 'f32' ? Float32Array.from(values) : type === 'i32' ? Int32Array.from(values) : Uint32Array.from(values);
  return ctx.upload('ew-check.operand', data);
}

/** Runs one template on random shapes: operand 0 full and stored transposed, 1 and 2 broadcast. */
export async function runEwTemplate(ctx: GpuContext, rng: Rng, t: Template) {
  const dims = [rng.int(1, 4), rng.int(2, 6), rng.int(3, 7)];
  const shapes = [dims, [1, dims[1], 1], [dims[2]]];
  const allocs: Alloc[] = [];
  const bufs = new Map<Alloc, GPUBuffer>();
  const views: View[] = [];
  const data: number[][] = [];
  const operands: Val[] = shapes.map((s, i) => {
    const n = numelOf(s);
    const vals = t.gen(rng, n, i);
    const a: Alloc = { id: i, type: t.types[i], elems: n, kind: 'temp', name: `operand${i}` };
    let v: View;
    if (i === 0) {
      // Stored as [d2, d0, d1] row-major; viewed as [d0, d1, d2].
      v = transposeView(contiguousView([s[2], s[0], s[1]]), [1, 2, 0]);
    } else v = contiguousView(s);
    allocs.push(a);
    bufs.set(a, upload(ctx, t.types[i], vals));
    data.push(vals);
    const bv = broadcastView(v, dims);
    views.push(bv);
    return { alloc: a, view: bv };
  });
  const n = numelOf(dims);
  const outAlloc: Alloc = { id: 9, type: t.outType, elems: n, kind: 'temp', name: 'out' };
  const outBuf = ctx.buffer('ew-check.out', n * 4);
  bufs.set(outAlloc, outBuf);
  const step = new EwStep(`ew-check ${t.name}`, t.expr, operands, { alloc: outAlloc, view: contiguousView(dims) });
  const own: GPUBuffer[] = [];
  const prepared = prepareSteps(ctx, 'ew-check', [step], (b) => (own.push(b), b));
  try {
    await ctx.run(`ew-check ${t.name}`, (rec) => {
      rec.endPass();
      recordCommands(ctx, 'ew-check', rec.encoder, prepared, (a) => bufs.get(a)!);
    });
    const got = t.outType === 'f32' ? await ctx.readF32(outBuf, n) : Float32Array.from(new Int32Array((await ctx.readU32(outBuf, n)).buffer));
    const st = rowMajor(dims);
    const ref = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      const idx = dims.map((_, d) => Math.floor(k / st[d]) % dims[d]);
      ref[k] = evalExpr(t.expr, (i) => {
        const v = views[i];
        let off = v.offset;
        idx.forEach((c, d) => { off += c * v.strides[d]; });
        return data[i][off];
      });
    }
    return validate(got, ref, t.atol ?? 2e-6, 1e-5, `exec element-wise ${t.name} [${dims}]`);
  } finally {
    ctx.release(...bufs.values(), ...own);
  }
}

export const execChecks: KernelCheck[] = EW_TEMPLATES.map((t) => ({
  name: `exec/elementwise-${t.name}`,
  run: (ctx: GpuContext, rng: Rng) => runEwTemplate(ctx, rng, t),
}));
