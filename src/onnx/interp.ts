/**
 * A tiny CPU interpreter for constant folding: the integer/shape ops exporters emit around Reshape (Shape, Gather,
 * Unsqueeze, Concat, Range, ConstantOfShape, Equal, Where, …), elementwise arithmetic on constants, Cast (incl.
 * float16 → float32) and DequantizeLinear on constant weights. Values go through float64, so integer results are
 * exact below 2^53 (int64 sentinels such as INT64_MAX in Slice ends saturate correctly).
 *
 * `evaluate` returns undefined for ops it does not implement; the caller then keeps the node.
 */
import {
  attrValue, castTensor, dtypeFromCode, isFloat, numbersToData, numel, strides, tensorFromNumbers, tensorToInts,
  tensorToNumbers, type DType, type Node, type Tensor,
} from './ir';
import { GraphError } from './errors';

export function broadcastShapes(...shapes: readonly number[][]): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const o = rank - s.length + i;
      const d = s[i];
      if (d === 1) continue;
      if (out[o] !== 1 && out[o] !== d) throw new GraphError(`shapes [${shapes.map((x) => x.join(',')).join('] and [')}] do not broadcast`);
      out[o] = d;
    }
  }
  return out;
}

/** For each input, the flat index feeding each output element under numpy broadcasting. */
function broadcastIndex(inDims: number[], outDims: number[]): Int32Array {
  const n = numel(outDims);
  const idx = new Int32Array(n);
  const rank = outDims.length;
  const inStr = strides(inDims);
  const eff = new Array<number>(rank).fill(0);
  for (let i = 0; i < inDims.length; i++) eff[rank - inDims.length + i] = inDims[i] === 1 ? 0 : inStr[i];
  const counter = new Array<number>(rank).fill(0);
  let off = 0;
  for (let k = 0; k < n; k++) {
    idx[k] = off;
    for (let d = rank - 1; d >= 0; d--) {
      counter[d]++;
      off += eff[d];
      if (counter[d] < outDims[d]) break;
      off -= eff[d] * counter[d];
      counter[d] = 0;
    }
  }
  return idx;
}

function elementwise(inputs: Tensor[], outDtype: DType, fn: (...v: number[]) => number): Tensor {
  const outDims = broadcastShapes(...inputs.map((t) => t.dims));
  const n = numel(outDims);
  const vals = inputs.map(tensorToNumbers);
  const idx = inputs.map((t) => broadcastIndex(t.dims, outDims));
  const out = new Float64Array(n);
  const args = new Array<number>(inputs.length);
  for (let k = 0; k < n; k++) {
    for (let j = 0; j < inputs.length; j++) args[j] = vals[j][idx[j][k]];
    out[k] = fn(...args);
  }
  return { dtype: outDtype, dims: outDims, data: numbersToData(outDtype, out) };
}

/** Gathers elements of `t` by flat index into a tensor of `dims`. */
function take(t: Tensor, dims: number[], flat: ArrayLike<number>): Tensor {
  const v = t.data;
  if (Array.isArray(v)) return { dtype: t.dtype, dims, data: Array.from(flat, (i) => v[i]) };
  const C = v.constructor as { new(n: number): typeof v };
  const out = new C(flat.length);
  for (let k = 0; k < flat.length; k++) (out as Float64Array)[k] = (v as Float64Array)[flat[k]];
  return { dtype: t.dtype, dims, data: out };
}

/**
 * An axis in [-rank, rank) (Flatten: [-rank, rank], `upTo`) made non-negative; anything else (a hostile 2^31) is
 * refused before it indexes an array.
 */
function normAxis(a: number, rank: number, upTo = false): number {
  const hi = upTo ? rank + 1 : rank;
  if (!Number.isInteger(a) || a < -rank || a >= hi) throw new RangeError(`axis ${a} is outside [${-rank}, ${hi}) for a rank-${rank} tensor`);
  return a < 0 ? a + rank : a;
}

