/**
 * (Over 700 lines: one pass over the graph whose stages share the plan's state; issue 18's "one place per op"
 * moves the per-op lowering out of it, which is where it splits.)
 *
 * From an ONNX model to an execution plan, once per built graph:
 *  1. every op is checked against the executor's table (an unknown op is an error naming the op and the node);
 *  2. `simplify` fixes the shapes (batch etc.), folds constant sub-graphs and sorts the nodes; `propagate` gives
 *     every tensor's concrete dims;
 *  3. nodes are lowered to steps over strided views (view ops make no copies);
 *  4. chains of element-wise steps fuse into one generated kernel; a MatMul's single bias/residual Add fuses into
 *     its epilogue;
 *  5. a liveness-based memory plan assigns temporaries to reusable buffer slots (graph outputs are kept).
 */
import { resolveSlice } from '../interp';
import {
  attrValue, describeNode, getOpset, tensorToInts, tensorToNumbers,
  type DType, type Model, type Node, type Tensor,
} from '../ir';
import { simplify } from '../passes';
import { convParams, convTransposeParams, graphInputsBehind, hasShapeRule, notConstantHint, propagate, reduceAxesOf, splitSizes, type ShapeOptions, type TensorInfo } from '../shapes';
import {
  compactOperands as compact, EwStep, EW_OPS, ewResultType, MAX_EW_BINDINGS, MAX_EW_OPERANDS, sameView, substitute, type Expr,
} from './elementwise';
import { REDUCE_OPS, ReduceStep } from './reduce';
import { matchRowNorm, RowNormStep, type RowNormMatch, type RowStage } from './rownorm';
import {
  ClearStep, ConvStep, GatherElementsStep, GatherNDStep, GatherStep, LayerNormStep, MatmulStep, ScatterStep, SoftmaxStep, type Conv2d,
} from './steps';
import { ExecError, type Alloc, type Step, type Val } from './types';
import {
  broadcastView, contiguousView, isContiguous, numelOf, reshapeView, rowMajor, selectView, sliceView, transposeView,
  type ElemType, type View,
} from './view';

export interface PlanOptions extends ShapeOptions {
  /** Fuse element-wise chains and MatMul epilogues (default true). */
  fuse?: boolean;
  /** Label used in errors. */
  label?: string;
  /** Give every graph output a whole allocation of its own (copying where it would share or be a view). */
  dedicatedOutputs?: boolean;
  /**
   * Values for graph inputs that are fixed for the session (they become initializers before planning), e.g. a
   * backward graph built with `shareConstants`, whose shape tensors must be known at build time.
   */
  constants?: Record<string, Tensor> | Map<string, Tensor>;
}

export interface PlanInput {
  name: string;
  dtype: DType;
  dims: number[];
  alloc: Alloc;
}

export interface PlanOutput {
  name: string;
  dtype: DType;
  dims: number[];
  val: Val;
}

export interface Plan {
  inputs: PlanInput[];
  outputs: PlanOutput[];
  steps: Step[];
  allocs: Alloc[];
  /** Sizes (elements) of the reusable buffer slots temporaries are assigned to. */
  slots: number[];
  /** Ops of the simplified graph, with counts. */
  ops: Record<string, number>;
  /** Sum of temp allocation sizes without reuse vs with (elements), for reporting. */
  memory: { naive: number; planned: number; kept: number };
}

/** Ops lowered to kernels or views. */
const VIEW_OPS = new Set(['Identity', 'Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Transpose', 'Expand', 'Slice', 'Split']);
const KERNEL_OPS = new Set(['MatMul', 'Gemm', 'Softmax', 'LogSoftmax', 'LayerNormalization', 'Gather', 'GatherND',
  'ScatterND', 'Concat', 'Pad', 'Conv', 'ConvTranspose', 'Trilu', 'Tile', 'GatherElements', ...Object.keys(REDUCE_OPS)]);
/** Ops whose outputs only ever come from constant folding here (static shapes). */
const FOLD_ONLY = new Set(['Shape', 'Size', 'Constant', 'ConstantOfShape', 'Range']);

/**
 * Every op the executor claims (default domain): the lowering table (element-wise, views, kernels) and the ops that
 * only fold at build time. tests/onnx/op-support.test.ts checks that each has what "supported" needs (a shape rule,
 * a lowering or a folding), so a claimed op is never refused as unknown (issue 18: PRelu and Softsign).
 */
export function execClaimedOps(): { lowered: string[]; foldOnly: string[] } {
  return { lowered: [...new Set([...Object.keys(EW_OPS), ...VIEW_OPS, ...KERNEL_OPS])].sort(), foldOnly: [...FOLD_ONLY].sort() };
}

/** Whether the executor has a lowering for `op` (tests: a claimed op must have one). */
export function execHasLowering(op: string): boolean {
  return !!op2lower(op);
}

/** Whether the executor runs `op` (default domain). */
export function execSupports(op: string): boolean {
  // Shapes are inferred by ../shapes.ts: an op it does not know cannot be planned either.
  return (op in EW_OPS || VIEW_OPS.has(op) || KERNEL_OPS.has(op)) && hasShapeRule(op);
}

/** Ops of `model` the executor cannot run, as "Op node 'name'" strings. */
export function unsupportedExecOps(model: Model): string[] {
  return model.graph.nodes
    .filter((n) => (n.domain && n.domain !== 'ai.onnx') || !(execSupports(n.op) || FOLD_ONLY.has(n.op)))
    .map(describeNode);
}

export function elemTypeOf(dtype: DType, what: string): ElemType {
  switch (dtype) {
    case 'float32': return 'f32';
    case 'int64': case 'int32': return 'i32';
    case 'bool': return 'bool';
    default: throw new ExecError(`${what}: element type ${dtype} is not supported (float32, int64, int32, bool)`);
  }
}

