/**
 * Shape inference with concrete dims, fused with constant evaluation.
 *
 * `propagate` walks the graph in topological order, computing every tensor's dtype and concrete dims (symbolic dims
 * of graph inputs are resolved from `inputShapes` / `dims`, e.g. the batch size fixed per built graph) and, where
 * all inputs are constant, its value (`interp.ts`). `Shape` and `Size` of any tensor are constants here, which is
 * what lets the exporters' Shape → Gather → Unsqueeze → Concat → Reshape chains fold away.
 */
import { broadcastShapes, evaluate, resolveReshape, resolveSlice, squeezeDims, unsqueezeDims } from './interp';
import {
  attrValue, describeNode, dtypeFromCode, numel, tensorToInts, topoSort,
  type DType, type Graph, type Model, type Node, type Tensor,
} from './ir';
import { GraphError } from './errors';
import { convParams, convTransposeParams } from './convParams';

export { convParams, convTransposeParams, type ConvParams, type ConvTransposeParams } from './convParams';

export interface TensorInfo {
  dtype: DType;
  dims: number[];
}

export interface ShapeOptions {
  /** Concrete dims per graph input name (override the declared ones). */
  inputShapes?: Record<string, number[]>;
  /** Values of symbolic dims (dim_param) of graph inputs, e.g. `{ batch: 4, sequence: 77 }`. */
  dims?: Record<string, number>;
  /** Value for the leading dim of any input whose leading dim is symbolic or unknown. */
  batch?: number;
}

export interface PropagateOptions extends ShapeOptions {
  /** Evaluate nodes whose inputs are all constant (default true). */
  evaluate?: boolean;
  /** Tensors whose values must not be propagated to consumers (trainable weights, perturbation targets). */
  keep?: ReadonlySet<string>;
  /** Skip evaluating nodes producing more elements than this (default 2^26), checked on the inferred shape before
   * anything is allocated. DequantizeLinear is always evaluated. */
  maxFoldElements?: number;
  /** Folding stops with an error once it has taken this long (default 20 s): a file must not stall the tab. */
  foldTimeBudgetMs?: number;
}

/** The largest element count any inferred tensor may have: above it the file is refused (a crafted size bomb). */
export const MAX_TENSOR_ELEMENTS = 2 ** 32;

/** Names of tensors the graph outputs depend on: nodes producing nothing in it are neither evaluated nor required. */
function liveTensors(g: Graph): Set<string> {
  const producer = new Map<string, Node>();
  for (const n of g.nodes) for (const o of n.outputs) if (o) producer.set(o, n);
  const live = new Set<string>();
  const stack = g.outputs.map((v) => v.name);
  while (stack.length) {
    const name = stack.pop()!;
    if (live.has(name)) continue;
    live.add(name);
    const n = producer.get(name);
    if (!n) continue;
    for (const i of n.inputs) if (i && !live.has(i)) stack.push(i);
    for (const a of Object.values(n.attrs)) if (a.type === 'graph' || a.type === 'graphs') for (const sg of a.type === 'graph' ? [a.value] : a.value) for (const sn of sg.nodes) for (const i of sn.inputs) if (i && !live.has(i)) stack.push(i);
  }
  return live;
}

/** Refuses shapes no real model has: negative, fractional, non-finite or ≥ 2^53 dims, or too many elements. */
function checkInferredShape(node: Node, output: number, dims: number[]): void {
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) throw new GraphError(`${describeNode(node)}: output ${output} has an invalid dim ${d} in [${dims.join(',')}]`);
  }
  if (numel(dims) > MAX_TENSOR_ELEMENTS) throw new GraphError(`${describeNode(node)}: output ${output} has ${numel(dims)} elements ([${dims.join(',')}]), over the limit of ${MAX_TENSOR_ELEMENTS}`);
}

/** A Transpose perm must be a permutation of 0…rank-1 (a crafted one would otherwise read undefined dims). */
export function checkPerm(node: Node, perm: number[], rank: number): number[] {
  const seen = new Set(perm);
  if (perm.length !== rank || seen.size !== rank || perm.some((p) => !Number.isInteger(p) || p < 0 || p >= rank)) {
    throw new GraphError(`${describeNode(node)}: perm [${perm.join(',')}] is not a permutation of 0…${rank - 1}`);
  }
  return perm;
}