export function transposeTensor(t: Tensor, perm: number[]): Tensor {
  const dims = perm.map((p) => t.dims[p]);
  const inStr = strides(t.dims);
  const n = numel(dims);
  const flat = new Int32Array(n);
  const rank = dims.length;
  const counter = new Array<number>(rank).fill(0);
  const eff = perm.map((p) => inStr[p]);
  let off = 0;
  for (let k = 0; k < n; k++) {
    flat[k] = off;
    for (let d = rank - 1; d >= 0; d--) {
      counter[d]++;
      off += eff[d];
      if (counter[d] < dims[d]) break;
      off -= eff[d] * counter[d];
      counter[d] = 0;
    }
  }
  return take(t, dims, flat);
}

/** Resolves Slice parameters on static dims: per-axis start, step and count (ONNX clamping rules). */
export function resolveSlice(dims: number[], starts: number[], ends: number[], axes?: number[], steps?: number[]): { start: number[]; step: number[]; count: number[] } {
  const rank = dims.length;
  const start = new Array<number>(rank).fill(0);
  const step = new Array<number>(rank).fill(1);
  const count = [...dims];
  const ax = axes ?? starts.map((_, i) => i);
  for (let i = 0; i < ax.length; i++) {
    const a = normAxis(ax[i], rank);
    const d = dims[a];
    const s = steps?.[i] ?? 1;
    if (s === 0) throw new GraphError('Slice step 0');
    let b = starts[i], e = ends[i];
    if (b < 0) b += d;
    if (e < 0) e += d;
    if (s > 0) {
      b = Math.min(Math.max(b, 0), d);
      e = Math.min(Math.max(e, 0), d);
      count[a] = Math.max(0, Math.ceil((e - b) / s));
    } else {
      b = Math.min(Math.max(b, -1), d - 1);
      e = Math.min(Math.max(e, -1), d - 1);
      count[a] = Math.max(0, Math.ceil((b - e) / -s));
    }
    start[a] = b;
    step[a] = s;
  }
  return { start, step, count };
}

/** Flat input index of every output element of a resolved slice. */
export function sliceIndices(dims: number[], r: { start: number[]; step: number[]; count: number[] }): Int32Array {
  const n = numel(r.count);
  const inStr = strides(dims);
  const flat = new Int32Array(n);
  const rank = dims.length;
  const counter = new Array<number>(rank).fill(0);
  let base = 0;
  for (let d = 0; d < rank; d++) base += r.start[d] * inStr[d];
  let off = base;
  for (let k = 0; k < n; k++) {
    flat[k] = off;
    for (let d = rank - 1; d >= 0; d--) {
      counter[d]++;
      off += r.step[d] * inStr[d];
      if (counter[d] < r.count[d]) break;
      off -= r.step[d] * inStr[d] * counter[d];
      counter[d] = 0;
    }
  }
  return flat;
}

/** Reshape target shape with ONNX's 0 (copy) and -1 (infer) conventions. */
export function resolveReshape(inDims: number[], shape: number[], allowzero = false): number[] {
  const out = shape.map((s, i) => (s === 0 && !allowzero ? inDims[i] : s));
  const neg = out.indexOf(-1);
  if (neg >= 0) {
    const known = out.reduce((a, s, i) => (i === neg ? a : a * s), 1);
    out[neg] = known === 0 ? 0 : numel(inDims) / known;
  }
  if (numel(out) !== numel(inDims)) throw new GraphError(`cannot reshape [${inDims}] to [${shape}]`);
  return out;
}

/** Unsqueeze output dims. */
export function unsqueezeDims(dims: number[], axes: number[]): number[] {
  const rank = dims.length + axes.length;
  const ax = new Set(axes.map((a) => normAxis(a, rank)));
  const out: number[] = [];
  let j = 0;
  for (let i = 0; i < rank; i++) out.push(ax.has(i) ? 1 : dims[j++]);
  return out;
}

export function squeezeDims(dims: number[], axes?: number[]): number[] {
  if (!axes || axes.length === 0) return dims.filter((d) => d !== 1);
  const ax = new Set(axes.map((a) => normAxis(a, dims.length)));
  return dims.filter((_, i) => !ax.has(i));
}