/** Converts tensor data to the GPU representation of its element type (int64 → i32 with a range check). */
export function toGpuData(t: Tensor, type: ElemType, _what: string): Float32Array | Int32Array | Uint32Array {
  if (type === 'f32') return t.data instanceof Float32Array ? t.data : Float32Array.from(tensorToNumbers(t));
  if (type === 'bool') return Uint32Array.from(tensorToNumbers(t), (v) => (v ? 1 : 0));
  if (t.data instanceof Int32Array) return t.data;
  const v = tensorToNumbers(t);
  const out = new Int32Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    // Values beyond i32 (INT64 sentinels) saturate: they only ever act as "to the end" bounds.
    out[i] = x > 2147483647 ? 2147483647 : x < -2147483648 ? -2147483648 : x;
  }
  return out;
}

const norm = (a: number, r: number) => (a < 0 ? a + r : a);

class Lowering {
  readonly steps: Step[] = [];
  readonly allocs: Alloc[] = [];
  readonly vals = new Map<string, Val>();
  private nextId = 0;

  constructor(
    readonly info: Map<string, TensorInfo>,
    readonly values: Map<string, Tensor>,
    readonly opset: number,
  ) {}

  alloc(kind: Alloc['kind'], type: ElemType, elems: number, name: string): Alloc {
    const a: Alloc = { id: this.nextId++, kind, type, elems, name };
    this.allocs.push(a);
    return a;
  }

  temp(type: ElemType, dims: number[], name: string): Val {
    return { alloc: this.alloc('temp', type, numelOf(dims), name), view: contiguousView(dims) };
  }

  /** The runtime value of a tensor (constants become constant allocations on first use). */
  val(name: string, node?: Node): Val {
    const hit = this.vals.get(name);
    if (hit) return hit;
    const t = this.values.get(name);
    if (!t) throw new ExecError(`${node ? describeNode(node) : 'graph'}: tensor '${name}' has no value`);
    const type = elemTypeOf(t.dtype, `constant '${name}'`);
    const a = this.alloc('const', type, numelOf(t.dims), name);
    a.data = toGpuData(t, type, name);
    const v: Val = { alloc: a, view: contiguousView(t.dims) };
    this.vals.set(name, v);
    return v;
  }

  constValue(name: string): Tensor | undefined {
    return this.values.get(name);
  }

  dims(name: string): number[] {
    const i = this.info.get(name);
    if (!i) throw new ExecError(`internal: no shape for '${name}'`);
    return i.dims;
  }

  type(name: string): ElemType {
    return elemTypeOf(this.info.get(name)!.dtype, `tensor '${name}'`);
  }

  /** A contiguous version of `v` (a copy when its view is strided). */
  contiguous(v: Val, label: string): Val {
    if (isContiguous(v.view)) return v;
    const out = this.temp(v.alloc.type, v.view.dims, `${label}.contiguous`);
    this.steps.push(new EwStep(`${label}.contiguous`, { k: 'in', i: 0 }, [v], out));
    return out;
  }

  /** An element-wise step `op(inputs)` → a new temp of `outDims`; scalar constants become literals. */
  ew(label: string, op: string, inputs: (Val | number | undefined)[], outDims: number[], outType: ElemType, a?: Record<string, number>): Val {
    const operands: Val[] = [];
    const args: Expr[] = [];
    const types: ElemType[] = [];
    for (const x of inputs) {
      if (x === undefined) continue;
      if (typeof x === 'number') {
        args.push({ k: 'lit', v: x, t: outType === 'bool' ? 'f32' : outType });
        types.push(outType);
        continue;
      }
      types.push(x.alloc.type);
      if (x.alloc.kind === 'const' && x.alloc.elems === 1) {
        const v = x.alloc.data![0];
        args.push({ k: 'lit', v: x.alloc.type === 'f32' ? v : x.alloc.type === 'bool' ? v : v | 0, t: x.alloc.type });
        continue;
      }
      args.push({ k: 'in', i: operands.length });
      operands.push({ alloc: x.alloc, view: broadcastView(x.view, outDims) });
    }
    const out = this.temp(outType, outDims, label);
    this.steps.push(new EwStep(label, { k: 'op', op, args, t: outType, a }, operands, out));
    void types;
    return out;
  }

  /** Element-wise copy of `src` (broadcast to `dst`'s dims) into the view `dst`. */
  copyInto(label: string, src: Val, dst: Val): void {
    this.steps.push(new EwStep(label, { k: 'in', i: 0 }, [{ alloc: src.alloc, view: broadcastView(src.view, dst.view.dims) }], dst));
  }
}

type LowerCtx = {
  L: Lowering;
  node: Node;
  label: string;
  /** Runtime value of input i (undefined when omitted). */
  in(i: number): Val | undefined;
  x(i: number): Val;
  ints(i: number): number[] | undefined;
  /** Fails: input i had to fold to a constant (the message names the fix: the `constants` option, …). */
  notConstant(i: number, what: string): never;
  attr(name: string, fallback: number): number;
  attr(name: string, fallback: string): string;
  attr<T>(name: string, fallback: T): T;
  outDims(i: number): number[];
  outType(i: number): ElemType;
  fail(msg: string): never;
};

type Lower = (c: LowerCtx) => (Val | undefined)[];

function viewOut(c: LowerCtx, v: Val, view: View): Val {
  return { alloc: v.alloc, view };
}

/** Reshape to the node's output dims: a view when the strides allow, else a contiguous copy first. */
function reshapeTo(c: LowerCtx, v: Val, dims: number[]): Val {
  const r = reshapeView(v.view, dims);
  if (r) return viewOut(c, v, r);
  const cv = c.L.contiguous(v, c.label);
  return viewOut(c, cv, reshapeView(cv.view, dims)!);
}

