/**
 * Lowering's state and vocabulary: the `Lowering` that collects steps and allocations while nodes are lowered, the
 * context each op's lowering gets (`LowerCtx`), and the element-type conversions. The per-op lowerings are in
 * ./lowerOps.ts; ./plan.ts drives them.
 */
import { describeNode, tensorToNumbers, type DType, type Node, type Tensor } from '../ir';
import type { TensorInfo } from '../shapes';
import { EwStep, type Expr } from './elementwise';
import { ExecError, type Alloc, type Step, type Val } from './types';
import { broadcastView, contiguousView, isContiguous, numelOf, reshapeView, type ElemType, type View } from './view';

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

/** An axis in [0, rank) (negative axes count from the end). */
export const norm = (a: number, r: number) => (a < 0 ? a + r : a);

export class Lowering {
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

export type LowerCtx = {
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

export type Lower = (c: LowerCtx) => (Val | undefined)[];

export function viewOut(c: LowerCtx, v: Val, view: View): Val {
  return { alloc: v.alloc, view };
}

/** Reshape to the node's output dims: a view when the strides allow, else a contiguous copy first. */
export function reshapeTo(c: LowerCtx, v: Val, dims: number[]): Val {
  const r = reshapeView(v.view, dims);
  if (r) return viewOut(c, v, r);
  const cv = c.L.contiguous(v, c.label);
  return viewOut(c, cv, reshapeView(cv.view, dims)!);
}
