/**
 * ONNX ModelProto ⇄ IR, with protobufjs's low-level Reader/Writer (a hand-written static codec for the subset of
 * onnx.proto the IR models; field numbers from onnx/onnx.proto3). Works in the browser and in Node: no fs, no .proto
 * loading at run time.
 *
 * - Decoding never copies initializer payloads that are suitably aligned: `raw_data` becomes a typed-array view into
 *   the model bytes (keep the bytes alive and unmodified while the IR is in use).
 * - Fields the IR does not model (doc strings, metadata_props, functions, training info, unsupported attribute
 *   kinds) are kept verbatim and re-emitted, so decode → encode preserves them.
 * - External data (`data_location = EXTERNAL`) is not supported and is reported with the tensor's name.
 */
import protobuf from 'protobufjs/minimal.js';
import {
  DTYPE_CODE, dtypeFromCode, dtypeSize, numel, typedArrayCtor,
  type Attr, type Dim, type DType, type Graph, type Model, type Node, type OpsetId, type Tensor, type TensorData,
  type UnknownField, type ValueInfo,
} from './ir';

type Reader = protobuf.Reader;
type Writer = protobuf.Writer;
interface LongLike { low: number; high: number; toNumber(): number }

const ATTR = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8, TENSORS: 9, GRAPHS: 10 } as const;

const utf8 = new TextDecoder();
const utf8enc = new TextEncoder();

// ---------------------------------------------------------------------------------------------------------------
// decoding

/** Decodes an ONNX ModelProto. `bytes` must stay alive and unchanged while tensors view into it. */
export function decodeModel(bytes: Uint8Array): Model {
  // A plain Uint8Array view (not a Node Buffer) keeps protobufjs on its subarray-based Reader.
  const u8 = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const r = new protobuf.Reader(u8);
  const m: Model = {
    irVersion: 0, opsetImport: [], producerName: '', producerVersion: '', domain: '', modelVersion: 0, docString: '',
    metadata: {}, graph: { name: '', nodes: [], inputs: [], outputs: [], initializers: new Map(), valueInfo: [] },
  };
  let sawGraph = false;
  const end = r.len;
  while (r.pos < end) {
    const tag = r.uint32();
    const f = tag >>> 3, wire = tag & 7;
    switch (f) {
      case 1: m.irVersion = readInt(r); break;
      case 2: m.producerName = r.string(); break;
      case 3: m.producerVersion = r.string(); break;
      case 4: m.domain = r.string(); break;
      case 5: m.modelVersion = readInt(r); break;
      case 6: m.docString = r.string(); break;
      case 7: m.graph = decodeGraph(r, sub(r)); sawGraph = true; break;
      case 8: m.opsetImport.push(decodeOpset(r, sub(r))); break;
      case 14: { const [k, v] = decodeStringPair(r, sub(r)); m.metadata[k] = v; break; }
      default: (m.unknown ??= []).push(readUnknown(r, f, wire));
    }
  }
  if (!sawGraph) throw new Error('ONNX model has no graph');
  return m;
}

function sub(r: Reader): number {
  const len = r.uint32();
  return r.pos + len;
}

function readInt(r: Reader): number {
  const v = r.int64() as unknown;
  return typeof v === 'number' ? v : (v as LongLike).toNumber();
}

function readBigInt(r: Reader): bigint {
  const v = r.int64() as unknown;
  if (typeof v === 'number') return BigInt(v);
  const l = v as LongLike;
  return (BigInt(l.high) << 32n) | BigInt(l.low >>> 0);
}

function readBigUint(r: Reader): bigint {
  const v = r.uint64() as unknown;
  if (typeof v === 'number') return BigInt(v);
  const l = v as LongLike;
  return (BigInt(l.high >>> 0) << 32n) | BigInt(l.low >>> 0);
}

