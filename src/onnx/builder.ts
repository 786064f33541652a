/**
 * `GraphBuilder`: emits nodes into a `Graph` with unique names, deduplicated constants and typed attributes.
 *
 *   const b = new GraphBuilder({ opset: 18 });
 *   const x = b.input('x', 'float32', [2, 8]);
 *   const w = b.init('w', tensorFromNumbers('float32', values, [8, 4]));
 *   const y = b.op('Softmax', [b.matmul(x, w)], { axis: -1 });
 *   b.output(y);
 *   const model = b.model();
 *
 * Attributes: plain numbers are INT when integral unless the attribute name is a float attribute (alpha, beta,
 * epsilon, …); use `f(v)` / `i(v)` to force a kind. Helpers follow the builder's opset (e.g. ReduceMean takes its
 * axes as an input from opset 18, as an attribute before).
 */
import {
  DTYPE_CODE, emptyGraph, emptyModel, tensorFromNumbers,
  type Attr, type DType, type Dim, type Graph, type Model, type Node, type Tensor,
} from './ir';

export type AttrInput = number | boolean | string | number[] | string[] | Tensor | Tensor[] | Attr;

const FLOAT_ATTRS = new Set(['alpha', 'beta', 'epsilon', 'gamma', 'lambd', 'ratio', 'momentum', 'spatial_scale',
  'value_float', 'bias', 'scale', 'seed', 'mean', 'high', 'low', 'min', 'max', 'threshold', 'cubic_coeff_a', 'extrapolation_value']);

/** Force a FLOAT attribute. */
export function f(value: number): Attr {
  return { type: 'float', value };
}

/** Force an INT attribute. */
export function i(value: number): Attr {
  return { type: 'int', value };
}

export function toAttr(name: string, v: AttrInput): Attr {
  if (typeof v === 'object' && v !== null && !Array.isArray(v) && 'type' in v && 'value' in v) return v as Attr;
  if (typeof v === 'boolean') return { type: 'int', value: v ? 1 : 0 };
  if (typeof v === 'number') return FLOAT_ATTRS.has(name) || !Number.isInteger(v) ? { type: 'float', value: v } : { type: 'int', value: v };
  if (typeof v === 'string') return { type: 'string', value: v };
  if (Array.isArray(v)) {
    if (v.length > 0 && typeof v[0] === 'string') return { type: 'strings', value: v as string[] };
    if (v.length > 0 && typeof v[0] === 'object') return { type: 'tensors', value: v as Tensor[] };
    const nums = v as number[];
    return FLOAT_ATTRS.has(name) || nums.some((x) => !Number.isInteger(x)) ? { type: 'floats', value: nums } : { type: 'ints', value: nums };
  }
  return { type: 'tensor', value: v as Tensor };
}

export interface GraphBuilderOptions {
  /** Emit into this graph (default: a new empty one). */
  graph?: Graph;
  /** Default-domain opset the emitted nodes follow (default 18). */
  opset?: number;
  /** Prefix for generated names. */
  prefix?: string;
  /** Names that generated names must avoid (besides those already in the graph). */
  reserved?: Iterable<string>;
}

export interface OpOptions {
  name?: string;
  domain?: string;
  /** Output names (used verbatim), or a count of generated ones (default 1). */
  outputs?: string[] | number;
}

export class GraphBuilder {
  readonly graph: Graph;
  readonly opset: number;
  private readonly prefix: string;
  private readonly used = new Set<string>();
  private readonly counters = new Map<string, number>();
  private readonly constCache = new Map<string, string>();

  constructor(opts: GraphBuilderOptions = {}) {
    this.graph = opts.graph ?? emptyGraph();
    this.opset = opts.opset ?? 18;
    this.prefix = opts.prefix ?? '';
    for (const n of opts.reserved ?? []) this.used.add(n);
    const g = this.graph;
    for (const v of [...g.inputs, ...g.outputs, ...g.valueInfo]) this.used.add(v.name);
    for (const k of g.initializers.keys()) this.used.add(k);
    for (const n of g.nodes) {
      for (const o of n.outputs) this.used.add(o);
      for (const i of n.inputs) this.used.add(i);
      if (n.name) this.used.add(n.name);
    }
  }