export interface PropagateResult {
  info: Map<string, TensorInfo>;
  /** Constant values: initializers (except kept ones' consumers see none) and evaluated node outputs. */
  values: Map<string, Tensor>;
  /** Nodes in topological order. */
  order: Node[];
}

/** Concrete dims for every graph input, or an error naming the input and the unresolved dim. */
export function resolveInputShapes(g: Graph, o: ShapeOptions): Map<string, TensorInfo> {
  const out = new Map<string, TensorInfo>();
  for (const v of g.inputs) {
    if (g.initializers.has(v.name) && !o.inputShapes?.[v.name]) continue;
    const given = o.inputShapes?.[v.name];
    if (given) {
      out.set(v.name, { dtype: v.dtype, dims: [...given] });
      continue;
    }
    if (!v.dims) throw new Error(`graph input '${v.name}' has unknown rank; pass inputShapes['${v.name}']`);
    const dims = v.dims.map((d, i) => {
      if (typeof d === 'number' && d >= 0) {
        if (!Number.isSafeInteger(d)) throw new GraphError(`graph input '${v.name}' dim ${i} is ${d}, not a valid size`);
        return d;
      }
      if (typeof d === 'string' && o.dims?.[d] !== undefined) return o.dims[d];
      if (i === 0 && o.batch !== undefined) return o.batch;
      throw new Error(`graph input '${v.name}' dim ${i} is ${typeof d === 'string' ? `symbolic ('${d}')` : 'unknown'}; pass ${typeof d === 'string' ? `dims: { ${d}: … }, ` : ''}batch or inputShapes['${v.name}']`);
    });
    out.set(v.name, { dtype: v.dtype, dims });
  }
  return out;
}

interface ShapeCtx {
  node: Node;
  opset: number;
  /** Input info (undefined when the optional input is omitted). */
  in(i: number): TensorInfo | undefined;
  /** Input info, required. */
  x(i: number): TensorInfo;
  /** Constant integer values of input i (undefined if omitted). Throws if present but not constant. */
  ints(i: number, what: string): number[] | undefined;
  attr(name: string, fallback: number): number;
  attr<T>(name: string, fallback: T): T;
  /** Inputs given (non-empty names). */
  count: number;
}

type ShapeFn = (c: ShapeCtx) => TensorInfo[];

const same: ShapeFn = (c) => [{ ...c.x(0), dims: [...c.x(0).dims] }];
const broadcast: ShapeFn = (c) => {
  const xs = c.node.inputs.map((_, i) => c.x(i));
  return [{ dtype: xs[0].dtype, dims: broadcastShapes(...xs.map((t) => t.dims)) }];
};
const compare: ShapeFn = (c) => [{ dtype: 'bool', dims: broadcastShapes(c.x(0).dims, c.x(1).dims) }];
const boolSame: ShapeFn = (c) => [{ dtype: 'bool', dims: [...c.x(0).dims] }];

/**
 * An axis in [-rank, rank) (Flatten: [-rank, rank], `upTo`) made non-negative; anything else (a hostile 2^31) is
 * refused before it indexes an array.
 */
function normAxis(a: number, rank: number, upTo = false): number {
  const hi = upTo ? rank + 1 : rank;
  if (!Number.isInteger(a) || a < -rank || a >= hi) throw new RangeError(`axis ${a} is outside [${-rank}, ${hi}) for a rank-${rank} tensor`);
  return a < 0 ? a + rank : a;
}

function reduceAxes(c: ShapeCtx, axesFromInput: boolean): number[] {
  const rank = c.x(0).dims.length;
  const axes = axesFromInput ? c.ints(1, 'axes') : c.attr<number[] | undefined>('axes', undefined);
  if (!axes || axes.length === 0) return c.attr('noop_with_empty_axes', 0) ? [] : c.x(0).dims.map((_, i) => i);
  return axes.map((a) => normAxis(a, rank));
}