function readUnknown(r: Reader, field: number, wire: number): UnknownField {
  switch (wire) {
    case 0: return { field, wire, value: r.uint64() };
    case 1: return { field, wire, value: r.fixed64() };
    case 2: return { field, wire, value: r.bytes() };
    case 5: return { field, wire, value: r.fixed32() };
    default: throw new Error(`unsupported protobuf wire type ${wire} (field ${field})`);
  }
}

/** Repeated scalar field, packed (wire 2) or not. */
function readRepeated(r: Reader, wire: number, read: () => void): void {
  if (wire === 2) {
    const end = sub(r);
    while (r.pos < end) read();
  } else read();
}

function decodeOpset(r: Reader, end: number): OpsetId {
  const o: OpsetId = { domain: '', version: 0 };
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag >>> 3 === 1) o.domain = r.string();
    else if (tag >>> 3 === 2) o.version = readInt(r);
    else r.skipType(tag & 7);
  }
  return o;
}

function decodeStringPair(r: Reader, end: number): [string, string] {
  let k = '', v = '';
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag >>> 3 === 1) k = r.string();
    else if (tag >>> 3 === 2) v = r.string();
    else r.skipType(tag & 7);
  }
  return [k, v];
}

function decodeGraph(r: Reader, end: number): Graph {
  const g: Graph = { name: '', nodes: [], inputs: [], outputs: [], initializers: new Map(), valueInfo: [] };
  while (r.pos < end) {
    const tag = r.uint32();
    const f = tag >>> 3, wire = tag & 7;
    switch (f) {
      case 1: g.nodes.push(decodeNode(r, sub(r))); break;
      case 2: g.name = r.string(); break;
      case 5: { const { name, tensor } = decodeTensor(r, sub(r)); g.initializers.set(name, tensor); break; }
      case 11: g.inputs.push(decodeValueInfo(r, sub(r))); break;
      case 12: g.outputs.push(decodeValueInfo(r, sub(r))); break;
      case 13: g.valueInfo.push(decodeValueInfo(r, sub(r))); break;
      default: (g.unknown ??= []).push(readUnknown(r, f, wire));
    }
  }
  return g;
}

function decodeNode(r: Reader, end: number): Node {
  const n: Node = { op: '', inputs: [], outputs: [], attrs: {}, name: '', domain: '' };
  while (r.pos < end) {
    const tag = r.uint32();
    const f = tag >>> 3, wire = tag & 7;
    switch (f) {
      case 1: n.inputs.push(r.string()); break;
      case 2: n.outputs.push(r.string()); break;
      case 3: n.name = r.string(); break;
      case 4: n.op = r.string(); break;
      case 5: {
        // An own data property: an attribute named '__proto__' must not replace the object's prototype.
        const [name, a] = decodeAttr(r, sub(r));
        Object.defineProperty(n.attrs, name, { value: a, enumerable: true, writable: true, configurable: true });
        break;
      }
      case 7: n.domain = r.string(); break;
      default: (n.unknown ??= []).push(readUnknown(r, f, wire));
    }
  }
  if (n.domain === 'ai.onnx') n.domain = '';
  return n;
}