  /** Marks a name as taken. */
  reserve(name: string): void {
    this.used.add(name);
  }

  /** A fresh unique name derived from `hint`. */
  fresh(hint: string): string {
    const base = `${this.prefix}${hint}`;
    let k = this.counters.get(base) ?? 0;
    let name: string;
    do name = `${base}_${k++}`; while (this.used.has(name));
    this.counters.set(base, k);
    this.used.add(name);
    return name;
  }

  /** A unique name: `name` itself when free, otherwise a fresh variant (and marks it taken). */
  unique(name: string): string {
    if (!this.used.has(name)) {
      this.used.add(name);
      return name;
    }
    return this.fresh(name);
  }

  input(name: string, dtype: DType, dims: Dim[]): string {
    if (this.used.has(name)) throw new Error(`graph input name '${name}' is already in use`);
    this.used.add(name);
    this.graph.inputs.push({ name, dtype, dims: [...dims] });
    return name;
  }

  /** Declares `name` a graph output (dtype defaults to float32; dims may be omitted: rank unknown). */
  output(name: string, dtype?: DType, dims?: Dim[]): string {
    this.graph.outputs.push({ name, dtype: dtype ?? 'float32', ...(dims ? { dims: [...dims] } : {}) });
    return name;
  }

  /** Adds an initializer under `name` (exactly that name when free, else a fresh variant); returns its name. */
  init(name: string, t: Tensor): string {
    const n = this.unique(name);
    this.graph.initializers.set(n, t);
    return n;
  }

  /** A constant initializer, deduplicated for small values. */
  constant(values: ArrayLike<number>, dtype: DType = 'float32', dims?: number[]): string {
    const shape = dims ?? [values.length];
    const small = values.length <= 16;
    const key = small ? `${dtype}|${shape.join(',')}|${Array.from(values).join(',')}` : '';
    if (small) {
      const hit = this.constCache.get(key);
      if (hit) return hit;
    }
    const name = this.fresh('const');
    this.graph.initializers.set(name, tensorFromNumbers(dtype, values, shape));
    if (small) this.constCache.set(key, name);
    return name;
  }

  /** A rank-0 constant. */
  scalar(value: number, dtype: DType = 'float32'): string {
    return this.constant([value], dtype, []);
  }

  /** A 1-D int64 constant (shapes, axes, starts…). */
  ints(values: number[]): string {
    return this.constant(values, 'int64', [values.length]);
  }

  /** Emits a node; returns its first output's name. */
  op(op: string, inputs: string[], attrs: Record<string, AttrInput | undefined> = {}, opts: OpOptions = {}): string {
    return this.opN(op, inputs, attrs, opts)[0];
  }

  /** Emits a node; returns all its output names. */
  opN(op: string, inputs: string[], attrs: Record<string, AttrInput | undefined> = {}, opts: OpOptions = {}): string[] {
    // Explicit output and node names are used verbatim (see `unique` for collision-free ones).
    const outs = Array.isArray(opts.outputs)
      ? opts.outputs.map((o) => { this.used.add(o); return o; })
      : Array.from({ length: opts.outputs ?? 1 }, () => this.fresh(op.toLowerCase()));
    const a: Record<string, Attr> = {};
    for (const [k, v] of Object.entries(attrs)) if (v !== undefined) a[k] = toAttr(k, v);
    const node: Node = { op, inputs: [...inputs], outputs: outs, attrs: a, name: opts.name ?? this.fresh(`${op}_node`), domain: opts.domain ?? '' };
    this.graph.nodes.push(node);
    return outs;
  }

  /** The graph wrapped as a model at this builder's opset. */
  model(): Model {
    return emptyModel(this.opset, this.graph);
  }

  // -------------------------------------------------------------------------------------------------------------
  // sugar

