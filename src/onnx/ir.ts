/**
 * A small in-memory ONNX graph IR, independent of protobuf (see `proto.ts` for ModelProto ⇄ IR).
 *
 * - `Tensor`: a dtype, concrete dims and a typed array (int64 as BigInt64Array, float16/bfloat16 as raw Uint16Array
 *   bits, bool as Uint8Array). Initializers decoded from a model are views into the model's bytes where alignment
 *   allows, so treat tensor data as immutable: passes always build new arrays.
 * - `Node`: op type, input/output tensor names ('' = omitted optional input), typed attributes.
 * - `Graph`: nodes, graph inputs/outputs (`ValueInfo`), initializers by name.
 * - `Model`: a graph plus opset imports and the model-level metadata needed to write it back.
 */

import { GraphError } from './errors';
export type DType =
  | 'float32' | 'float64' | 'float16' | 'bfloat16'
  | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64'
  | 'bool' | 'string';

export type TensorData =
  | Float32Array | Float64Array | Uint16Array | Int8Array | Uint8Array | Int16Array | Int32Array | Uint32Array
  | BigInt64Array | BigUint64Array | string[];

export interface Tensor {
  dtype: DType;
  dims: number[];
  data: TensorData;
}

/** A dim is a concrete size, a symbolic name (dim_param) or unknown (null). */
export type Dim = number | string | null;

export interface ValueInfo {
  name: string;
  dtype: DType;
  /** undefined = rank unknown. */
  dims?: Dim[];
}

export type Attr =
  | { type: 'float'; value: number }
  | { type: 'int'; value: number }
  | { type: 'string'; value: string }
  | { type: 'tensor'; value: Tensor }
  | { type: 'graph'; value: Graph }
  | { type: 'floats'; value: number[] }
  | { type: 'ints'; value: number[] }
  | { type: 'strings'; value: string[] }
  | { type: 'tensors'; value: Tensor[] }
  | { type: 'graphs'; value: Graph[] }
  /** An attribute kind the IR does not model (sparse tensors, type protos): the encoded AttributeProto, kept verbatim. */
  | { type: 'raw'; value: Uint8Array };

/** A protobuf field the IR does not model, kept so that a decode → encode round trip preserves it. */
export interface UnknownField {
  field: number;
  /** Protobuf wire type (0 varint, 1 fixed64, 2 length-delimited, 5 fixed32). */
  wire: number;
  /** Payload bytes (wire 2) or the decoded value (a number or the library's 64-bit integer object). */
  value: unknown;
}

export interface Node {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, Attr>;
  name: string;
  /** '' (or 'ai.onnx') is the default domain. */
  domain: string;
  /** Encoded fields the IR does not model (doc strings, metadata), re-emitted verbatim on encode. */
  unknown?: UnknownField[];
}

export interface Graph {
  name: string;
  nodes: Node[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  initializers: Map<string, Tensor>;
  /** Intermediate value infos (kept for round trips; passes may drop them). */
  valueInfo: ValueInfo[];
  unknown?: UnknownField[];
}

export interface OpsetId {
  domain: string;
  version: number;
}

export interface Model {
  irVersion: number;
  opsetImport: OpsetId[];
  producerName: string;
  producerVersion: string;
  domain: string;
  modelVersion: number;
  docString: string;
  metadata: Record<string, string>;
  graph: Graph;
  unknown?: UnknownField[];
}

// ---------------------------------------------------------------------------------------------------------------
// dtypes

/** ONNX TensorProto.DataType codes. */
export const DTYPE_CODE: Record<DType, number> = {
  float32: 1, uint8: 2, int8: 3, uint16: 4, int16: 5, int32: 6, int64: 7, string: 8, bool: 9,
  float16: 10, float64: 11, uint32: 12, uint64: 13, bfloat16: 16,
};

const CODE_DTYPE = new Map<number, DType>(Object.entries(DTYPE_CODE).map(([k, v]) => [v, k as DType]));

export function dtypeFromCode(code: number): DType {
  const d = CODE_DTYPE.get(code);
  if (!d) throw new Error(`unsupported ONNX tensor data type ${code}`);
  return d;
}

export function isFloat(d: DType): boolean {
  return d === 'float32' || d === 'float64' || d === 'float16' || d === 'bfloat16';
}

export function isInteger(d: DType): boolean {
  return !isFloat(d) && d !== 'bool' && d !== 'string';
}

/** Bytes per element (0 for string). */
export function dtypeSize(d: DType): number {
  switch (d) {
    case 'float64': case 'int64': case 'uint64': return 8;
    case 'float32': case 'int32': case 'uint32': return 4;
    case 'float16': case 'bfloat16': case 'int16': case 'uint16': return 2;
    case 'int8': case 'uint8': case 'bool': return 1;
    case 'string': return 0;
  }
}

type TypedCtor = { new(n: number): Exclude<TensorData, string[]>; new(b: ArrayBufferLike, off: number, n: number): Exclude<TensorData, string[]> };

export function typedArrayCtor(d: DType): TypedCtor {
  switch (d) {
    case 'float32': return Float32Array;
    case 'float64': return Float64Array;
    case 'float16': case 'bfloat16': case 'uint16': return Uint16Array;
    case 'int8': return Int8Array;
    case 'uint8': case 'bool': return Uint8Array;
    case 'int16': return Int16Array;
    case 'int32': return Int32Array;
    case 'uint32': return Uint32Array;
    case 'int64': return BigInt64Array as unknown as TypedCtor;
    case 'uint64': return BigUint64Array as unknown as TypedCtor;
    case 'string': throw new Error('string tensors have no typed array');
  }
}

// ---------------------------------------------------------------------------------------------------------------
// tensors

export function numel(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/** Row-major strides. */
export function strides(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length);
  let acc = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= dims[i];
  }
  return s;
}