/** Gather output for static inputs. */
function gather(data: Tensor, indices: Tensor, axis: number): Tensor {
  const a = normAxis(axis, data.dims.length);
  const idx = tensorToInts(indices);
  const outer = numel(data.dims.slice(0, a));
  const d = data.dims[a];
  const inner = numel(data.dims.slice(a + 1));
  const dims = [...data.dims.slice(0, a), ...indices.dims, ...data.dims.slice(a + 1)];
  const flat = new Int32Array(numel(dims));
  let k = 0;
  for (let o = 0; o < outer; o++) {
    for (const raw of idx) {
      const i = raw < 0 ? raw + d : raw;
      if (i < 0 || i >= d) throw new GraphError(`Gather index ${raw} out of range for axis of size ${d}`);
      for (let j = 0; j < inner; j++) flat[k++] = (o * d + i) * inner + j;
    }
  }
  return take(data, dims, flat);
}

/** DequantizeLinear y = (x - zero_point) * scale, per-tensor, per-axis or blocked. */
export function dequantize(x: Tensor, scale: Tensor, zeroPoint: Tensor | undefined, axis = 1, blockSize = 0): Tensor {
  if (Array.isArray(x.data) || x.data instanceof BigInt64Array || x.data instanceof BigUint64Array) {
    throw new Error(`DequantizeLinear of ${x.dtype} is not supported`);
  }
  const xs = x.data as ArrayLike<number>; // int8/uint8/int16/uint16/int32: read in place (weights can be large)
  const ss = tensorToNumbers(scale);
  const zs = zeroPoint ? tensorToNumbers(zeroPoint) : undefined;
  const outDtype: DType = scale.dtype;
  const n = xs.length;
  const out = outDtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
  if (numel(scale.dims) === 1 && blockSize === 0) {
    const s = ss[0], z = zs ? zs[0] : 0;
    for (let k = 0; k < n; k++) out[k] = (xs[k] - z) * s;
  } else {
    const a = normAxis(axis, x.dims.length);
    const inner = numel(x.dims.slice(a + 1));
    const d = x.dims[a];
    if (blockSize > 0) {
      // Blocked: scale has x's shape with ceil(d / blockSize) along `axis`.
      const sd = scale.dims[a];
      const outer = numel(x.dims.slice(0, a));
      for (let o = 0; o < outer; o++) for (let i = 0; i < d; i++) for (let j = 0; j < inner; j++) {
        const k = (o * d + i) * inner + j;
        const si = (o * sd + Math.floor(i / blockSize)) * inner + j;
        out[k] = (xs[k] - (zs ? zs[si] : 0)) * ss[si];
      }
    } else {
      for (let k = 0; k < n; k++) {
        const c = Math.floor(k / inner) % d;
        out[k] = (xs[k] - (zs ? zs[c] : 0)) * ss[c];
      }
    }
  }
  return { dtype: outDtype, dims: [...x.dims], data: outDtype === 'float32' ? out : numbersToData(outDtype, out) };
}

const UNARY: Record<string, (v: number) => number> = {
  Neg: (v) => -v, Abs: Math.abs, Sqrt: Math.sqrt, Exp: Math.exp, Log: Math.log, Floor: Math.floor, Ceil: Math.ceil,
  Reciprocal: (v) => 1 / v, Sign: Math.sign, Relu: (v) => Math.max(v, 0), Round: roundHalfEven,
  Tanh: Math.tanh, Sigmoid: (v) => 1 / (1 + Math.exp(-v)), Softsign: (v) => v / (1 + Math.abs(v)),
  Softplus: (v) => (v > 20 ? v : Math.log1p(Math.exp(v))), Sin: Math.sin, Cos: Math.cos,
};

const BINARY: Record<string, (a: number, b: number) => number> = {
  Add: (a, b) => a + b, Sub: (a, b) => a - b, Mul: (a, b) => a * b, Div: (a, b) => a / b, Pow: (a, b) => a ** b,
  Max: Math.max, Min: Math.min, PRelu: (x, slope) => (x < 0 ? slope * x : x),
};

const COMPARE: Record<string, (a: number, b: number) => boolean> = {
  Equal: (a, b) => a === b, Less: (a, b) => a < b, Greater: (a, b) => a > b,
  LessOrEqual: (a, b) => a <= b, GreaterOrEqual: (a, b) => a >= b,
  And: (a, b) => !!a && !!b, Or: (a, b) => !!a || !!b, Xor: (a, b) => !!a !== !!b,
};

