/**
 * Lower-precision variants back to float32 graphs the autodiff and our sessions take:
 *
 * - float16 / bfloat16 (`_fp16`): every half tensor, input, output, Cast and constant upcast (src/onnx `upcastFloat16`).
 * - 8-bit (`_quantized`, `_int8`, `_uint8`: onnxruntime's dynamic quantisation, which transformers.js uses):
 *     DynamicQuantizeLinear(x) → MatMulInteger(x_q, W_q, x_zp, W_zp) → Cast(float) → Mul(·, x_scale · W_scale)
 *   becomes MatMul(x, W) with W = (W_q − W_zp) · W_scale dequantised once (per-tensor or per-column scales);
 *   ConvInteger the same way into Conv; Gather(W_q, ids) → DequantizeLinear into Gather(W, ids); DequantizeLinear
 *   of constant weights (QDQ weight-only models) into float initializers. The result computes with float
 *   activations: gradients flow through it, which they cannot through DynamicQuantizeLinear.
 *
 * Anything quantised that matches none of these is refused with the node named (`ModelLoadError('quantization')`).
 */
import { dequantize } from '../onnx/interp';
import {
  DTYPE_CODE, cloneGraph, consumers, describeNode, numel, producers, tensorToNumbers, topoSort,
  type Graph, type Model, type Node, type Tensor,
} from '../onnx/ir';
import { removeDeadNodes, upcastFloat16 } from '../onnx/passes';
import { ModelLoadError } from './errors';

/** Ops that only appear in quantised graphs; any left after conversion is an error. */
export const QUANTIZED_OPS = new Set(['DynamicQuantizeLinear', 'MatMulInteger', 'ConvInteger', 'QuantizeLinear', 'DequantizeLinear',
  'QLinearMatMul', 'QLinearConv', 'QLinearAdd', 'QLinearMul', 'MatMulNBits', 'QAttention', 'DynamicQuantizeMatMul', 'GatherBlockQuantized']);

export interface ConversionResult {
  model: Model;
  /** What was done, for the UI ("upcast float16 → float32", "dequantised 24 MatMulInteger"). */
  steps: string[];
}

function hasHalf(m: Model): boolean {
  const g = m.graph;
  const half = (d: string): boolean => d === 'float16' || d === 'bfloat16';
  if ([...g.inputs, ...g.outputs].some((v) => half(v.dtype))) return true;
  for (const t of g.initializers.values()) if (half(t.dtype)) return true;
  return g.nodes.some((n) => Object.values(n.attrs).some((a) =>
    (a.type === 'tensor' && half(a.value.dtype)) || (a.type === 'int' && n.op === 'Cast' && (a.value === DTYPE_CODE.float16 || a.value === DTYPE_CODE.bfloat16))));
}

/** A constant tensor: an initializer or a Constant node's value. */
function constantOf(g: Graph, prod: Map<string, Node>, name: string): Tensor | undefined {
  if (!name) return undefined;
  const init = g.initializers.get(name);
  if (init) return init;
  const p = prod.get(name);
  if (p?.op === 'Constant' && p.attrs.value?.type === 'tensor') return p.attrs.value.value;
  return undefined;
}

/** (W_q − zp) · scale as float32, the scale/zero point broadcast along `axis` (per-channel) or per-tensor. */
function dequantWeight(wq: Tensor, scale: Tensor, zp: Tensor | undefined, axis: number, what: string): Tensor {
  const ns = numel(scale.dims);
  if (zp && numel(zp.dims) !== ns) throw new ModelLoadError('quantization', `${what}: zero point has ${numel(zp.dims)} values but the scale has ${ns}`);
  const a = axis < 0 ? axis + wq.dims.length : axis;
  if (ns !== 1 && ns !== wq.dims[a]) {
    throw new ModelLoadError('quantization', `${what}: weight scale of ${ns} values fits neither per-tensor nor per-channel (axis ${axis}) quantisation of a [${wq.dims}] weight`);
  }
  const flatScale: Tensor = { dtype: 'float32', dims: ns === 1 ? [] : [ns], data: Float32Array.from(tensorToNumbers(scale)) };
  const flatZp: Tensor | undefined = zp ? { ...zp, dims: ns === 1 ? [] : [ns] } : undefined;
  const out = dequantize(wq, flatScale, flatZp, a);
  return { dtype: 'float32', dims: [...wq.dims], data: out.data instanceof Float32Array ? out.data : Float32Array.from(tensorToNumbers(out)) };
}

interface Rewriter {
  g: Graph;
  prod: Map<string, Node>;
  cons: Map<string, Node[]>;
  removed: Set<Node>;
  replaced: Map<Node, Node>;
  dequantized: Map<string, string>;
  newInit(base: string, t: Tensor): string;
}