/** A zero-filled tensor. */
export function zerosTensor(dtype: DType, dims: number[]): Tensor {
  return { dtype, dims: [...dims], data: dtype === 'string' ? new Array<string>(numel(dims)).fill('') : new (typedArrayCtor(dtype))(numel(dims)) };
}

/**
 * A tensor from plain numbers (converted to the dtype; float16/bfloat16 are rounded to nearest even). `dims`
 * defaults to a 1-D tensor of the values' length.
 */
export function tensorFromNumbers(dtype: DType, values: ArrayLike<number>, dims?: number[]): Tensor {
  const shape = dims ?? [values.length];
  if (numel(shape) !== values.length) throw new Error(`tensor of dims [${shape}] needs ${numel(shape)} values, got ${values.length}`);
  return { dtype, dims: [...shape], data: numbersToData(dtype, values) };
}

export function scalarTensor(dtype: DType, value: number): Tensor {
  return tensorFromNumbers(dtype, [value], []);
}

/** Converts numbers to a dtype's typed array (int64 values beyond ±2^63 saturate; ints truncate toward zero). */
export function numbersToData(dtype: DType, values: ArrayLike<number>): Exclude<TensorData, string[]> {
  const n = values.length;
  switch (dtype) {
    case 'int64': {
      const out = new BigInt64Array(n);
      for (let i = 0; i < n; i++) {
        const v = values[i];
        out[i] = v >= 2 ** 63 ? 9223372036854775807n : v <= -(2 ** 63) ? -9223372036854775808n : BigInt(Math.trunc(v));
      }
      return out;
    }
    case 'uint64': {
      const out = new BigUint64Array(n);
      for (let i = 0; i < n; i++) out[i] = BigInt(Math.max(0, Math.trunc(values[i])));
      return out;
    }
    case 'float16': {
      const out = new Uint16Array(n);
      for (let i = 0; i < n; i++) out[i] = float32ToFloat16Bits(values[i]);
      return out;
    }
    case 'bfloat16': {
      const out = new Uint16Array(n);
      for (let i = 0; i < n; i++) out[i] = float32ToBfloat16Bits(values[i]);
      return out;
    }
    case 'bool': {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = values[i] ? 1 : 0;
      return out;
    }
    case 'string': throw new Error('cannot build a string tensor from numbers');
    default: {
      const C = typedArrayCtor(dtype) as unknown as { new(n: number): Float64Array };
      const out = new C(n);
      const isInt = !isFloat(dtype);
      for (let i = 0; i < n; i++) out[i] = isInt ? Math.trunc(values[i]) : values[i];
      return out;
    }
  }
}

/** Tensor values as plain numbers (float16/bfloat16 decoded, int64 via Number, bool as 0/1). */
export function tensorToNumbers(t: Tensor): Float64Array {
  const n = numel(t.dims);
  const out = new Float64Array(n);
  const d = t.data;
  if (Array.isArray(d)) throw new Error('string tensor has no numeric values');
  if (t.dtype === 'float16') for (let i = 0; i < n; i++) out[i] = float16BitsToFloat32((d as Uint16Array)[i]);
  else if (t.dtype === 'bfloat16') for (let i = 0; i < n; i++) out[i] = bfloat16BitsToFloat32((d as Uint16Array)[i]);
  else if (d instanceof BigInt64Array || d instanceof BigUint64Array) for (let i = 0; i < n; i++) out[i] = Number(d[i]);
  else for (let i = 0; i < n; i++) out[i] = (d as Float64Array)[i];
  return out;
}