const reshapeLike: Lower = (c) => [reshapeTo(c, c.x(0), c.outDims(0))];

function ewLower(c: LowerCtx): (Val | undefined)[] {
  const op = c.node.op;
  const a: Record<string, number> = {};
  for (const k of ['alpha', 'beta', 'fmod', 'detect_positive', 'detect_negative']) {
    const at = c.node.attrs[k];
    if (at && (at.type === 'int' || at.type === 'float')) a[k] = at.value;
  }
  if (op === 'Gelu') a.tanh = c.attr<string>('approximate', 'none') === 'tanh' ? 1 : 0;
  const outType = c.outType(0);
  if (op === 'Clip') {
    const t = c.x(0).alloc.type;
    const lo = c.in(1) ?? (t === 'f32' ? -Infinity : -2147483648);
    const hi = c.in(2) ?? (t === 'f32' ? Infinity : 2147483647);
    return [c.L.ew(c.label, op, [c.x(0), lo, hi], c.outDims(0), outType, a)];
  }
  const ins = c.node.inputs.map((_, i) => c.x(i));
  if (EW_OPS[op] === 'n' && ins.length > MAX_EW_BINDINGS) {
    // Chain wide variadic ops (the binding limit), combining partial results.
    if (op === 'Mean') c.fail('Mean of more than 7 inputs is not supported');
    let acc = c.L.ew(`${c.label}.0`, op, ins.slice(0, MAX_EW_BINDINGS), c.outDims(0), outType, a);
    for (let k = MAX_EW_BINDINGS; k < ins.length; k += MAX_EW_BINDINGS - 1) {
      acc = c.L.ew(`${c.label}.${k}`, op, [acc, ...ins.slice(k, k + MAX_EW_BINDINGS - 1)], c.outDims(0), outType, a);
    }
    return [acc];
  }
  if (op === 'Cast' && ins[0].alloc.type === outType) return [ins[0]];
  const expected = ewResultType(op, ins.map((v) => v.alloc.type), outType);
  if (expected !== outType) c.fail(`result type ${outType} differs from the generator's ${expected}`);
  return [c.L.ew(c.label, op, ins, c.outDims(0), outType, a)];
}

function matmulLower(c: LowerCtx): Val[] {
  const A = c.x(0), B = c.x(1);
  if (A.alloc.type !== 'f32' || B.alloc.type !== 'f32') c.fail('only float32 matmuls are supported');
  const a2 = A.view.dims.length === 1 ? { ...A.view, dims: [1, A.view.dims[0]], strides: [0, A.view.strides[0]] } : A.view;
  const b2 = B.view.dims.length === 1 ? { ...B.view, dims: [B.view.dims[0], 1], strides: [B.view.strides[0], 0] } : B.view;
  const M = a2.dims[a2.dims.length - 2], K = a2.dims[a2.dims.length - 1], N = b2.dims[b2.dims.length - 1];
  if (b2.dims[b2.dims.length - 2] !== K) c.fail(`inner dims differ: [${A.view.dims}] · [${B.view.dims}]`);
  const outDims = c.outDims(0);
  const batch = outDims.slice(0, outDims.length - (A.view.dims.length === 1 ? 0 : 1) - (B.view.dims.length === 1 ? 0 : 1));
  const full = [...batch, M, N];
  const av = broadcastView(a2, [...batch, M, K]);
  const bv = broadcastView(b2, [...batch, K, N]);
  const out = c.L.temp('f32', full, c.label);
  c.L.steps.push(new MatmulStep(c.label, { alloc: A.alloc, view: av }, { alloc: B.alloc, view: bv }, out));
  return [{ alloc: out.alloc, view: contiguousView(outDims) }];
}

function gemmLower(c: LowerCtx): Val[] {
  const A = c.x(0), B = c.x(1), C = c.in(2);
  const av = c.attr('transA', 0) ? transposeView(A.view, [1, 0]) : A.view;
  const bv = c.attr('transB', 0) ? transposeView(B.view, [1, 0]) : B.view;
  const [M, N] = c.outDims(0);
  const out = c.L.temp('f32', [M, N], c.label);
  const beta = c.attr('beta', 1);
  const cv = C && beta !== 0 ? { alloc: C.alloc, view: broadcastView(C.view, [M, N]) } : undefined;
  c.L.steps.push(new MatmulStep(c.label, { alloc: A.alloc, view: av }, { alloc: B.alloc, view: bv }, out, cv, c.attr('alpha', 1), beta));
  return [out];
}

function softmaxLower(c: LowerCtx): Val[] {
  const x = c.L.contiguous(c.x(0), c.label);
  const rank = x.view.dims.length;
  const axis = norm(c.attr('axis', -1), rank);
  const out = c.L.temp('f32', x.view.dims, c.label);
  c.L.steps.push(new SoftmaxStep(c.label, x, out, axis, c.node.op === 'LogSoftmax'));
  return [out];
}

function layerNormLower(c: LowerCtx): (Val | undefined)[] {
  const x = c.L.contiguous(c.x(0), c.label);
  const dims = x.view.dims;
  const axis = norm(c.attr('axis', -1), dims.length);
  const normShape = dims.slice(axis);
  const len = numelOf(normShape);
  const param = (v: Val | undefined, fill: number, what: string): Val => {
    if (!v) return c.L.ew(`${c.label}.${what}`, 'Identity', [fill], normShape, 'f32');
    const b = { alloc: v.alloc, view: broadcastView(v.view, normShape) };
    return c.L.contiguous(b, `${c.label}.${what}`);
  };
  const scale = param(c.x(1), 1, 'scale');
  const bias = param(c.in(2), 0, 'bias');
  const y = c.L.temp('f32', dims, c.label);
  const wantStats = !!(c.node.outputs[1] || c.node.outputs[2]);
  const stat = c.outDims(0).slice(0, axis).concat(normShape.map(() => 1));
  const mean = wantStats ? c.L.temp('f32', stat, `${c.label}.mean`) : undefined;
  const inv = wantStats ? c.L.temp('f32', stat, `${c.label}.invstd`) : undefined;
  c.L.steps.push(new LayerNormStep(c.label, x, scale, bias, y, len, c.attr('epsilon', 1e-5), mean, inv));
  return [y, mean, inv];
}

