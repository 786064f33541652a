/**
 * What a gradient rule sees (`GradCtx`) and the helpers rules share (unbroadcasting, typed scalars, zeros).
 *
 * A rule gets the forward node and emits ONNX nodes computing the input gradients into the backward graph through
 * `c.b` (a GraphBuilder). It returns one entry per input: a thunk producing the gradient tensor's name (called only
 * for inputs that need a gradient), or undefined for inputs that have none (integer indices, shapes, conditions).
 * Forward tensors are referenced by name (`c.x(i)`, `c.y(i)`); the builder turns every forward tensor the backward
 * graph reads into a saved activation (or recomputes it). Shapes are static (`c.inShape(i)`), so rules never emit
 * Shape ops.
 */
import type { GraphBuilder } from '../builder';
import { attrValue, describeNode, numel, tensorFromNumbers, type DType, type Node } from '../ir';

/** A lazily built gradient for one input. */
export type Grad = (() => string) | undefined;

export interface GradCtx {
  node: Node;
  /** Emits into the backward graph. */
  b: GraphBuilder;
  /** Forward input / output tensor names. */
  x(i: number): string;
  y(i: number): string;
  /** Upstream gradient of output 0 (always present for single-output ops). */
  readonly g: string;
  /** Upstream gradient of output i, undefined when nothing downstream depends on it. */
  gy(i: number): string | undefined;
  inShape(i: number): number[];
  outShape(i: number): number[];
  dtype(name: string): DType;
  attr(name: string, fallback: number): number;
  attr(name: string, fallback: string): string;
  attr<T>(name: string, fallback: T): T;
  /** Constant integer values of input i (axes, shape, starts, …); undefined when the input is omitted. */
  ints(i: number): number[] | undefined;
  /** Scalar constant in the dtype of output 0. */
  s(v: number): string;
  /** Sum `g` (of shape `from`) down to `to` under numpy broadcasting, then reshape to `to`. */
  reduceTo(g: string, from: number[], to: number[]): string;
  /** Unbroadcast the output-0-shaped `g` to input i's shape. */
  ub(g: string, i: number): string;
  /** Reshape to static dims (no-op when equal). */
  reshapeTo(x: string, from: number[], to: number[]): string;
  /** A zero tensor. */
  zeros(dims: number[], dtype: DType): string;
  /** Throws an error naming the node. */
  fail(msg: string): never;
}

export type GradRule = ((c: GradCtx) => Grad[]) | 'nondiff';

export interface CtxSources {
  node: Node;
  b: GraphBuilder;
  shape(name: string): number[];
  dtype(name: string): DType;
  gy(i: number): string | undefined;
  ints(name: string): number[] | undefined;
}

export function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function makeCtx(src: CtxSources): GradCtx {
  const { node, b } = src;
  const fail = (msg: string): never => {
    throw new Error(`cannot differentiate ${describeNode(node)}: ${msg}`);
  };
  const reshapeTo = (x: string, from: number[], to: number[]) => (sameDims(from, to) ? x : b.reshape(x, to));
  const reduceTo = (g: string, from: number[], to: number[]) => {
    if (sameDims(from, to)) return g;
    const k = from.length - to.length;
    if (k < 0) fail(`cannot reduce a gradient of shape [${from}] to [${to}]`);
    const axes: number[] = [];
    for (let i = 0; i < from.length; i++) if (i < k || (to[i - k] === 1 && from[i] !== 1)) axes.push(i);
    const r = axes.length ? b.reduceSum(g, axes, true) : g;
    return reshapeTo(r, from.map((d, i) => (axes.includes(i) ? 1 : d)), to);
  };
  const c: GradCtx = {
    node, b,
    x: (i) => node.inputs[i],
    y: (i) => node.outputs[i],
    get g() {
      const g = src.gy(0);
      if (!g) return fail('output 0 has no gradient');
      return g;
    },
    gy: (i) => src.gy(i),
    inShape: (i) => src.shape(node.inputs[i]),
    outShape: (i) => src.shape(node.outputs[i]),
    dtype: (n) => src.dtype(n),
    attr: <T>(name: string, fallback: T) => attrValue<T>(node, name, fallback),
    ints: (i) => (node.inputs[i] ? src.ints(node.inputs[i]) ?? fail(`input ${i} ('${node.inputs[i]}') must be constant`) : undefined),
    s: (v) => b.scalar(v, src.dtype(node.outputs[0])),
    reduceTo,
    ub: (g, i) => reduceTo(g, src.shape(node.outputs[0]), src.shape(node.inputs[i])),
    reshapeTo,
    zeros: (dims, dtype) => (numel(dims) <= 16
      ? b.constant(new Array<number>(numel(dims)).fill(0), dtype, dims)
      : b.op('ConstantOfShape', [b.ints(dims)], { value: tensorFromNumbers(dtype, [0], [1]) })),
    fail,
  };
  return c;
}

/** Memoises a thunk, so several input gradients can share one emitted sub-graph. */
export function once<T>(f: () => T): () => T {
  let done = false;
  let v: T;
  return () => {
    if (!done) {
      v = f();
      done = true;
    }
    return v;
  };
}