function decodeAttr(r: Reader, end: number): [string, Attr] {
  const start = r.pos;
  let name = '', type = 0, refAttr = false, exotic = false;
  let f = 0, i = 0, s: Uint8Array | undefined, t: Tensor | undefined, g: Graph | undefined;
  const floats: number[] = [], ints: number[] = [], strings: string[] = [], tensors: Tensor[] = [], graphs: Graph[] = [];
  const seen = new Set<number>();
  while (r.pos < end) {
    const tag = r.uint32();
    const fld = tag >>> 3, wire = tag & 7;
    seen.add(fld);
    switch (fld) {
      case 1: name = r.string(); break;
      case 2: f = r.float(); break;
      case 3: i = readInt(r); break;
      case 4: s = r.bytes(); break;
      case 5: t = decodeTensor(r, sub(r)).tensor; break;
      case 6: g = decodeGraph(r, sub(r)); break;
      case 7: readRepeated(r, wire, () => floats.push(r.float())); break;
      case 8: readRepeated(r, wire, () => ints.push(readInt(r))); break;
      case 9: strings.push(utf8.decode(r.bytes())); break;
      case 10: tensors.push(decodeTensor(r, sub(r)).tensor); break;
      case 11: graphs.push(decodeGraph(r, sub(r))); break;
      case 20: type = r.int32(); break;
      case 21: refAttr = true; r.skipType(wire); break;
      case 13: r.skipType(wire); break;
      default: exotic = true; r.skipType(wire);
    }
  }
  if (type === 0) {
    // Pre-IR-v2 attributes carry no type: infer it from the field present.
    const order: [number, number][] = [[2, ATTR.FLOAT], [3, ATTR.INT], [4, ATTR.STRING], [5, ATTR.TENSOR], [6, ATTR.GRAPH],
      [7, ATTR.FLOATS], [8, ATTR.INTS], [9, ATTR.STRINGS], [10, ATTR.TENSORS], [11, ATTR.GRAPHS]];
    type = order.find(([fld]) => seen.has(fld))?.[1] ?? 0;
  }
  if (refAttr || exotic || type === 0 || type > ATTR.GRAPHS) return [name, { type: 'raw', value: r.buf.subarray(start, end) }];
  switch (type) {
    case ATTR.FLOAT: return [name, { type: 'float', value: f }];
    case ATTR.INT: return [name, { type: 'int', value: i }];
    case ATTR.STRING: return [name, { type: 'string', value: s ? utf8.decode(s) : '' }];
    case ATTR.TENSOR: return [name, { type: 'tensor', value: t! }];
    case ATTR.GRAPH: return [name, { type: 'graph', value: g! }];
    case ATTR.FLOATS: return [name, { type: 'floats', value: floats }];
    case ATTR.INTS: return [name, { type: 'ints', value: ints }];
    case ATTR.STRINGS: return [name, { type: 'strings', value: strings }];
    case ATTR.TENSORS: return [name, { type: 'tensors', value: tensors }];
    default: return [name, { type: 'graphs', value: graphs }];
  }
}

function decodeValueInfo(r: Reader, end: number): ValueInfo {
  let name = '';
  let dtype: DType | undefined;
  let dims: Dim[] | undefined;
  while (r.pos < end) {
    const tag = r.uint32();
    const f = tag >>> 3;
    if (f === 1) name = r.string();
    else if (f === 2) {
      const tEnd = sub(r);
      while (r.pos < tEnd) {
        const t2 = r.uint32();
        if (t2 >>> 3 === 1) {
          const ttEnd = sub(r);
          while (r.pos < ttEnd) {
            const t3 = r.uint32();
            if (t3 >>> 3 === 1) dtype = dtypeFromCode(r.int32());
            else if (t3 >>> 3 === 2) dims = decodeShape(r, sub(r));
            else r.skipType(t3 & 7);
          }
        } else r.skipType(t2 & 7);
      }
    } else r.skipType(tag & 7);
  }
  if (!dtype) throw new Error(`value '${name}' is not a tensor (sequences, maps and optionals are not supported)`);
  return dims ? { name, dtype, dims } : { name, dtype };
}

/** A dim from the file: a non-negative integer below 2^53 (a crafted one would turn into a huge or NaN size). */
function checkedDim(d: number, where: string): number {
  if (!Number.isSafeInteger(d) || d < 0) throw new Error(`${where} has an invalid dim ${d} (dims must be integers in 0…2^53-1)`);
  return d;
}

function decodeShape(r: Reader, end: number): Dim[] {
  const dims: Dim[] = [];
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag >>> 3 !== 1) { r.skipType(tag & 7); continue; }
    const dEnd = sub(r);
    let d: Dim = null;
    while (r.pos < dEnd) {
      const t = r.uint32();
      if (t >>> 3 === 1) d = checkedDim(readInt(r), 'a value_info / graph input shape');
      else if (t >>> 3 === 2) d = r.string();
      else r.skipType(t & 7);
    }
    dims.push(d);
  }
  return dims;
}