function reduceLower(c: LowerCtx): Val[] {
  const op = c.node.op;
  const kind = REDUCE_OPS[op];
  const x = c.x(0);
  const rank = x.view.dims.length;
  let axes: number[];
  let selectLast = false;
  if (kind === 'argmax' || kind === 'argmin') {
    axes = [norm(c.attr('axis', 0), rank)];
    selectLast = c.attr<number>('select_last_index', 0) === 1;
  } else {
    axes = reduceAxesOf(c.node, Math.max(c.L.opset, 18), rank, (i) => c.ints(i));
    if (axes.length === 0) return [x];
  }
  const outDims = c.outDims(0);
  const outType = c.outType(0);
  const out = c.L.temp(outType, outDims, c.label);
  const kept = x.view.dims.filter((_, i) => !axes.includes(i));
  const R = numelOf(axes.map((a) => x.view.dims[a]));
  const split = ReduceStep.split(kind, numelOf(kept), R);
  const partial = split ? c.L.alloc('temp', x.alloc.type === 'f32' ? 'f32' : 'i32', numelOf(kept) * split.nChunks, `${c.label}.partial`) : undefined;
  c.L.steps.push(new ReduceStep(c.label, kind, x, axes, out, partial, selectLast));
  return [out];
}

function sliceLower(c: LowerCtx): Val[] {
  const x = c.x(0);
  const r = resolveSlice(x.view.dims, c.ints(1)!, c.ints(2)!, c.ints(3), c.ints(4));
  return [viewOut(c, x, sliceView(x.view, r.start, r.step, r.count))];
}

function splitLower(c: LowerCtx): Val[] {
  const x = c.x(0);
  const dims = x.view.dims;
  const axis = norm(c.attr('axis', 0), dims.length);
  const sizes = splitSizes(c.node, dims[axis], (i) => c.ints(i));
  let at = 0;
  return sizes.map((s) => {
    const start = dims.map((_, i) => (i === axis ? at : 0));
    const count = dims.map((d, i) => (i === axis ? s : d));
    at += s;
    return viewOut(c, x, sliceView(x.view, start, dims.map(() => 1), count));
  });
}

function concatLower(c: LowerCtx): Val[] {
  const dims = c.outDims(0);
  const axis = norm(c.attr('axis', 0), dims.length);
  const out = c.L.temp(c.outType(0), dims, c.label);
  let at = 0;
  c.node.inputs.forEach((_, i) => {
    const part = c.x(i);
    const s = part.view.dims[axis];
    if (s === 0) return;
    const start = dims.map((_, k) => (k === axis ? at : 0));
    const dst = { alloc: out.alloc, view: sliceView(out.view, start, dims.map(() => 1), part.view.dims) };
    c.L.copyInto(`${c.label}.${i}`, part, dst);
    at += s;
  });
  return [out];
}

function padLower(c: LowerCtx): Val[] {
  const mode = c.attr<string>('mode', 'constant');
  if (mode !== 'constant') c.fail(`mode '${mode}' is not supported (constant only)`);
  const x = c.x(0);
  const rank = x.view.dims.length;
  const pads = c.ints(1) ?? c.attr<number[]>('pads', []);
  const axes = (c.ints(3) ?? x.view.dims.map((_, i) => i)).map((a) => norm(a, rank));
  const begin = new Array<number>(rank).fill(0);
  axes.forEach((a, i) => { begin[a] = pads[i]; });
  if (begin.some((b) => b < 0) || pads.some((p) => p < 0)) c.fail('negative pads are not supported');
  const cv = c.node.inputs[2] ? c.L.constValue(c.node.inputs[2]) : undefined;
  if (c.node.inputs[2] && !cv) c.notConstant(2, 'the pad value');
  const value = cv ? tensorToNumbers(cv)[0] : 0;
  const dims = c.outDims(0);
  const out = c.L.temp(c.outType(0), dims, c.label);
  if (value === 0) c.L.steps.push(new ClearStep(`${c.label}.fill`, out.alloc, 0, out.alloc.elems));
  else c.L.steps.push(new EwStep(`${c.label}.fill`, { k: 'lit', v: value, t: out.alloc.type }, [], out));
  c.L.copyInto(`${c.label}.copy`, x, { alloc: out.alloc, view: sliceView(out.view, begin, dims.map(() => 1), x.view.dims) });
  return [out];
}

function gatherLower(c: LowerCtx): Val[] {
  const data = c.x(0);
  const rank = data.view.dims.length;
  const axis = norm(c.attr('axis', 0), rank);
  const d = data.view.dims[axis];
  const ci = c.L.constValue(c.node.inputs[1]);
  if (ci && ci.dims.length === 0) {
    let i = tensorToInts(ci)[0];
    if (i < 0) i += d;
    if (i < 0 || i >= d) c.fail(`index ${tensorToInts(ci)[0]} out of range for an axis of ${d}`);
    return [viewOut(c, data, selectView(data.view, axis, i))];
  }
  const dc = c.L.contiguous(data, `${c.label}.data`);
  const idx = c.L.contiguous(c.x(1), `${c.label}.indices`);
  if (idx.alloc.type !== 'i32') c.fail('indices must be int64 or int32');
  const out = c.L.temp(c.outType(0), c.outDims(0), c.label);
  c.L.steps.push(new GatherStep(c.label, dc, idx, out, axis));
  return [out];
}