/** Integer tensor (shape, axes, indices) as a number[]. */
export function tensorToInts(t: Tensor): number[] {
  return Array.from(tensorToNumbers(t));
}

/** The same values in another dtype (numeric conversion; float16 rounds to nearest even). */
export function castTensor(t: Tensor, to: DType): Tensor {
  if (t.dtype === to) return t;
  if (to === 'float32' && (t.dtype === 'float16' || t.dtype === 'bfloat16')) {
    // Direct path for weight upcasts (no float64 intermediate: models can be hundreds of MB).
    const src = t.data as Uint16Array;
    const out = new Float32Array(src.length);
    if (t.dtype === 'bfloat16') {
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < src.length; i++) bits[i] = src[i] << 16;
    } else {
      const table = halfTable();
      for (let i = 0; i < src.length; i++) out[i] = table[src[i]];
    }
    return { dtype: to, dims: [...t.dims], data: out };
  }
  if (to === 'bool') {
    const v = tensorToNumbers(t);
    return { dtype: to, dims: [...t.dims], data: Uint8Array.from(v, (x) => (x !== 0 ? 1 : 0)) };
  }
  return { dtype: to, dims: [...t.dims], data: numbersToData(to, tensorToNumbers(t)) };
}

// ---------------------------------------------------------------------------------------------------------------
// float16 / bfloat16 bit conversions

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

let halfLut: Float32Array | undefined;

/** All 65536 float16 bit patterns as float32 (256 KiB, built on first use). */
function halfTable(): Float32Array {
  if (!halfLut) {
    halfLut = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halfLut[h] = float16BitsToFloat32(h);
  }
  return halfLut;
}

export function float16BitsToFloat32(h: number): number {
  const s = (h & 0x8000) ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** Round-to-nearest-even float32 → float16 bits. */
export function float32ToFloat16Bits(v: number): number {
  f32[0] = v;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && (h & 1))) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1))) h++;
  return sign | h;
}

export function bfloat16BitsToFloat32(b: number): number {
  u32[0] = (b & 0xffff) << 16;
  return f32[0];
}