/** A typed array over `bytes`: a view when aligned, otherwise a copy. */
function viewAs(dtype: DType, bytes: Uint8Array, count: number, what: string): Exclude<TensorData, string[]> {
  const size = dtypeSize(dtype);
  if (bytes.byteLength !== count * size) {
    throw new Error(`tensor '${what}': ${bytes.byteLength} data bytes for ${count} ${dtype} elements`);
  }
  const C = typedArrayCtor(dtype);
  if (bytes.byteOffset % size === 0) return new C(bytes.buffer, bytes.byteOffset, count);
  const copy = bytes.slice();
  return new C(copy.buffer, 0, count);
}

function decodeTensor(r: Reader, end: number): { name: string; tensor: Tensor } {
  let name = '', code = 0, external = false;
  const dims: number[] = [];
  let raw: Uint8Array | undefined;
  const packedFloat: Uint8Array[] = [], packedDouble: Uint8Array[] = [];
  const floatVals: number[] = [], doubleVals: number[] = [];
  const int32: number[] = [], int64: bigint[] = [], uint64: bigint[] = [], strs: string[] = [];
  while (r.pos < end) {
    const tag = r.uint32();
    const f = tag >>> 3, wire = tag & 7;
    switch (f) {
      case 1: readRepeated(r, wire, () => dims.push(checkedDim(readInt(r), 'a tensor'))); break;
      case 2: code = r.int32(); break;
      case 4: if (wire === 2) packedFloat.push(r.bytes()); else floatVals.push(r.float()); break;
      case 5: readRepeated(r, wire, () => int32.push(r.int32())); break;
      case 6: strs.push(utf8.decode(r.bytes())); break;
      case 7: readRepeated(r, wire, () => int64.push(readBigInt(r))); break;
      case 8: name = r.string(); break;
      case 9: raw = r.bytes(); break;
      case 10: if (wire === 2) packedDouble.push(r.bytes()); else doubleVals.push(r.double()); break;
      case 11: readRepeated(r, wire, () => uint64.push(readBigUint(r))); break;
      case 13: external = true; r.skipType(wire); break;
      case 14: if (r.int32() === 1) external = true; break;
      case 3: throw new Error(`tensor '${name}': segmented tensors are not supported`);
      default: r.skipType(wire);
    }
  }
  if (external) throw new Error(`tensor '${name}' stores its data externally; external data is not supported (re-save the model with all tensors inline)`);
  const dtype = dtypeFromCode(code);
  const n = numel(dims);
  let data: TensorData;
  if (dtype === 'string') {
    data = strs;
  } else if (raw) {
    data = viewAs(dtype, raw, n, name);
  } else if (dtype === 'float32') {
    data = packedFloat.length === 1 && floatVals.length === 0 ? viewAs(dtype, packedFloat[0], n, name)
      : Float32Array.from([...packedFloat.flatMap((b) => Array.from(viewAs('float32', b, b.byteLength / 4, name) as Float32Array)), ...floatVals]);
  } else if (dtype === 'float64') {
    data = packedDouble.length === 1 && doubleVals.length === 0 ? viewAs(dtype, packedDouble[0], n, name)
      : Float64Array.from([...packedDouble.flatMap((b) => Array.from(viewAs('float64', b, b.byteLength / 8, name) as Float64Array)), ...doubleVals]);
  } else if (dtype === 'int64') {
    data = BigInt64Array.from(int64);
  } else if (dtype === 'uint64') {
    data = BigUint64Array.from(uint64);
  } else if (dtype === 'uint32') {
    data = Uint32Array.from(uint64, (v) => Number(v));
  } else {
    const C = typedArrayCtor(dtype) as unknown as { from(a: number[]): TensorData };
    data = C.from(int32);
  }
  if (data.length !== n) throw new Error(`tensor '${name}': ${data.length} values for dims [${dims}]`);
  return { name, tensor: { dtype, dims, data } };
}