function gatherNDLower(c: LowerCtx): Val[] {
  const data = c.L.contiguous(c.x(0), `${c.label}.data`);
  const idx = c.L.contiguous(c.x(1), `${c.label}.indices`);
  const out = c.L.temp(c.outType(0), c.outDims(0), c.label);
  c.L.steps.push(new GatherNDStep(c.label, data, idx, out, c.attr('batch_dims', 0)));
  return [out];
}

function scatterNDLower(c: LowerCtx): Val[] {
  const reduction = c.attr<string>('reduction', 'none');
  if (reduction !== 'none' && reduction !== 'add') c.fail(`reduction '${reduction}' is not supported (none, add)`);
  if (reduction === 'add' && c.outType(0) === 'bool') c.fail('reduction add on bool');
  const dims = c.outDims(0);
  const out = c.L.temp(c.outType(0), dims, c.label);
  const dataName = c.node.inputs[0];
  const cv = c.L.constValue(dataName);
  if (cv && tensorToNumbers(cv).every((v) => v === 0)) c.L.steps.push(new ClearStep(`${c.label}.zeros`, out.alloc, 0, out.alloc.elems));
  else c.L.copyInto(`${c.label}.data`, c.x(0), out);
  const idx = c.L.contiguous(c.x(1), `${c.label}.indices`);
  const upd = c.L.contiguous(c.x(2), `${c.label}.updates`);
  c.L.steps.push(new ScatterStep(c.label, upd, idx, out, reduction as 'none' | 'add'));
  return [out];
}

function convLower(c: LowerCtx): Val[] {
  const transpose = c.node.op === 'ConvTranspose';
  const x = c.L.contiguous(c.x(0), `${c.label}.x`);
  const w = c.L.contiguous(c.x(1), `${c.label}.w`);
  const b = c.in(2) ? c.L.contiguous(c.x(2), `${c.label}.b`) : undefined;
  const X = x.view.dims, Wd = w.view.dims, Y = c.outDims(0);
  const k = X.length - 2;
  if (k !== 1 && k !== 2) c.fail(`${k}-D convolutions are not supported (1-D and 2-D)`);
  // Output dims come from the shape rule (Y); the begin pads from the same resolution of auto_pad/output_shape.
  const p = transpose ? convTransposeParams(c.node, X, Wd) : convParams(c.node, X, Wd);
  const two = (a: number[], fill: number) => (k === 1 ? [fill, a[0]] : a);
  const kernel = two(p.kernel, 1), strides = two(p.strides, 1), dil = two(p.dilations, 1);
  const padsBegin = two(p.pads.slice(0, k), 0);
  const M = transpose ? Wd[1] * p.group : Wd[0];
  const conv: Conv2d = {
    N: X[0], C: X[1], H: k === 1 ? 1 : X[2], W: X[X.length - 1], M, OH: k === 1 ? 1 : Y[2], OW: Y[Y.length - 1],
    KH: kernel[0], KW: kernel[1], sH: strides[0], sW: strides[1], padT: padsBegin[0], padL: padsBegin[1], dH: dil[0], dW: dil[1],
    group: p.group,
  };
  if (conv.C % p.group || M % p.group) c.fail(`channels ${conv.C}/${M} are not divisible by group ${p.group}`);
  const out = c.L.temp('f32', Y, c.label);
  c.L.steps.push(new ConvStep(c.label, transpose ? 'transpose' : 'conv', x, w, out, conv, b));
  return [out];
}

function triluLower(c: LowerCtx): Val[] {
  // A constant keep-mask over the last two dims, applied with Where (shapes are static).
  const x = c.x(0);
  const dims = x.view.dims;
  const R = dims[dims.length - 2], C = dims[dims.length - 1];
  const kv = c.node.inputs[1] ? c.ints(1)![0] : 0;
  const upper = c.attr<number>('upper', 1) === 1;
  const mask = new Uint32Array(R * C);
  for (let i = 0; i < R; i++) for (let j = 0; j < C; j++) mask[i * C + j] = (upper ? j - i >= kv : j - i <= kv) ? 1 : 0;
  const m = c.L.alloc('const', 'bool', R * C, `${c.label}.mask`);
  m.data = mask;
  const zero = x.alloc.type === 'f32' ? 0 : 0;
  return [c.L.ew(c.label, 'Where', [{ alloc: m, view: contiguousView([R, C]) }, x, zero], dims, x.alloc.type)];
}

function tileLower(c: LowerCtx): Val[] {
  // x [d0, d1, …] read as [r0, d0, r1, d1, …] with stride 0 over each repeat, copied out contiguous.
  const x = c.x(0);
  const reps = c.ints(1)!;
  const dims = x.view.dims;
  if (reps.length !== dims.length) c.fail(`repeats has ${reps.length} entries for rank ${dims.length}`);
  if (reps.some((r) => r < 0)) c.fail('negative repeats');
  const view: View = { dims: dims.flatMap((d, i) => [reps[i], d]), strides: x.view.strides.flatMap((s) => [0, s]), offset: x.view.offset };
  const out = c.L.temp(x.alloc.type, c.outDims(0), c.label);
  c.L.steps.push(new EwStep(c.label, { k: 'in', i: 0 }, [{ alloc: x.alloc, view }], { alloc: out.alloc, view: contiguousView(view.dims) }));
  return [out];
}