  add(a: string, b: string): string { return this.op('Add', [a, b]); }
  sub(a: string, b: string): string { return this.op('Sub', [a, b]); }
  mul(a: string, b: string): string { return this.op('Mul', [a, b]); }
  div(a: string, b: string): string { return this.op('Div', [a, b]); }
  pow(a: string, b: string): string { return this.op('Pow', [a, b]); }
  neg(x: string): string { return this.op('Neg', [x]); }
  sqrt(x: string): string { return this.op('Sqrt', [x]); }
  exp(x: string): string { return this.op('Exp', [x]); }
  log(x: string): string { return this.op('Log', [x]); }
  tanh(x: string): string { return this.op('Tanh', [x]); }
  erf(x: string): string { return this.op('Erf', [x]); }
  sigmoid(x: string): string { return this.op('Sigmoid', [x]); }
  relu(x: string): string { return this.op('Relu', [x]); }
  identity(x: string): string { return this.op('Identity', [x]); }
  matmul(a: string, b: string): string { return this.op('MatMul', [a, b]); }
  softmax(x: string, axis = -1): string { return this.op('Softmax', [x], { axis }); }
  where(cond: string, a: string, b: string): string { return this.op('Where', [cond, a, b]); }
  cast(x: string, to: DType): string { return this.op('Cast', [x], { to: DTYPE_CODE[to] }); }
  transpose(x: string, perm?: number[]): string { return this.op('Transpose', [x], perm ? { perm } : {}); }
  concat(xs: string[], axis: number): string { return this.op('Concat', xs, { axis }); }
  gather(x: string, indices: string, axis = 0): string { return this.op('Gather', [x, indices], { axis }); }

  /** Reshape to a static shape (numbers, 0/-1 allowed) or to a shape tensor. */
  reshape(x: string, shape: number[] | string): string {
    return this.op('Reshape', [x, typeof shape === 'string' ? shape : this.ints(shape)]);
  }

  expand(x: string, shape: number[] | string): string {
    return this.op('Expand', [x, typeof shape === 'string' ? shape : this.ints(shape)]);
  }

  unsqueeze(x: string, axes: number[]): string {
    return this.opset >= 13 ? this.op('Unsqueeze', [x, this.ints(axes)]) : this.op('Unsqueeze', [x], { axes });
  }

  squeeze(x: string, axes: number[]): string {
    return this.opset >= 13 ? this.op('Squeeze', [x, this.ints(axes)]) : this.op('Squeeze', [x], { axes });
  }

  slice(x: string, starts: number[], ends: number[], axes?: number[], steps?: number[]): string {
    const ins = [x, this.ints(starts), this.ints(ends)];
    if (axes || steps) ins.push(axes ? this.ints(axes) : '');
    if (steps) ins.push(this.ints(steps));
    return this.op('Slice', ins);
  }

  reduceSum(x: string, axes: number[], keepdims = true): string {
    return this.reduce('ReduceSum', x, axes, keepdims);
  }

  reduceMean(x: string, axes: number[], keepdims = true): string {
    return this.reduce('ReduceMean', x, axes, keepdims);
  }

  /** Any Reduce* op; axes go in an input from the opset where that op takes them so (ReduceSum 13, others 18). */
  reduce(op: string, x: string, axes: number[], keepdims = true): string {
    const axesAsInput = op === 'ReduceSum' ? this.opset >= 13 : this.opset >= 18;
    return axesAsInput
      ? this.op(op, [x, this.ints(axes)], { keepdims: keepdims ? 1 : 0 })
      : this.op(op, [x], { axes, keepdims: keepdims ? 1 : 0 });
  }

  gemm(a: string, b: string, c?: string, o: { alpha?: number; beta?: number; transA?: boolean; transB?: boolean } = {}): string {
    return this.op('Gemm', c ? [a, b, c] : [a, b], {
      alpha: o.alpha === undefined ? undefined : f(o.alpha), beta: o.beta === undefined ? undefined : f(o.beta),
      transA: o.transA ? 1 : undefined, transB: o.transB ? 1 : undefined,
    });
  }

  layerNorm(x: string, scale: string, bias: string | undefined, axis = -1, epsilon = 1e-5): string {
    return this.op('LayerNormalization', bias ? [x, scale, bias] : [x, scale], { axis, epsilon: f(epsilon) });
  }

  /** A constant of zeros with the given dims and dtype (an initializer; use sparingly for large shapes). */
  zeros(dims: number[], dtype: DType = 'float32'): string {
    return this.op('ConstantOfShape', [this.ints(dims)], { value: tensorFromNumbers(dtype, [0], [1]) });
  }
}