/** Reduce* axes for a node at the given opset (input from 18, ReduceSum from 13). */
export function reduceAxesOf(node: Node, opset: number, rank: number, constInts: (i: number) => number[] | undefined): number[] {
  const fromInput = node.op === 'ReduceSum' ? opset >= 13 : opset >= 18;
  const axes = fromInput ? (node.inputs[1] ? constInts(1) : undefined) : attrValue<number[] | undefined>(node, 'axes', undefined);
  if (fromInput && node.inputs[1] && !axes) throw new Error(`${describeNode(node)}: axes must be a constant`);
  if (!axes || axes.length === 0) return attrValue(node, 'noop_with_empty_axes', 0) ? [] : Array.from({ length: rank }, (_, i) => i);
  return axes.map((a) => normAxis(a, rank));
}

const reduce: ShapeFn = (c) => {
  const x = c.x(0);
  const ax = new Set(reduceAxes(c, c.node.op === 'ReduceSum' ? c.opset >= 13 : c.opset >= 18));
  const keep = c.attr('keepdims', 1) === 1;
  const dims = keep ? x.dims.map((d, i) => (ax.has(i) ? 1 : d)) : x.dims.filter((_, i) => !ax.has(i));
  return [{ dtype: x.dtype, dims }];
};

const SHAPES: Record<string, ShapeFn> = {
  Identity: same, Neg: same, Abs: same, Sqrt: same, Exp: same, Log: same, Tanh: same, Erf: same, Sigmoid: same,
  Relu: same, Softmax: same, LogSoftmax: same, Gelu: same, Floor: same, Ceil: same, Round: same, Reciprocal: same,
  Sign: same, Sin: same, Cos: same, Trilu: same, LeakyRelu: same, Clip: same, Softplus: same, Elu: same, HardSigmoid: same,
  Softsign: same,
  // PRelu broadcasts the slope to X only (unidirectional): the output has X's shape.
  PRelu: (c) => {
    const x = c.x(0).dims, dims = broadcastShapes(x, c.x(1).dims);
    if (dims.join(',') !== x.join(',')) throw new GraphError(`${describeNode(c.node)}: slope [${c.x(1).dims}] does not broadcast to X [${x}]`);
    return [{ dtype: c.x(0).dtype, dims }];
  },
  Add: broadcast, Sub: broadcast, Mul: broadcast, Div: broadcast, Pow: (c) => [{ dtype: c.x(0).dtype, dims: broadcastShapes(c.x(0).dims, c.x(1).dims) }],
  Max: broadcast, Min: broadcast, Sum: broadcast, Mean: broadcast, Mod: broadcast,
  Equal: compare, Less: compare, Greater: compare, LessOrEqual: compare, GreaterOrEqual: compare, And: compare, Or: compare, Xor: compare,
  Not: boolSame, IsNaN: boolSame, IsInf: boolSame,
  Where: (c) => [{ dtype: c.x(1).dtype, dims: broadcastShapes(c.x(0).dims, c.x(1).dims, c.x(2).dims) }],
  Cast: (c) => [{ dtype: dtypeFromCode(c.attr('to', 1)), dims: [...c.x(0).dims] }],
  CastLike: (c) => [{ dtype: c.x(1).dtype, dims: [...c.x(0).dims] }],
  Shape: (c) => {
    const rank = c.x(0).dims.length;
    let s = c.attr('start', 0), e = c.attr('end', rank);
    if (s < 0) s += rank;
    if (e < 0) e += rank;
    s = Math.min(Math.max(s, 0), rank);
    e = Math.min(Math.max(e, 0), rank);
    return [{ dtype: 'int64', dims: [Math.max(0, e - s)] }];
  },
  Size: () => [{ dtype: 'int64', dims: [] }],
  Constant: () => { throw new Error('Constant is evaluated, not shape-inferred'); },
  MatMul: (c) => {
    const a = c.x(0).dims, b = c.x(1).dims;
    const A = a.length === 1 ? [1, a[0]] : a, B = b.length === 1 ? [b[0], 1] : b;
    if (A[A.length - 1] !== B[B.length - 2]) throw new GraphError(`${describeNode(c.node)}: inner dims of [${a}] and [${b}] differ`);
    const batch = broadcastShapes(A.slice(0, -2), B.slice(0, -2));
    const dims = [...batch, ...(a.length === 1 ? [] : [A[A.length - 2]]), ...(b.length === 1 ? [] : [B[B.length - 1]])];
    return [{ dtype: c.x(0).dtype, dims }];
  },
  Gemm: (c) => {
    const a = c.x(0).dims, b = c.x(1).dims;
    const M = c.attr('transA', 0) ? a[1] : a[0];
    const N = c.attr('transB', 0) ? b[0] : b[1];
    return [{ dtype: c.x(0).dtype, dims: [M, N] }];
  },
  Conv: (c) => {
    const x = c.x(0).dims, w = c.x(1).dims;
    const p = convParams(c.node, x, w);
    const k = x.length - 2;
    const spatial = Array.from({ length: k }, (_, i) =>
      Math.floor((x[2 + i] + p.pads[i] + p.pads[i + k] - p.dilations[i] * (p.kernel[i] - 1) - 1) / p.strides[i]) + 1);
    return [{ dtype: c.x(0).dtype, dims: [x[0], w[0], ...spatial] }];
  },
  ConvTranspose: (c) => {
    const x = c.x(0).dims, w = c.x(1).dims;
    const p = convTransposeParams(c.node, x, w);
    return [{ dtype: c.x(0).dtype, dims: [x[0], w[1] * p.group, ...p.out] }];
  },
  LayerNormalization: (c) => {
    const x = c.x(0);
    const a = normAxis(c.attr('axis', -1), x.dims.length);
    const stat = x.dims.map((d, i) => (i < a ? d : 1));
    const statType: DType = c.attr('stash_type', 1) === 1 ? 'float32' : x.dtype;
    return [{ dtype: x.dtype, dims: [...x.dims] }, { dtype: statType, dims: stat }, { dtype: statType, dims: [...stat] }];
  },
  ReduceMean: reduce, ReduceSum: reduce, ReduceMax: reduce, ReduceMin: reduce, ReduceProd: reduce, ReduceL2: reduce,
  ReduceSumSquare: reduce, ReduceLogSumExp: reduce, ReduceL1: reduce,
  ArgMin: (c) => SHAPES.ArgMax(c),
  ArgMax: (c) => {
    const x = c.x(0).dims;
    const a = normAxis(c.attr('axis', 0), x.length);
    const dims = c.attr('keepdims', 1) ? x.map((d, i) => (i === a ? 1 : d)) : x.filter((_, i) => i !== a);
    return [{ dtype: 'int64', dims }];
  },
  Reshape: (c) => [{ dtype: c.x(0).dtype, dims: resolveReshape(c.x(0).dims, c.ints(1, 'shape')!, c.attr('allowzero', 0) === 1) }],
  Flatten: (c) => {
    const x = c.x(0).dims;
    const a = normAxis(c.attr('axis', 1), x.length, true);
    return [{ dtype: c.x(0).dtype, dims: [numel(x.slice(0, a)), numel(x.slice(a))] }];
  },
  Unsqueeze: (c) => [{ dtype: c.x(0).dtype, dims: unsqueezeDims(c.x(0).dims, c.opset >= 13 ? c.ints(1, 'axes')! : c.attr<number[]>('axes', [])) }],
  Squeeze: (c) => [{ dtype: c.x(0).dtype, dims: squeezeDims(c.x(0).dims, c.opset >= 13 ? c.ints(1, 'axes') : c.attr<number[] | undefined>('axes', undefined)) }],
  Transpose: (c) => {
    const x = c.x(0).dims;
    const perm = checkPerm(c.node, c.attr<number[]>('perm', x.map((_, i) => x.length - 1 - i)), x.length);
    return [{ dtype: c.x(0).dtype, dims: perm.map((p) => x[p]) }];
  },
  Concat: (c) => {
    const parts = c.node.inputs.map((_, i) => c.x(i));
    const a = normAxis(c.attr('axis', 0), parts[0].dims.length);
    const dims = [...parts[0].dims];
    dims[a] = parts.reduce((s, t) => s + t.dims[a], 0);
    return [{ dtype: parts[0].dtype, dims }];
  },
  Split: (c) => {
    const x = c.x(0);
    const a = normAxis(c.attr('axis', 0), x.dims.length);
    const sizes = splitSizes(c.node, x.dims[a], (i) => c.ints(i, 'split'));
    return sizes.map((s) => ({ dtype: x.dtype, dims: x.dims.map((d, i) => (i === a ? s : d)) }));
  },
  Slice: (c) => {
    const r = resolveSlice(c.x(0).dims, c.ints(1, 'starts')!, c.ints(2, 'ends')!, c.ints(3, 'axes'), c.ints(4, 'steps'));
    return [{ dtype: c.x(0).dtype, dims: r.count }];
  },
  Expand: (c) => [{ dtype: c.x(0).dtype, dims: broadcastShapes(c.x(0).dims, c.ints(1, 'shape')!) }],
  Tile: (c) => {
    const reps = c.ints(1, 'repeats')!;
    if (reps.length !== c.x(0).dims.length) throw new GraphError(`${describeNode(c.node)}: ${reps.length} repeats for a rank-${c.x(0).dims.length} input`);
    return [{ dtype: c.x(0).dtype, dims: c.x(0).dims.map((d, i) => d * reps[i]) }];
  },
  Gather: (c) => {
    const x = c.x(0).dims;
    const a = normAxis(c.attr('axis', 0), x.length);
    return [{ dtype: c.x(0).dtype, dims: [...x.slice(0, a), ...c.x(1).dims, ...x.slice(a + 1)] }];
  },
  GatherElements: (c) => [{ dtype: c.x(0).dtype, dims: [...c.x(1).dims] }],
  GatherND: (c) => {
    const d = c.x(0).dims, idx = c.x(1).dims;
    const b = c.attr('batch_dims', 0);
    const k = idx[idx.length - 1];
    return [{ dtype: c.x(0).dtype, dims: [...idx.slice(0, -1), ...d.slice(b + k)] }];
  },
  ScatterND: same, ScatterElements: same,
  Pad: (c) => {
    const x = c.x(0).dims;
    const pads = c.ints(1, 'pads') ?? c.attr<number[]>('pads', []);
    const axes = (c.ints(3, 'axes') ?? x.map((_, i) => i)).map((a) => normAxis(a, x.length));
    const dims = [...x];
    axes.forEach((a, i) => { dims[a] += pads[i] + pads[i + axes.length]; });
    return [{ dtype: c.x(0).dtype, dims }];
  },
  Range: (c) => {
    const v = [0, 1, 2].map((i) => c.ints(i, ['start', 'limit', 'delta'][i])![0]);
    if (!v.every(Number.isFinite) || v[2] === 0) throw new GraphError(`${describeNode(c.node)}: Range(${v.join(', ')}) has no finite length`);
    return [{ dtype: c.x(0).dtype, dims: [Math.max(Math.ceil((v[1] - v[0]) / v[2]), 0)] }];
  },
  ConstantOfShape: (c) => {
    const v = c.node.attrs.value;
    return [{ dtype: v?.type === 'tensor' ? v.value.dtype : 'float32', dims: c.ints(0, 'shape')! }];
  },
  DequantizeLinear: (c) => [{ dtype: c.x(1).dtype, dims: [...c.x(0).dims] }],
  QuantizeLinear: (c) => [{ dtype: c.in(2)?.dtype ?? 'uint8', dims: [...c.x(0).dims] }],
  Dropout: (c) => [{ ...c.x(0), dims: [...c.x(0).dims] }, { dtype: 'bool', dims: [...c.x(0).dims] }],
};