/**
 * Follows MatMulInteger / ConvInteger through its Cast(float) and the Mul by x_scale · w_scale. Returns the float
 * input x, the weight scale and the final Mul (whose output the float op takes over).
 */
function integerChain(r: Rewriter, n: Node): { x: string; wScale: Tensor; wScaleName: string; mul: Node; cast: Node } {
  const what = describeNode(n);
  const [a, , aZp] = n.inputs;
  const dq = r.prod.get(a);
  if (!dq || dq.op !== 'DynamicQuantizeLinear' || dq.outputs[0] !== a) {
    throw new ModelLoadError('quantization', `${what}: its activation input does not come from DynamicQuantizeLinear (static quantisation is not supported)`);
  }
  if (aZp && aZp !== dq.outputs[2]) throw new ModelLoadError('quantization', `${what}: activation zero point is not DynamicQuantizeLinear's`);
  const xScale = dq.outputs[1];
  const next = r.cons.get(n.outputs[0]) ?? [];
  const cast = next.length === 1 && next[0].op === 'Cast' && next[0].attrs.to?.type === 'int' && next[0].attrs.to.value === DTYPE_CODE.float32 ? next[0] : undefined;
  if (!cast) throw new ModelLoadError('quantization', `${what}: expected a single Cast to float after it, found ${next.map(describeNode).join(', ') || 'nothing'}`);
  const after = r.cons.get(cast.outputs[0]) ?? [];
  const mul = after.length === 1 && after[0].op === 'Mul' ? after[0] : undefined;
  if (!mul) throw new ModelLoadError('quantization', `${what}: expected a Mul by the scales after its Cast, found ${after.map(describeNode).join(', ') || 'nothing'}`);
  const other = mul.inputs[0] === cast.outputs[0] ? mul.inputs[1] : mul.inputs[0];
  const sm = r.prod.get(other);
  if (!sm || sm.op !== 'Mul' || !sm.inputs.includes(xScale)) {
    throw new ModelLoadError('quantization', `${what}: the output scale is not x_scale · w_scale (${sm ? describeNode(sm) : `'${other}'`})`);
  }
  const wsName = sm.inputs[0] === xScale ? sm.inputs[1] : sm.inputs[0];
  const wScale = constantOf(r.g, r.prod, wsName);
  if (!wScale) throw new ModelLoadError('quantization', `${what}: weight scale '${wsName}' is not a constant`);
  return { x: dq.inputs[0], wScale, wScaleName: wsName, mul, cast };
}

function rewriteInteger(r: Rewriter, n: Node): void {
  const what = describeNode(n);
  const wq = constantOf(r.g, r.prod, n.inputs[1]);
  if (!wq) throw new ModelLoadError('quantization', `${what}: weight '${n.inputs[1]}' is not a constant`);
  const wzp = n.inputs[3] ? constantOf(r.g, r.prod, n.inputs[3]) : undefined;
  if (n.inputs[3] && !wzp) throw new ModelLoadError('quantization', `${what}: weight zero point '${n.inputs[3]}' is not a constant`);
  const { x, wScale, wScaleName, mul, cast } = integerChain(r, n);
  const conv = n.op === 'ConvInteger';
  // MatMul: per-column scales run along the last axis of W [.., K, N]; Conv: per output channel, axis 0 of W [M, C, kh, kw].
  let scale = wScale;
  if (conv && numel(wScale.dims) > 1) {
    // The Mul applies [M, 1, 1]-shaped scales to [N, M, H, W] outputs; anything else is not per-channel.
    if (!(wScale.dims.length === 3 && wScale.dims[1] === 1 && wScale.dims[2] === 1)) {
      throw new ModelLoadError('quantization', `${what}: weight scale of shape [${wScale.dims}] is not per-tensor or per-output-channel [M, 1, 1]`);
    }
    scale = { ...wScale, dims: [wScale.dims[0]] };
  } else if (!conv && numel(wScale.dims) > 1 && wScale.dims.slice(0, -1).some((d) => d !== 1)) {
    throw new ModelLoadError('quantization', `${what}: weight scale of shape [${wScale.dims}] is not per-tensor or per-column`);
  }
  // A weight read by several nodes (tied weights) is dequantised once.
  const key = `${n.op}|${n.inputs[1]}|${n.inputs[3]}|${wScaleName}`;
  let wName = r.dequantized.get(key);
  if (!wName) {
    wName = r.newInit(`${n.inputs[1]}_dequantized`, dequantWeight(wq, scale, wzp, conv ? 0 : -1, what));
    r.dequantized.set(key, wName);
  }
  const attrs = conv ? { ...n.attrs } : {};
  const repl: Node = { op: conv ? 'Conv' : 'MatMul', domain: '', name: n.name, inputs: [x, wName], outputs: [mul.outputs[0]], attrs };
  r.replaced.set(n, repl);
  r.removed.add(cast).add(mul);
}