/**
 * Decodes a standalone TensorProto (the `input_0.pb` / `output_0.pb` files of ONNX's backend node tests). Payloads may
 * view into `bytes`, as with `decodeModel`.
 */
export function decodeTensorProto(bytes: Uint8Array): { name: string; tensor: Tensor } {
  const u8 = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return decodeTensor(new protobuf.Reader(u8), u8.length);
}

// ---------------------------------------------------------------------------------------------------------------
// encoding

/** Encodes a model as ONNX ModelProto bytes (all tensors inline as raw_data). */
export function encodeModel(m: Model): Uint8Array {
  const w = protobuf.Writer.create();
  w.uint32(tag(1, 0)).int64(m.irVersion);
  for (const o of m.opsetImport) {
    w.uint32(tag(8, 2)).fork();
    if (o.domain) w.uint32(tag(1, 2)).string(o.domain);
    w.uint32(tag(2, 0)).int64(o.version);
    w.ldelim();
  }
  if (m.producerName) w.uint32(tag(2, 2)).string(m.producerName);
  if (m.producerVersion) w.uint32(tag(3, 2)).string(m.producerVersion);
  if (m.domain) w.uint32(tag(4, 2)).string(m.domain);
  if (m.modelVersion) w.uint32(tag(5, 0)).int64(m.modelVersion);
  if (m.docString) w.uint32(tag(6, 2)).string(m.docString);
  w.uint32(tag(7, 2)).fork();
  encodeGraph(w, m.graph);
  w.ldelim();
  for (const [k, v] of Object.entries(m.metadata)) {
    w.uint32(tag(14, 2)).fork().uint32(tag(1, 2)).string(k).uint32(tag(2, 2)).string(v).ldelim();
  }
  writeUnknown(w, m.unknown);
  const out = w.finish();
  // Node's BufferWriter returns a Buffer; hand back a plain Uint8Array view either way.
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

function tag(field: number, wire: number): number {
  return ((field << 3) | wire) >>> 0;
}

function writeUnknown(w: Writer, fields: UnknownField[] | undefined): void {
  for (const u of fields ?? []) {
    w.uint32(tag(u.field, u.wire));
    switch (u.wire) {
      case 0: w.uint64(u.value as number); break;
      case 1: w.fixed64(u.value as number); break;
      case 2: w.bytes(u.value as Uint8Array); break;
      case 5: w.fixed32(u.value as number); break;
    }
  }
}

function encodeGraph(w: Writer, g: Graph): void {
  for (const n of g.nodes) {
    w.uint32(tag(1, 2)).fork();
    encodeNode(w, n);
    w.ldelim();
  }
  if (g.name) w.uint32(tag(2, 2)).string(g.name);
  for (const [name, t] of g.initializers) {
    w.uint32(tag(5, 2)).fork();
    encodeTensor(w, name, t);
    w.ldelim();
  }
  for (const v of g.inputs) encodeValueInfo(w, 11, v);
  for (const v of g.outputs) encodeValueInfo(w, 12, v);
  for (const v of g.valueInfo) encodeValueInfo(w, 13, v);
  writeUnknown(w, g.unknown);
}

function encodeNode(w: Writer, n: Node): void {
  for (const i of n.inputs) w.uint32(tag(1, 2)).string(i);
  for (const o of n.outputs) w.uint32(tag(2, 2)).string(o);
  if (n.name) w.uint32(tag(3, 2)).string(n.name);
  w.uint32(tag(4, 2)).string(n.op);
  for (const [name, a] of Object.entries(n.attrs)) {
    w.uint32(tag(5, 2));
    if (a.type === 'raw') { w.bytes(a.value); continue; }
    w.fork();
    encodeAttr(w, name, a);
    w.ldelim();
  }
  if (n.domain) w.uint32(tag(7, 2)).string(n.domain);
  writeUnknown(w, n.unknown);
}

function encodeAttr(w: Writer, name: string, a: Exclude<Attr, { type: 'raw' }>): void {
  w.uint32(tag(1, 2)).string(name);
  switch (a.type) {
    case 'float': w.uint32(tag(2, 5)).float(a.value); w.uint32(tag(20, 0)).int32(ATTR.FLOAT); break;
    case 'int': w.uint32(tag(3, 0)).int64(a.value); w.uint32(tag(20, 0)).int32(ATTR.INT); break;
    case 'string': w.uint32(tag(4, 2)).bytes(utf8enc.encode(a.value)); w.uint32(tag(20, 0)).int32(ATTR.STRING); break;
    case 'tensor': w.uint32(tag(5, 2)).fork(); encodeTensor(w, '', a.value); w.ldelim(); w.uint32(tag(20, 0)).int32(ATTR.TENSOR); break;
    case 'graph': w.uint32(tag(6, 2)).fork(); encodeGraph(w, a.value); w.ldelim(); w.uint32(tag(20, 0)).int32(ATTR.GRAPH); break;
    case 'floats':
      w.uint32(tag(7, 2)).fork();
      for (const v of a.value) w.float(v);
      w.ldelim();
      w.uint32(tag(20, 0)).int32(ATTR.FLOATS);
      break;
    case 'ints':
      w.uint32(tag(8, 2)).fork();
      for (const v of a.value) w.int64(v);
      w.ldelim();
      w.uint32(tag(20, 0)).int32(ATTR.INTS);
      break;
    case 'strings':
      for (const v of a.value) w.uint32(tag(9, 2)).bytes(utf8enc.encode(v));
      w.uint32(tag(20, 0)).int32(ATTR.STRINGS);
      break;
    case 'tensors':
      for (const t of a.value) { w.uint32(tag(10, 2)).fork(); encodeTensor(w, '', t); w.ldelim(); }
      w.uint32(tag(20, 0)).int32(ATTR.TENSORS);
      break;
    case 'graphs':
      for (const g of a.value) { w.uint32(tag(11, 2)).fork(); encodeGraph(w, g); w.ldelim(); }
      w.uint32(tag(20, 0)).int32(ATTR.GRAPHS);
      break;
  }
}

function encodeValueInfo(w: Writer, field: number, v: ValueInfo): void {
  w.uint32(tag(field, 2)).fork();
  w.uint32(tag(1, 2)).string(v.name);
  w.uint32(tag(2, 2)).fork(); // TypeProto
  w.uint32(tag(1, 2)).fork(); // TypeProto.Tensor
  w.uint32(tag(1, 0)).int32(DTYPE_CODE[v.dtype]);
  if (v.dims) {
    w.uint32(tag(2, 2)).fork(); // TensorShapeProto
    for (const d of v.dims) {
      w.uint32(tag(1, 2)).fork();
      if (typeof d === 'number') w.uint32(tag(1, 0)).int64(d);
      else if (typeof d === 'string') w.uint32(tag(2, 2)).string(d);
      w.ldelim();
    }
    w.ldelim();
  }
  w.ldelim();
  w.ldelim();
  w.ldelim();
}

function encodeTensor(w: Writer, name: string, t: Tensor): void {
  if (t.dims.length) {
    w.uint32(tag(1, 2)).fork();
    for (const d of t.dims) w.int64(d);
    w.ldelim();
  }
  w.uint32(tag(2, 0)).int32(DTYPE_CODE[t.dtype]);
  if (name) w.uint32(tag(8, 2)).string(name);
  if (Array.isArray(t.data)) {
    for (const s of t.data) w.uint32(tag(6, 2)).bytes(utf8enc.encode(s));
  } else {
    const d = t.data;
    if (d.length !== numel(t.dims)) throw new Error(`tensor '${name}': ${d.length} values for dims [${t.dims}]`);
    if (d.byteLength > 0) w.uint32(tag(9, 2)).bytes(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
  }
}