function gatherElementsLower(c: LowerCtx): Val[] {
  const data = c.L.contiguous(c.x(0), `${c.label}.data`);
  const idx = c.L.contiguous(c.x(1), `${c.label}.indices`);
  const rank = data.view.dims.length;
  if (idx.view.dims.length !== rank) c.fail('indices must have the rank of the data');
  const axis = norm(c.attr('axis', 0), rank);
  const out = c.L.temp(data.alloc.type, c.outDims(0), c.label);
  c.L.steps.push(new GatherElementsStep(c.label, data, idx, out, axis));
  return [out];
}

const LOWER: Record<string, Lower> = {
  Identity: (c) => [c.x(0)],
  Reshape: reshapeLike, Flatten: reshapeLike, Squeeze: reshapeLike, Unsqueeze: reshapeLike,
  Transpose: (c) => {
    const x = c.x(0);
    const perm = c.attr<number[]>('perm', x.view.dims.map((_, i) => x.view.dims.length - 1 - i));
    return [viewOut(c, x, transposeView(x.view, perm))];
  },
  Expand: (c) => [viewOut(c, c.x(0), broadcastView(c.x(0).view, c.outDims(0)))],
  Slice: sliceLower,
  Split: splitLower,
  Concat: concatLower,
  Pad: padLower,
  MatMul: matmulLower,
  Gemm: gemmLower,
  Softmax: softmaxLower,
  LogSoftmax: softmaxLower,
  LayerNormalization: layerNormLower,
  Gather: gatherLower,
  GatherND: gatherNDLower,
  ScatterND: scatterNDLower,
  Conv: convLower,
  ConvTranspose: convLower,
  Trilu: triluLower,
  Tile: tileLower,
  GatherElements: gatherElementsLower,
};
for (const op of Object.keys(REDUCE_OPS)) LOWER[op] = reduceLower;

// ---------------------------------------------------------------------------------------------------------------
// fusion

function readersOf(steps: Step[]): Map<Alloc, Step[]> {
  const m = new Map<Alloc, Step[]>();
  for (const s of steps) for (const a of s.reads()) {
    let l = m.get(a);
    if (!l) m.set(a, (l = []));
    if (!l.includes(s)) l.push(s);
  }
  return m;
}

function writersOf(steps: Step[]): Map<Alloc, Step[]> {
  const m = new Map<Alloc, Step[]>();
  for (const s of steps) for (const a of s.writes()) {
    let l = m.get(a);
    if (!l) m.set(a, (l = []));
    if (!l.includes(s)) l.push(s);
  }
  return m;
}

/** Element-wise producer → consumer fusion (the producer's result lives only in the consumer's registers). */
function fuseElementwise(steps: Step[], kept: Set<Alloc>): Step[] {
  let list = steps;
  for (let changed = true; changed;) {
    changed = false;
    const readers = readersOf(list), writers = writersOf(list);
    for (let si = list.length - 1; si >= 0 && !changed; si--) {
      const C = list[si];
      if (!(C instanceof EwStep)) continue;
      for (const opnd of C.operands) {
        const A = opnd.alloc;
        if (A.kind !== 'temp' || kept.has(A)) continue;
        const w = writers.get(A) ?? [];
        const r = readers.get(A) ?? [];
        if (w.length !== 1 || r.length !== 1 || r[0] !== C) continue;
        const P = w[0];
        if (!(P instanceof EwStep) || P.out.view.offset !== 0 || !isContiguous(P.out.view) || numelOf(P.out.view.dims) !== A.elems) continue;
        const cd = C.out.view.dims;
        if (numelOf(cd) !== A.elems) continue;
        const readsA = C.operands.map((o, i) => (o.alloc === A ? i : -1)).filter((i) => i >= 0);
        const full = contiguousView(cd);
        if (!readsA.every((i) => sameView({ ...C.operands[i].view, strides: C.operands[i].view.strides.map((s, k) => (cd[k] === 1 ? full.strides[k] : s)) }, full))) continue;
        const pOps: Val[] = [];
        let ok = true;
        for (const po of P.operands) {
          const rv = reshapeView(po.view, cd);
          if (!rv) { ok = false; break; }
          pOps.push({ alloc: po.alloc, view: rv });
        }
        if (!ok) continue;
        // Merge: C's operands, then P's; C's references to A become P's expression.
        const base = C.operands.length;
        const pExpr = substitute(P.expr, (i) => ({ k: 'in', i: base + i }));
        const merged = compact(substitute(C.expr, (i) => (readsA.includes(i) ? pExpr : { k: 'in', i })), [...C.operands, ...pOps]);
        if (merged.operands.length > MAX_EW_OPERANDS || new Set(merged.operands.map((o) => o.alloc)).size > MAX_EW_BINDINGS) continue;
        const fused = new EwStep(`${P.label} + ${C.label}`, merged.expr, merged.operands, C.out);
        list = list.filter((s) => s !== P).map((s) => (s === C ? fused : s));
        changed = true;
        break;
      }
    }
  }
  return list;
}