/** Gather(W_q, ids) → DequantizeLinear(·, scale, zp) with constant W_q, scale, zp: Gather on the float weights. */
function rewriteGatherDequant(r: Rewriter, dql: Node): boolean {
  const gather = r.prod.get(dql.inputs[0]);
  if (!gather || gather.op !== 'Gather' || (r.cons.get(gather.outputs[0]) ?? []).length !== 1) return false;
  const wq = constantOf(r.g, r.prod, gather.inputs[0]);
  const scale = constantOf(r.g, r.prod, dql.inputs[1]);
  const zp = dql.inputs[2] ? constantOf(r.g, r.prod, dql.inputs[2]) : undefined;
  if (!wq || !scale || (dql.inputs[2] && !zp)) return false;
  if (numel(scale.dims) !== 1) return false; // per-axis scales would index the gathered axis: not matched
  const w = dequantWeight(wq, scale, zp, 0, describeNode(dql));
  const wName = r.newInit(`${gather.inputs[0]}_dequantized`, w);
  r.replaced.set(gather, { ...gather, inputs: [wName, ...gather.inputs.slice(1)], outputs: [dql.outputs[0]] });
  r.removed.add(dql);
  return true;
}

/** DequantizeLinear whose inputs are all constants: a float initializer with its output's name. */
function foldConstantDequant(r: Rewriter, dql: Node): boolean {
  const x = constantOf(r.g, r.prod, dql.inputs[0]);
  const scale = constantOf(r.g, r.prod, dql.inputs[1]);
  const zp = dql.inputs[2] ? constantOf(r.g, r.prod, dql.inputs[2]) : undefined;
  if (!x || !scale || (dql.inputs[2] && !zp)) return false;
  const axisAttr = dql.attrs.axis?.type === 'int' ? dql.attrs.axis.value : 1;
  const block = dql.attrs.block_size?.type === 'int' ? dql.attrs.block_size.value : 0;
  const out = dequantize(x, scale, zp, axisAttr, block);
  r.g.initializers.set(dql.outputs[0], { dtype: 'float32', dims: out.dims, data: out.data instanceof Float32Array ? out.data : Float32Array.from(tensorToNumbers(out)) });
  r.removed.add(dql);
  return true;
}

/** Dequantises the patterns above; returns the counts per rewrite. */
export function dequantizeModel(model: Model): { model: Model; counts: Record<string, number> } {
  const g = cloneGraph(model.graph);
  const r: Rewriter = {
    g, prod: producers(g), cons: consumers(g), removed: new Set(), replaced: new Map(), dequantized: new Map(),
    newInit(base, t) {
      let name = base;
      for (let k = 1; g.initializers.has(name) || r.prod.has(name); k++) name = `${base}_${k}`;
      g.initializers.set(name, t);
      return name;
    },
  };
  const counts: Record<string, number> = {};
  const bump = (k: string): void => { counts[k] = (counts[k] ?? 0) + 1; };
  for (const n of g.nodes) {
    if ((n.domain && n.domain !== 'ai.onnx') || r.removed.has(n) || r.replaced.has(n)) continue;
    if (n.op === 'MatMulInteger' || n.op === 'ConvInteger') {
      rewriteInteger(r, n);
      bump(n.op);
    }
  }
  for (const n of g.nodes) {
    if (n.op !== 'DequantizeLinear' || r.removed.has(n)) continue;
    if (rewriteGatherDequant(r, n)) bump('Gather+DequantizeLinear');
    else if (foldConstantDequant(r, n)) bump('DequantizeLinear');
  }
  g.nodes = g.nodes.filter((n) => !r.removed.has(n)).map((n) => r.replaced.get(n) ?? n);
  let out: Graph = removeDeadNodes(g);
  out = { ...out, nodes: topoSort(out) };
  const left = out.nodes.filter((n) => QUANTIZED_OPS.has(n.op));
  if (left.length) {
    throw new ModelLoadError('quantization', `cannot dequantise ${left.length} node(s): ${left.slice(0, 5).map(describeNode).join(', ')}${left.length > 5 ? ', …' : ''} (only onnxruntime's dynamic 8-bit quantisation and constant DequantizeLinear weights are supported)`);
  }
  return { model: { ...model, graph: out }, counts };
}

/** Any variant → a float32 graph (the model itself when it already is one). */
export function toFloat32(model: Model): ConversionResult {
  const steps: string[] = [];
  let m = model;
  if (hasHalf(m)) {
    m = upcastFloat16(m);
    steps.push('upcast float16 → float32');
  }
  if (m.graph.nodes.some((n) => QUANTIZED_OPS.has(n.op))) {
    const d = dequantizeModel(m);
    m = d.model;
    steps.push(`dequantised ${Object.entries(d.counts).map(([k, v]) => `${v} ${k}`).join(', ')}`);
  }
  return { model: m, steps };
}
