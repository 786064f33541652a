/**
 * Graph passes. All return new models/graphs and never mutate their argument's nodes or tensors.
 *
 * - `foldConstants`: evaluates constant sub-graphs (shape chains, Range/ConstantOfShape/Equal/Where masks,
 *   DequantizeLinear on constant weights, Cast) into initializers, fixes input dims, sorts nodes topologically and
 *   drops dead nodes.
 * - `upcastFloat16`: float16/bfloat16 initializers, inputs, outputs, Casts and constants become float32.
 * - `normalizeOpset`: lifts a 13–17 model to opset 18 conventions (Reduce* axes as inputs, Split num_outputs).
 * - `removeDeadNodes`: drops nodes and initializers that no graph output depends on.
 * - `simplify`: all of the above, in the order the autodiff needs.
 */
import { GraphBuilder } from './builder';
import {
  DTYPE_CODE, castTensor, cloneGraph, describeNode, getOpset, tensorFromNumbers, withOpset,
  type Attr, type Graph, type Model, type Node, type Tensor,
} from './ir';
import { propagate, type PropagateOptions, type TensorInfo } from './shapes';

/** Keeps only nodes that (transitively) feed a graph output, and initializers they read. Graph inputs stay. */
export function removeDeadNodes(g: Graph): Graph {
  const live = new Set<string>(g.outputs.map((o) => o.name));
  const kept: Node[] = [];
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    const n = g.nodes[i];
    if (!n.outputs.some((o) => o && live.has(o))) continue;
    kept.push(n);
    for (const x of n.inputs) if (x) live.add(x);
    for (const a of Object.values(n.attrs)) if (a.type === 'graph') for (const x of outerNames(a.value)) live.add(x);
  }
  kept.reverse();
  const inits = new Map<string, Tensor>();
  for (const [k, v] of g.initializers) if (live.has(k)) inits.set(k, v);
  return { ...g, nodes: kept, initializers: inits };
}

/** Names a subgraph reads from its enclosing scope (conservatively: every input name of every node). */
function outerNames(g: Graph): string[] {
  return g.nodes.flatMap((n) => [...n.inputs, ...Object.values(n.attrs).flatMap((a) => (a.type === 'graph' ? outerNames(a.value) : []))]);
}

/** Sets graph input/output dims from inferred info (concrete after folding). */
function annotate(g: Graph, info: Map<string, TensorInfo>): void {
  for (const v of [...g.inputs, ...g.outputs]) {
    const i = info.get(v.name);
    if (i) {
      v.dims = [...i.dims];
      v.dtype = i.dtype;
    }
  }
  g.valueInfo = [];
}

/**
 * Folds constant sub-graphs into initializers (see `propagate` for what counts as constant), returning a
 * topologically sorted graph with concrete input/output dims and no dead nodes. Names in `keep` are never treated as
 * constants by their consumers (the node producing one may still fold into an initializer of that name).
 */
export function foldConstants(model: Model, o: PropagateOptions = {}): Model {
  const g = cloneGraph(model.graph);
  const { info, values, order } = propagate({ ...model, graph: g }, o);
  const nodes: Node[] = [];
  for (const n of order) {
    const folded = n.outputs.some(Boolean) && n.outputs.every((x) => !x || values.has(x));
    if (!folded) {
      nodes.push(n);
      continue;
    }
    for (const x of n.outputs) if (x) g.initializers.set(x, values.get(x)!);
  }
  g.nodes = nodes;
  // A graph output that became a constant is re-exposed through an Identity, so outputs stay node outputs.
  const b = new GraphBuilder({ graph: g, opset: getOpset(model) });
  for (const out of g.outputs) {
    const t = g.initializers.get(out.name);
    if (!t || g.inputs.some((v) => v.name === out.name)) continue;
    g.initializers.delete(out.name);
    const c = b.init(`${out.name}_const`, t);
    b.op('Identity', [c], {}, { outputs: [out.name] });
  }
  annotate(g, info);
  return { ...model, graph: removeDeadNodes(g) };
}

const HALF = new Set([DTYPE_CODE.float16, DTYPE_CODE.bfloat16]);

/** float16/bfloat16 → float32 everywhere: initializers, graph I/O, Cast targets and constant attributes. */
export function upcastFloat16(model: Model): Model {
  const up = (t: Tensor): Tensor => (t.dtype === 'float16' || t.dtype === 'bfloat16' ? castTensor(t, 'float32') : t);
  const upGraph = (src: Graph): Graph => {
    const g = cloneGraph(src);
    for (const [k, t] of g.initializers) g.initializers.set(k, up(t));
    for (const v of [...g.inputs, ...g.outputs, ...g.valueInfo]) if (v.dtype === 'float16' || v.dtype === 'bfloat16') v.dtype = 'float32';
    for (const n of g.nodes) {
      for (const [k, a] of Object.entries(n.attrs)) {
        let b: Attr = a;
        if (a.type === 'tensor') b = { type: 'tensor', value: up(a.value) };
        else if (a.type === 'tensors') b = { type: 'tensors', value: a.value.map(up) };
        else if (a.type === 'graph') b = { type: 'graph', value: upGraph(a.value) };
        else if (a.type === 'graphs') b = { type: 'graphs', value: a.value.map(upGraph) };
        else if (a.type === 'int' && (k === 'to' || k === 'dtype' || k === 'output_dtype') && HALF.has(a.value)) b = { type: 'int', value: DTYPE_CODE.float32 };
        n.attrs[k] = b;
      }
    }
    return g;
  };
  return { ...model, graph: upGraph(model.graph) };
}

const REDUCE_AXES_ATTR = new Set(['ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2',
  'ReduceLogSum', 'ReduceLogSumExp', 'ReduceSumSquare']);

/**
 * Lifts a model at opset 13–17 to opset `target` (≥ 18): Reduce* axes attributes become constant inputs and Splits
 * without a `split` input get `num_outputs`. Models already at or above `target` are returned unchanged.
 */
export function normalizeOpset(model: Model, target = 18): Model {
  const opset = getOpset(model);
  if (opset < 13) throw new Error(`opset ${opset} is not supported (13 and above)`);
  if (opset >= target) return model;
  const g = cloneGraph(model.graph);
  const b = new GraphBuilder({ graph: g, opset: target });
  for (const n of g.nodes) {
    if (n.domain && n.domain !== 'ai.onnx') continue;
    if (REDUCE_AXES_ATTR.has(n.op) && n.attrs.axes) {
      const axes = n.attrs.axes;
      if (axes.type !== 'ints') throw new Error(`${describeNode(n)}: axes attribute is not ints`);
      delete n.attrs.axes;
      n.inputs = [n.inputs[0], b.init(`${n.name || n.outputs[0]}_axes`, tensorFromNumbers('int64', axes.value))];
    }
    if (n.op === 'Split' && !n.inputs[1] && !n.attrs.num_outputs) n.attrs.num_outputs = { type: 'int', value: n.outputs.length };
  }
  return withOpset({ ...model, graph: g }, target);
}

export interface SimplifyOptions extends PropagateOptions {
  /** Minimum opset to lift the model to (default 18). */
  opset?: number;
}

/** normalizeOpset → upcastFloat16 → foldConstants (with dead-node removal). */
export function simplify(model: Model, o: SimplifyOptions = {}): Model {
  return foldConstants(upcastFloat16(normalizeOpset(model, o.opset ?? 18)), o);
}