/** MatMul (no addend) → single element-wise Add of a broadcast tensor: the Add becomes the matmul's epilogue. */
function fuseMatmulAdd(steps: Step[], kept: Set<Alloc>): Step[] {
  let list = steps;
  const readers = readersOf(list), writers = writersOf(list);
  for (const C of [...list]) {
    if (!(C instanceof EwStep) || C.expr.k !== 'op' || C.expr.op !== 'Add' || C.out.alloc.type !== 'f32') continue;
    const args = C.expr.args;
    if (args.length !== 2 || args.some((a) => a.k !== 'in')) continue;
    for (let side = 0; side < 2; side++) {
      const mmOp: Val = C.operands[(args[side] as { i: number }).i];
      const other: Val = C.operands[(args[1 - side] as { i: number }).i];
      const A: Alloc = mmOp.alloc;
      if (A.kind !== 'temp' || kept.has(A) || other.alloc === A) continue;
      const w: Step[] = writers.get(A) ?? [], r: Step[] = readers.get(A) ?? [];
      if (w.length !== 1 || r.length !== 1 || r[0] !== C) continue;
      const P = w[0];
      if (!(P instanceof MatmulStep) || P.c) continue;
      if (!isContiguous(mmOp.view) || mmOp.view.offset !== 0 || numelOf(mmOp.view.dims) !== A.elems) continue;
      if (C.out.view.offset !== 0 || !isContiguous(C.out.view) || numelOf(C.out.view.dims) !== A.elems) continue;
      // The addend as a view over the matmul's [batch…, M, N] dims.
      const cv = reshapeView(other.view, P.out.view.dims);
      if (!cv) continue;
      const fused = new MatmulStep(`${P.label} + ${C.label}`, P.a, P.b, { alloc: C.out.alloc, view: contiguousView(P.out.view.dims) },
        { alloc: other.alloc, view: cv }, P.alpha, 1);
      list = list.filter((s) => s !== C).map((s) => (s === P ? fused : s));
      break;
    }
  }
  return list;
}

// ---------------------------------------------------------------------------------------------------------------
// memory plan

function planMemory(steps: Step[], allocs: Alloc[], kept: Set<Alloc>): { slots: number[]; naive: number; planned: number; kept: number } {
  const first = new Map<Alloc, number>(), last = new Map<Alloc, number>();
  steps.forEach((s, i) => {
    for (const a of s.writes()) {
      if (!first.has(a)) first.set(a, i);
      last.set(a, Math.max(last.get(a) ?? i, i));
    }
    for (const a of s.reads()) last.set(a, Math.max(last.get(a) ?? i, i));
  });
  const temps = allocs.filter((a) => a.kind === 'temp' && first.has(a));
  const byStart = new Map<number, Alloc[]>(), byEnd = new Map<number, Alloc[]>();
  for (const a of temps) {
    const s = first.get(a)!;
    (byStart.get(s) ?? byStart.set(s, []).get(s)!).push(a);
    if (!kept.has(a)) {
      const e = last.get(a)!;
      (byEnd.get(e) ?? byEnd.set(e, []).get(e)!).push(a);
    }
  }
  const slots: number[] = [];
  const free = new Set<number>();
  let naive = 0, keptElems = 0;
  for (let i = 0; i < steps.length; i++) {
    for (const a of byStart.get(i) ?? []) {
      naive += a.elems;
      if (kept.has(a)) {
        // Graph outputs keep a slot of their own.
        a.slot = slots.push(Math.max(a.elems, 1)) - 1;
        keptElems += a.elems;
        continue;
      }
      let best = -1;
      for (const s of free) if (slots[s] >= a.elems && (best < 0 || slots[s] < slots[best])) best = s;
      if (best < 0) for (const s of free) if (best < 0 || slots[s] > slots[best]) best = s;
      if (best < 0) best = slots.push(0) - 1;
      slots[best] = Math.max(slots[best], a.elems, 1);
      free.delete(best);
      a.slot = best;
    }
    for (const a of byEnd.get(i) ?? []) free.add(a.slot!);
  }
  return { slots, naive, planned: slots.reduce((x, y) => x + y, 0), kept: keptElems };
}

// ---------------------------------------------------------------------------------------------------------------