function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** The `value` of a Constant node, whichever attribute carries it. */
export function constantNodeValue(node: Node): Tensor | undefined {
  const a = node.attrs;
  if (a.value?.type === 'tensor') return a.value.value;
  if (a.value_float?.type === 'float') return tensorFromNumbers('float32', [a.value_float.value], []);
  if (a.value_floats?.type === 'floats') return tensorFromNumbers('float32', a.value_floats.value);
  if (a.value_int?.type === 'int') return tensorFromNumbers('int64', [a.value_int.value], []);
  if (a.value_ints?.type === 'ints') return tensorFromNumbers('int64', a.value_ints.value);
  if (a.value_string?.type === 'string') return { dtype: 'string', dims: [], data: [a.value_string.value] };
  if (a.value_strings?.type === 'strings') return { dtype: 'string', dims: [a.value_strings.value.length], data: a.value_strings.value };
  return undefined;
}

/** Axes from an attribute (older opsets) or from a constant input (newer). */
function axesOf(node: Node, ins: (Tensor | undefined)[], inputIndex: number): number[] | undefined {
  const t = ins[inputIndex];
  if (t) return tensorToInts(t);
  const a = node.attrs.axes;
  return a?.type === 'ints' ? a.value : undefined;
}

/** Ops `evaluate`'s switch handles (beyond the UNARY / BINARY / COMPARE tables); keep in step with it. */
const EVALUATED = new Set(['Constant', 'Identity', 'Not', 'IsNaN', 'IsInf', 'Elu', 'LeakyRelu', 'HardSigmoid', 'Clip', 'Sum', 'Mean', 'Mod', 'Cast', 'CastLike', 'Where', 'Size', 'Shape',
  'Reshape', 'Flatten', 'Unsqueeze', 'Squeeze', 'Transpose', 'Concat', 'Gather', 'Slice', 'Expand', 'Tile', 'Range',
  'ConstantOfShape', 'Trilu', 'DequantizeLinear', 'ReduceProd', 'ReduceSum', 'ReduceMax', 'ReduceMin']);

/** Whether `evaluate` folds `op` (default domain) when its inputs are constant. */
export function canEvaluate(op: string): boolean {
  return op in UNARY || op in BINARY || op in COMPARE || EVALUATED.has(op);
}

/**
 * Evaluates `node` on constant inputs (undefined entries = omitted optional inputs). Returns the outputs, or
 * undefined when the op is not implemented here.
 */