/** Split sizes from the `split` input/attribute, `num_outputs`, or an even split over the node's outputs. */
export function splitSizes(node: Node, dim: number, constInts: (i: number) => number[] | undefined): number[] {
  const given = (node.inputs[1] ? constInts(1) : undefined) ?? attrValue<number[] | undefined>(node, 'split', undefined);
  if (given) return given;
  const n = attrValue(node, 'num_outputs', node.outputs.length);
  const chunk = Math.ceil(dim / n);
  return Array.from({ length: n }, (_, i) => Math.max(0, Math.min(chunk, dim - i * chunk)));
}

/** Ops `inferShapes` knows. */
export function hasShapeRule(op: string): boolean {
  return Object.hasOwn(SHAPES, op);
}

/** Every op with a shape rule (tests check it against ./opRegistry.ts). */
export function shapeRuleOps(): string[] {
  return Object.keys(SHAPES);
}

/**
 * The graph inputs a non-constant tensor is computed from (itself when it is one), walking back through producers
 * until constants; Shape and Size stop the walk (they fold whatever their input). Names what `constants` must give.
 */
export function graphInputsBehind(g: Graph, name: string, isConstant: (tensor: string) => boolean): string[] {
  const inputs = new Set(g.inputs.filter((v) => !g.initializers.has(v.name)).map((v) => v.name));
  const producer = new Map<string, Node>();
  for (const n of g.nodes) for (const o of n.outputs) if (o) producer.set(o, n);
  const found: string[] = [];
  const seen = new Set<string>();
  const stack = [name];
  while (stack.length) {
    const t = stack.pop()!;
    if (seen.has(t) || isConstant(t)) continue;
    seen.add(t);
    if (inputs.has(t)) { found.push(t); continue; }
    const n = producer.get(t);
    if (n && n.op !== 'Shape' && n.op !== 'Size') for (const i of n.inputs) if (i) stack.push(i);
  }
  return found.sort();
}