export function float32ToBfloat16Bits(v: number): number {
  f32[0] = v;
  const x = u32[0];
  if (Number.isNaN(v)) return 0x7fc0;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

// ---------------------------------------------------------------------------------------------------------------
// graphs

export function emptyGraph(name = 'graph'): Graph {
  return { name, nodes: [], inputs: [], outputs: [], initializers: new Map(), valueInfo: [] };
}

export function emptyModel(opset = 18, graph: Graph = emptyGraph()): Model {
  return {
    irVersion: irVersionForOpset(opset),
    opsetImport: [{ domain: '', version: opset }],
    producerName: 'aos-workbench',
    producerVersion: '0.1.0',
    domain: '',
    modelVersion: 0,
    docString: '',
    metadata: {},
    graph,
  };
}

/** The lowest IR version that can carry a default-domain opset (ONNX's versioning table). */
export function irVersionForOpset(opset: number): number {
  if (opset <= 8) return 3;
  if (opset <= 10) return 5;
  if (opset <= 11) return 6;
  if (opset <= 14) return 7;
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  if (opset <= 22) return 10;
  return 11;
}

/** The default-domain ('' / 'ai.onnx') opset version of a model. */
export function getOpset(model: Model): number {
  const o = model.opsetImport.find((x) => x.domain === '' || x.domain === 'ai.onnx');
  if (!o) throw new Error('model imports no default-domain opset');
  return o.version;
}

export function withOpset(model: Model, version: number): Model {
  const opsetImport = model.opsetImport.filter((x) => x.domain !== '' && x.domain !== 'ai.onnx');
  opsetImport.unshift({ domain: '', version });
  return { ...model, opsetImport, irVersion: Math.max(model.irVersion, irVersionForOpset(version)) };
}

/** A copy of the graph with fresh node/array containers (tensors and attribute values are shared). */
export function cloneGraph(g: Graph): Graph {
  return {
    ...g,
    nodes: g.nodes.map(cloneNode),
    inputs: g.inputs.map((v) => ({ ...v, dims: v.dims && [...v.dims] })),
    outputs: g.outputs.map((v) => ({ ...v, dims: v.dims && [...v.dims] })),
    initializers: new Map(g.initializers),
    valueInfo: g.valueInfo.map((v) => ({ ...v, dims: v.dims && [...v.dims] })),
  };
}

export function cloneNode(n: Node): Node {
  return { ...n, inputs: [...n.inputs], outputs: [...n.outputs], attrs: { ...n.attrs } };
}

export function cloneModel(m: Model): Model {
  return { ...m, opsetImport: m.opsetImport.map((o) => ({ ...o })), metadata: { ...m.metadata }, graph: cloneGraph(m.graph) };
}

/** Attribute value with a default (ints/floats/strings/tensors unwrapped). */
export function attrValue(node: Node, name: string, fallback: number): number;
export function attrValue(node: Node, name: string, fallback: string): string;
export function attrValue<T>(node: Node, name: string, fallback: T): T;
export function attrValue<T>(node: Node, name: string, fallback: T): T {
  const a = node.attrs[name];
  return a === undefined ? fallback : (a.value as unknown as T);
}

/** Short description of a node for error messages: `Op 'name'`. */
export function describeNode(n: Node): string {
  return `${n.domain && n.domain !== 'ai.onnx' ? `${n.domain}.` : ''}${n.op} node '${n.name || n.outputs[0] || '?'}'`;
}

/** Map from tensor name to the node producing it. */
export function producers(g: Graph): Map<string, Node> {
  const m = new Map<string, Node>();
  for (const n of g.nodes) for (const o of n.outputs) if (o) m.set(o, n);
  return m;
}

/** Map from tensor name to the nodes consuming it. */
export function consumers(g: Graph): Map<string, Node[]> {
  const m = new Map<string, Node[]>();
  for (const n of g.nodes) {
    for (const i of n.inputs) {
      if (!i) continue;
      let l = m.get(i);
      if (!l) m.set(i, (l = []));
      if (!l.includes(n)) l.push(n);
    }
  }
  return m;
}

/**
 * Nodes in topological order (stable: ties keep their original order). Throws on cycles and on node inputs that no
 * node, graph input or initializer provides, naming the node and tensor.
 */
export function topoSort(g: Graph): Node[] {
  const available = new Set<string>([...g.inputs.map((v) => v.name), ...g.initializers.keys(), '']);
  const prod = producers(g);
  const pending = new Map<Node, number>();
  const waiting = new Map<string, Node[]>();
  const ready: Node[] = [];
  for (const n of g.nodes) {
    let count = 0;
    for (const i of new Set(n.inputs)) {
      if (available.has(i)) continue;
      if (!prod.has(i)) throw new GraphError(`${describeNode(n)} reads '${i}', which no node, graph input or initializer provides`);
      count++;
      let l = waiting.get(i);
      if (!l) waiting.set(i, (l = []));
      l.push(n);
    }
    pending.set(n, count);
    if (count === 0) ready.push(n);
  }
  // Process in original order among ready nodes: a min-heap on original index keeps the result stable.
  const index = new Map(g.nodes.map((n, i) => [n, i]));
  const heap = new MinHeap<Node>((a, b) => index.get(a)! - index.get(b)!);
  for (const n of ready) heap.push(n);
  const out: Node[] = [];
  while (heap.size > 0) {
    const n = heap.pop();
    out.push(n);
    for (const o of n.outputs) {
      if (!o) continue;
      for (const c of waiting.get(o) ?? []) {
        const left = pending.get(c)! - 1;
        pending.set(c, left);
        if (left === 0) heap.push(c);
      }
      waiting.delete(o);
    }
  }
  if (out.length !== g.nodes.length) {
    const stuck = g.nodes.find((n) => pending.get(n)! > 0)!;
    throw new GraphError(`graph has a cycle through ${describeNode(stuck)}`);
  }
  return out;
}

class MinHeap<T> {
  private a: T[] = [];
  constructor(private readonly less: (x: T, y: T) => number) {}
  get size(): number { return this.a.length; }
  push(v: T): void {
    const a = this.a;
    a.push(v);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.less(a[i], a[p]) >= 0) break;
      [a[i], a[p]] = [a[p], a[i]];
      i = p;
    }
  }
  pop(): T {
    const a = this.a;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[l], a[m]) < 0) m = l;
        if (r < a.length && this.less(a[r], a[m]) < 0) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
}