/** Builds the execution plan of `model` (see the module comment). */
export function buildPlan(model: Model, o: PlanOptions = {}): Plan {
  const label = o.label ?? 'exec';
  for (const n of model.graph.nodes) {
    const known = !n.domain || n.domain === 'ai.onnx';
    if (!known || !(execSupports(n.op) || FOLD_ONLY.has(n.op))) {
      throw new ExecError(`${label}: unsupported op ${describeNode(n)}: the executor has no kernel for ${n.domain && known ? `${n.domain}.` : ''}${n.op}`);
    }
  }
  if (o.constants) {
    const given = o.constants instanceof Map ? o.constants : new Map(Object.entries(o.constants));
    const g0 = model.graph;
    for (const name of given.keys()) if (!g0.inputs.some((v) => v.name === name)) throw new ExecError(`${label}: constant '${name}' is not a graph input`);
    const initializers = new Map(g0.initializers);
    for (const [k, t] of given) initializers.set(k, t);
    model = { ...model, graph: { ...g0, inputs: g0.inputs.filter((v) => !given.has(v.name)), initializers } };
  }
  let m: Model;
  try {
    m = simplify(model, o);
  } catch (e) {
    throw new ExecError(`${label}: could not fix shapes and fold constants: ${(e as Error).message}`);
  }
  const opset = getOpset(m);
  const { info, values, order } = propagate(m, { ...o, evaluate: true });
  const g = m.graph;
  const ops: Record<string, number> = {};
  for (const n of order) ops[n.op] = (ops[n.op] ?? 0) + 1;
  for (const n of order) {
    if (FOLD_ONLY.has(n.op)) throw new ExecError(`${label}: ${describeNode(n)} has inputs that are not constant; ${n.op} runs only at build time (static shapes)`);
  }
  const L = new Lowering(info, values, opset);
  const inputs: PlanInput[] = [];
  for (const v of g.inputs) {
    if (g.initializers.has(v.name)) continue;
    const i = info.get(v.name)!;
    const a = L.alloc('input', elemTypeOf(i.dtype, `graph input '${v.name}'`), numelOf(i.dims), v.name);
    a.input = v.name;
    L.vals.set(v.name, { alloc: a, view: contiguousView(i.dims) });
    inputs.push({ name: v.name, dtype: i.dtype, dims: [...i.dims], alloc: a });
  }
  // Decomposed LayerNorms (ReduceMean … Sqrt, Div [, Mul scale, Add bias]) run as one kernel each.
  const fusedAway = new Set<Node>();
  const consumers = new Map<string, Node[]>();
  for (const n of order) for (const i of n.inputs) if (i) (consumers.get(i) ?? consumers.set(i, []).get(i)!).push(n);
  const env = {
    opset, consumers, graphOutputs: new Set(g.outputs.map((v) => v.name)),
    dims: (name: string) => info.get(name)?.dims,
    isFloat: (name: string) => info.get(name)?.dtype === 'float32',
    constValue: (name: string) => values.get(name),
    available: (name: string) => L.vals.has(name) || values.has(name),
  };
  for (const node of order) {
    if (fusedAway.has(node)) continue;
    if ((o.fuse ?? true) && node.op === 'ReduceMean') {
      const match = matchRowNorm(env, node);
      if (match) {
        lowerRowNorm(L, match);
        for (const n of match.nodes) fusedAway.add(n);
        continue;
      }
    }
    const lbl = `${node.op} '${node.name || node.outputs[0]}'`;
    const fail = (msg: string): never => { throw new ExecError(`${label}: ${describeNode(node)}: ${msg}`); };
    const notConstant = (i: number, what: string): never => {
      const name = node.inputs[i];
      return fail(`${what} ('${name}') must be a constant; ${notConstantHint(name, graphInputsBehind(g, name, (t) => values.has(t)))}`);
    };
    const c: LowerCtx = {
      L, node, label: lbl, fail,
      in: (i) => (node.inputs[i] ? L.val(node.inputs[i], node) : undefined),
      x: (i) => {
        if (!node.inputs[i]) fail(`input ${i} is missing`);
        return L.val(node.inputs[i], node);
      },
      ints: (i) => {
        const name = node.inputs[i];
        if (!name) return undefined;
        const t = L.constValue(name);
        if (!t) notConstant(i, `input ${i}`);
        return tensorToInts(t!);
      },
      notConstant,
      attr: ((name: string, fallback: unknown) => attrValue(node, name, fallback)) as LowerCtx['attr'],
      outDims: (i) => L.dims(node.outputs[i]),
      outType: (i) => L.type(node.outputs[i]),
    };
    const fn = op2lower(node.op);
    if (!fn) fail(`no kernel for ${node.op}`);
    let outs: (Val | undefined)[];
    try {
      outs = fn!(c);
    } catch (e) {
      if (e instanceof ExecError) throw e;
      throw new ExecError(`${label}: ${describeNode(node)}: ${(e as Error).message}`);
    }
    node.outputs.forEach((name, i) => {
      if (!name) return;
      const v = outs[i];
      if (!v) fail(`output ${i} ('${name}') is not produced by the executor`);
      const want = L.dims(name);
      if (v!.view.dims.join(',') !== want.join(',')) fail(`internal: output '${name}' has dims [${v!.view.dims}], expected [${want}]`);
      L.vals.set(name, v!);
    });
  }
  // Graph outputs: contiguous, held to the end.
  const outputs: PlanOutput[] = [];
  const kept = new Set<Alloc>();
  for (const v of g.outputs) {
    let val = L.val(v.name);
    if (!isContiguous(val.view)) val = L.contiguous(val, `output '${v.name}'`);
    if (o.dedicatedOutputs) {
      // Each output alone in a whole temp allocation, so its buffer can be handed out as is.
      const whole = val.alloc.kind === 'temp' && !kept.has(val.alloc) && val.view.offset === 0 && val.alloc.elems === numelOf(val.view.dims);
      if (!whole) {
        const copy = L.temp(val.alloc.type, val.view.dims, `output '${v.name}'`);
        L.copyInto(`output '${v.name}'.copy`, val, copy);
        val = copy;
      }
    }
    if (val.alloc.kind === 'temp') kept.add(val.alloc);
    const i = info.get(v.name)!;
    outputs.push({ name: v.name, dtype: i.dtype, dims: [...i.dims], val });
  }
  for (const a of kept) a.keep = true;
  let steps = L.steps;
  if (o.fuse ?? true) {
    steps = fuseElementwise(steps, kept);
    steps = fuseMatmulAdd(steps, kept);
  }
  // After fusion some allocations are never written (fused away): drop them.
  const live = new Set<Alloc>();
  for (const s of steps) for (const a of [...s.reads(), ...s.writes()]) live.add(a);
  for (const out of outputs) live.add(out.val.alloc);
  for (const i of inputs) live.add(i.alloc);
  const allocs = L.allocs.filter((a) => live.has(a));
  const mem = planMemory(steps, allocs, kept);
  return { inputs, outputs, steps, allocs, slots: mem.slots, ops, memory: { naive: mem.naive, planned: mem.planned, kept: mem.kept } };
}

function lowerRowNorm(L: Lowering, m: RowNormMatch): void {
  const label = `LayerNorm pattern '${m.nodes[0].name || m.names.mean}'…'${m.nodes.at(-1)!.name || m.nodes.at(-1)!.outputs[0]}'`;
  const x = L.contiguous(L.val(m.x), label);
  const len = x.view.dims[x.view.dims.length - 1];
  const param = (name: string | undefined, what: string) => (name ? L.contiguous(L.val(name), `${label}.${what}`) : undefined);
  const outs: Partial<Record<RowStage, Val>> = {};
  for (const s of m.exported) outs[s] = L.temp('f32', L.dims(m.names[s]!), `${label}.${s}`);
  L.steps.push(new RowNormStep(label, x, len, m.eps, outs, param(m.scale, 'scale'), param(m.bias, 'bias')));
  for (const s of m.exported) L.vals.set(m.names[s]!, outs[s]!);
}

function op2lower(op: string): Lower | undefined {
  if (LOWER[op]) return LOWER[op];
  if (op in EW_OPS) return ewLower;
  return undefined;
}

export { rowMajor };