export function evaluate(node: Node, ins: (Tensor | undefined)[]): Tensor[] | undefined {
  if (node.domain && node.domain !== 'ai.onnx') return undefined;
  const op = node.op;
  const x = ins[0];
  if (op === 'Constant') {
    const v = constantNodeValue(node);
    return v ? [v] : undefined;
  }
  if (ins.length > 0 && !x && op !== 'Where') return undefined;
  if (x && x.dtype === 'string' && op !== 'Identity') return undefined;
  if (UNARY[op]) return [elementwise([x!], x!.dtype, UNARY[op])];
  if (BINARY[op]) {
    if (ins.length !== 2 || ins[1] === undefined) return undefined;
    const intDiv = op === 'Div' && !isFloat(x!.dtype);
    return [elementwise([x!, ins[1]], x!.dtype, intDiv ? (a, b) => Math.trunc(a / b) : BINARY[op])];
  }
  if (COMPARE[op]) return [elementwise([x!, ins[1]!], 'bool', (a, b) => (COMPARE[op](a, b) ? 1 : 0))];
  switch (op) {
    case 'Identity': return [x!];
    case 'Not': return [elementwise([x!], 'bool', (v) => (v ? 0 : 1))];
    case 'IsNaN': return [elementwise([x!], 'bool', (v) => (Number.isNaN(v) ? 1 : 0))];
    case 'IsInf': {
      const pos = attrValue(node, 'detect_positive', 1) === 1, neg = attrValue(node, 'detect_negative', 1) === 1;
      return [elementwise([x!], 'bool', (v) => ((pos && v === Infinity) || (neg && v === -Infinity) ? 1 : 0))];
    }
    case 'Elu': {
      const a = attrValue(node, 'alpha', 1);
      return [elementwise([x!], x!.dtype, (v) => (v < 0 ? a * Math.expm1(v) : v))];
    }
    case 'LeakyRelu': {
      const a = attrValue(node, 'alpha', 0.01);
      return [elementwise([x!], x!.dtype, (v) => (v < 0 ? a * v : v))];
    }
    case 'HardSigmoid': {
      const a = attrValue(node, 'alpha', 0.2), b = attrValue(node, 'beta', 0.5);
      return [elementwise([x!], x!.dtype, (v) => Math.max(0, Math.min(1, a * v + b)))];
    }
    case 'Clip': {
      const lo = ins[1] ? tensorToNumbers(ins[1])[0] : -Infinity, hi = ins[2] ? tensorToNumbers(ins[2])[0] : Infinity;
      return [elementwise([x!], x!.dtype, (v) => Math.min(Math.max(v, lo), hi))];
    }
    case 'Sum': case 'Mean': {
      if (ins.some((t) => !t)) return undefined;
      const n = ins.length;
      return [elementwise(ins as Tensor[], x!.dtype, (...v) => v.reduce((p, q) => p + q, 0) / (op === 'Mean' ? n : 1))];
    }
    case 'Mod': {
      const fmod = attrValue(node, 'fmod', 0) === 1;
      return [elementwise([x!, ins[1]!], x!.dtype, fmod ? (a, b) => a % b : (a, b) => { const r = a % b; return r !== 0 && (r < 0) !== (b < 0) ? r + b : r; })];
    }
    case 'Cast': return [castTensor(x!, dtypeFromCode(attrValue(node, 'to', 1)))];
    case 'CastLike': return [castTensor(x!, ins[1]!.dtype)];
    case 'Where': {
      const [c, a, b] = ins;
      if (!c || !a || !b) return undefined;
      return [elementwise([c, a, b], a.dtype, (cv, av, bv) => (cv ? av : bv))];
    }
    case 'Size': return [tensorFromNumbers('int64', [numel(x!.dims)], [])];
    case 'Shape': {
      const rank = x!.dims.length;
      let s = attrValue(node, 'start', 0), e = attrValue(node, 'end', rank);
      if (s < 0) s += rank;
      if (e < 0) e += rank;
      s = Math.min(Math.max(s, 0), rank);
      e = Math.min(Math.max(e, 0), rank);
      const dims = x!.dims.slice(s, Math.max(s, e));
      return [tensorFromNumbers('int64', dims, [dims.length])];
    }
    case 'Reshape': {
      const dims = resolveReshape(x!.dims, tensorToInts(ins[1]!), attrValue(node, 'allowzero', 0) === 1);
      return [{ ...x!, dims }];
    }
    case 'Flatten': {
      const a = normAxis(attrValue(node, 'axis', 1), x!.dims.length, true);
      return [{ ...x!, dims: [numel(x!.dims.slice(0, a)), numel(x!.dims.slice(a))] }];
    }
    case 'Unsqueeze': {
      const axes = axesOf(node, ins, 1);
      return axes ? [{ ...x!, dims: unsqueezeDims(x!.dims, axes) }] : undefined;
    }
    case 'Squeeze': return [{ ...x!, dims: squeezeDims(x!.dims, axesOf(node, ins, 1)) }];
    case 'Transpose': {
      const perm = attrValue<number[]>(node, 'perm', x!.dims.map((_, i) => x!.dims.length - 1 - i));
      return [transposeTensor(x!, perm)];
    }
    case 'Concat': {
      const parts = ins.filter((t): t is Tensor => !!t);
      const a = normAxis(attrValue(node, 'axis', 0), parts[0].dims.length);
      const dims = [...parts[0].dims];
      dims[a] = parts.reduce((s, t) => s + t.dims[a], 0);
      const outer = numel(dims.slice(0, a));
      const vals: number[] = [];
      const num = parts.map(tensorToNumbers);
      for (let o = 0; o < outer; o++) {
        for (let p = 0; p < parts.length; p++) {
          const chunk = numel(parts[p].dims.slice(a));
          for (let j = 0; j < chunk; j++) vals.push(num[p][o * chunk + j]);
        }
      }
      return [{ dtype: parts[0].dtype, dims, data: numbersToData(parts[0].dtype, vals) }];
    }
    case 'Gather': return [gather(x!, ins[1]!, attrValue(node, 'axis', 0))];
    case 'Slice': {
      const r = resolveSlice(x!.dims, tensorToInts(ins[1]!), tensorToInts(ins[2]!), ins[3] && tensorToInts(ins[3]), ins[4] && tensorToInts(ins[4]));
      return [take(x!, r.count, sliceIndices(x!.dims, r))];
    }
    case 'Expand': {
      const dims = broadcastShapes(x!.dims, tensorToInts(ins[1]!));
      return [take(x!, dims, broadcastIndex(x!.dims, dims))];
    }
    case 'Tile': {
      const reps = tensorToInts(ins[1]!);
      const dims = x!.dims.map((d, i) => d * reps[i]);
      const n = numel(dims);
      const os = strides(dims), is = strides(x!.dims);
      const flat = new Int32Array(n);
      for (let k = 0; k < n; k++) {
        let r = k, off = 0;
        for (let d = 0; d < dims.length; d++) {
          const c = Math.floor(r / os[d]);
          r -= c * os[d];
          off += (c % x!.dims[d]) * is[d];
        }
        flat[k] = off;
      }
      return [take(x!, dims, flat)];
    }
    case 'Range': {
      const [s, l, d] = [ins[0]!, ins[1]!, ins[2]!].map((t) => tensorToNumbers(t)[0]);
      const n = Math.max(Math.ceil((l - s) / d), 0);
      return [tensorFromNumbers(x!.dtype, Array.from({ length: n }, (_, i) => s + i * d), [n])];
    }
    case 'ConstantOfShape': {
      const dims = tensorToInts(x!);
      const v = node.attrs.value?.type === 'tensor' ? node.attrs.value.value : tensorFromNumbers('float32', [0], [1]);
      const val = tensorToNumbers(v)[0];
      const out = numbersToData(v.dtype, new Float64Array(numel(dims)).fill(val));
      return [{ dtype: v.dtype, dims, data: out }];
    }
    case 'Trilu': {
      const k = ins[1] ? tensorToNumbers(ins[1])[0] : 0;
      const upper = attrValue(node, 'upper', 1) === 1;
      const dims = x!.dims;
      const R = dims[dims.length - 2], C = dims[dims.length - 1];
      const v = tensorToNumbers(x!);
      for (let i = 0; i < v.length; i++) {
        const c = i % C, r = Math.floor(i / C) % R;
        if (upper ? c - r < k : c - r > k) v[i] = 0;
      }
      return [{ dtype: x!.dtype, dims: [...dims], data: numbersToData(x!.dtype, v) }];
    }
    case 'DequantizeLinear':
      return [dequantize(x!, ins[1]!, ins[2], attrValue(node, 'axis', 1), attrValue(node, 'block_size', 0))];
    case 'ReduceProd': case 'ReduceSum': case 'ReduceMax': case 'ReduceMin': {
      const axes = axesOf(node, ins, 1);
      const keep = attrValue(node, 'keepdims', 1) === 1;
      const rank = x!.dims.length;
      const ax = new Set((axes && axes.length ? axes : (attrValue(node, 'noop_with_empty_axes', 0) ? [] : x!.dims.map((_, i) => i))).map((a) => normAxis(a, rank)));
      if (ax.size === 0) return [x!];
      const outDims = x!.dims.map((d, i) => (ax.has(i) ? 1 : d));
      const v = tensorToNumbers(x!);
      const init = op === 'ReduceProd' ? 1 : op === 'ReduceSum' ? 0 : op === 'ReduceMax' ? -Infinity : Infinity;
      const acc = new Float64Array(numel(outDims)).fill(init);
      const is = strides(x!.dims), os = strides(outDims);
      for (let k = 0; k < v.length; k++) {
        let r = k, o = 0;
        for (let d = 0; d < rank; d++) {
          const c = Math.floor(r / is[d]);
          r -= c * is[d];
          if (!ax.has(d)) o += c * os[d];
        }
        acc[o] = op === 'ReduceProd' ? acc[o] * v[k] : op === 'ReduceSum' ? acc[o] + v[k] : op === 'ReduceMax' ? Math.max(acc[o], v[k]) : Math.min(acc[o], v[k]);
      }
      const dims = keep ? outDims : x!.dims.filter((_, i) => !ax.has(i));
      return [{ dtype: x!.dtype, dims, data: numbersToData(x!.dtype, acc) }];
    }
    default:
      return undefined;
  }
}