/**
 * How to make a shape-like input (Reshape's shape, Slice's starts, …) that did not fold a constant: most often it
 * is a graph input or computed from one (ONNX's own backend tests feed shapes that way), whose value the executor
 * takes through its `constants` option. `behind` = `graphInputsBehind(…)`.
 */
export function notConstantHint(name: string, behind: string[]): string {
  const example = `createExecSession(ctx, model, { constants: { ${behind.map((b) => `'${b}': tensor`).join(', ')} } }), buildPlan's \`constants\``;
  if (behind.length === 1 && behind[0] === name) {
    return `'${name}' is a graph input: give its value at build time with the \`constants\` option (${example}) or make it an initializer`;
  }
  if (behind.length) {
    return `it is computed from graph input${behind.length > 1 ? 's' : ''} ${behind.map((b) => `'${b}'`).join(', ')}: give ${behind.length > 1 ? 'their values' : 'its value'} at build time with the \`constants\` option (${example})`;
  }
  return 'fix the batch size and input shapes (`batch`, `dims`, `inputShapes`) and pass the graph inputs it is computed from with the `constants` option';
}

/** Shape inference and constant evaluation in one topological pass (see the module comment). */
export function propagate(model: Model, o: PropagateOptions = {}): PropagateResult {
  const g = model.graph;
  const opset = model.opsetImport.find((x) => x.domain === '' || x.domain === 'ai.onnx')?.version ?? 18;
  const doEval = o.evaluate ?? true;
  const keep = o.keep ?? new Set<string>();
  const maxEl = o.maxFoldElements ?? 1 << 26;
  const info = resolveInputShapes(g, o);
  const values = new Map<string, Tensor>();
  for (const [name, t] of g.initializers) {
    if (!info.has(name)) info.set(name, { dtype: t.dtype, dims: [...t.dims] });
    // An initializer that is also a graph input (an overridable default) counts as a constant unless overridden.
    if (!o.inputShapes?.[name]) values.set(name, t);
  }
  const visible = (name: string) => (keep.has(name) ? undefined : values.get(name));
  const order = topoSort(g);
  const live = liveTensors(g);
  const budgetMs = o.foldTimeBudgetMs ?? 20_000;
  const started = Date.now();
  for (const node of order) {
    const isLive = node.outputs.some((x) => x && live.has(x));
    try {
      try {
        inferNode(node, isLive);
      } catch (e) {
        // A crash inside a shape rule means the file broke an assumption (an attribute of the wrong kind, an
        // arity the op does not have): report it as a broken graph naming the node.
        if (e instanceof TypeError || e instanceof RangeError) throw new GraphError(`${describeNode(node)}: malformed node (${e.message})`);
        if (e instanceof GraphError && !e.message.includes(describeNode(node))) throw new GraphError(`${describeNode(node)}: ${e.message}`);
        throw e;
      }
    } catch (e) {
      // A side node no output depends on may be broken; it is dropped later, so only live nodes must infer.
      if (isLive) throw e;
    }
  }
  return { info, values, order };

  function inferNode(node: Node, isLive: boolean): void {
    const ins = node.inputs.map((n) => (n ? info.get(n) : undefined));
    const ctx: ShapeCtx = {
      node, opset, count: node.inputs.filter(Boolean).length,
      in: (i) => ins[i],
      x: (i) => {
        const t = ins[i];
        if (!t) throw new GraphError(`${describeNode(node)}: input ${i} ('${node.inputs[i] ?? ''}') is missing or has no shape`);
        return t;
      },
      ints: (i, what) => {
        const name = node.inputs[i];
        if (!name) return undefined;
        const v = visible(name) ?? values.get(name);
        if (!v) throw new Error(`${describeNode(node)}: ${what} ('${name}') must be a constant after folding; ${notConstantHint(name, graphInputsBehind(g, name, (t) => values.has(t)))}`);
        return tensorToInts(v);
      },
      attr: <T>(name: string, fallback: T) => attrValue<T>(node, name, fallback),
    };
    const domainOk = !node.domain || node.domain === 'ai.onnx';
    let outInfo: TensorInfo[] | undefined;
    let outVals: Tensor[] | undefined;
    if (node.op === 'Constant') {
      outVals = domainOk ? evaluate(node, []) : undefined;
      if (!outVals) throw new Error(`${describeNode(node)} has no value`);
      outInfo = outVals.map((t) => ({ dtype: t.dtype, dims: [...t.dims] }));
    } else {
      const fn = domainOk ? SHAPES[node.op] : undefined;
      if (!fn) throw new Error(`shape inference does not know op ${describeNode(node)}`);
      // The shape comes first: the file's numbers are checked before folding allocates anything.
      outInfo = fn(ctx);
      outInfo.forEach((inf, i) => inf && checkInferredShape(node, i, inf.dims));
      const small = outInfo.every((inf) => !inf || numel(inf.dims) <= maxEl) || node.op === 'DequantizeLinear';
      if (doEval && domainOk && isLive && small) {
        if (Date.now() - started > budgetMs) throw new Error(`${describeNode(node)}: constant folding took over ${budgetMs} ms; the graph is too expensive to fold`);
        const inVals = node.inputs.map((n) => (n ? visible(n) : undefined));
        const allConst = node.inputs.every((n, i) => !n || inVals[i]);
        if (node.op === 'Shape' || node.op === 'Size') {
          outVals = evaluate(node, [{ dtype: ins[0]!.dtype, dims: ins[0]!.dims, data: new Float32Array(0) }]);
        } else if (allConst) {
          outVals = evaluate(node, inVals);
        }
      }
    }
    node.outputs.forEach((name, i) => {
      if (!name) return;
      const inf = outInfo![i];
      if (!inf) throw new Error(`${describeNode(node)}: no shape for output ${i}`);
      info.set(name, inf);
      const v = outVals?.[i];
      if (v && (doEval || node.op !== 'Constant')) {
        if (v.dims.join(',') !== inf.dims.join(',') || v.dtype !== inf.dtype) {
          throw new GraphError(`${describeNode(node)} evaluated to ${v.dtype}[${v.dims}] but inference says ${inf.dtype}[${inf.dims}]`);
        }
        values.set(name, v);
      }
    });
  }
}

/** Concrete dtype and dims of every tensor in the model (inputs resolved per `ShapeOptions`). */
export function inferShapes(model: Model, o: ShapeOptions = {}): Map<string, TensorInfo> {
  return propagate(model, { ...o, evaluate: true }).info;
}
