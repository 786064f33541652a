/**
 * Graph surgery: promote initializers to graph inputs (trainable weights), insert perturbation inputs at named
 * tensors (adversarial prompts / embeddings), and write a model back with new weights.
 */
import { GraphBuilder } from './builder';
import {
  castTensor, cloneGraph, describeNode, dtypeFromCode, getOpset, numel, producers,
  type DType, type Model, type Tensor,
} from './ir';
import { removeDeadNodes } from './passes';
import { inferShapes, type ShapeOptions, type TensorInfo } from './shapes';

/** Why `name` is not an initializer, for error messages. */
function whatIs(model: Model, name: string): string {
  const g = model.graph;
  if (g.inputs.some((v) => v.name === name)) return 'a graph input';
  const p = producers(g).get(name);
  if (p) return `the output of ${describeNode(p)}`;
  return 'not a tensor of this graph';
}

/**
 * Turns initializers into graph inputs (same name, dtype and dims). Returns the new model and the initial values the
 * caller now feeds.
 */
export function promoteInitializers(model: Model, names: string[]): { model: Model; values: Map<string, Tensor> } {
  const g = cloneGraph(model.graph);
  const values = new Map<string, Tensor>();
  for (const name of names) {
    const t = g.initializers.get(name);
    if (!t) throw new Error(`cannot promote '${name}' to an input: it is ${whatIs(model, name)}, not an initializer`);
    g.initializers.delete(name);
    values.set(name, t);
    const existing = g.inputs.find((v) => v.name === name);
    if (existing) existing.dims = [...t.dims];
    else g.inputs.push({ name, dtype: t.dtype, dims: [...t.dims] });
  }
  return { model: { ...model, graph: g }, values };
}

export interface PerturbationOptions extends ShapeOptions {
  /** Name of the new input (default `<tensor>_perturbation`). */
  input?: string;
  /** Shapes already inferred for the model (skips inference). */
  info?: Map<string, TensorInfo>;
}

/**
 * Inserts an additive perturbation input at `tensor`: every consumer of `tensor` reads `tensor + δ` instead, where δ
 * is a new graph input of the tensor's dtype and concrete dims. A graph output named `tensor` keeps the unperturbed
 * value.
 */
export function insertPerturbation(model: Model, tensor: string, o: PerturbationOptions = {}): { model: Model; input: string } {
  const info = o.info ?? inferShapes(model, o);
  const ti = info.get(tensor);
  if (!ti) throw new Error(`cannot perturb '${tensor}': no such tensor`);
  const g = cloneGraph(model.graph);
  const b = new GraphBuilder({ graph: g, opset: getOpset(model) });
  const input = b.input(o.input ?? `${tensor}_perturbation`, ti.dtype, ti.dims);
  const consumersBefore = g.nodes.filter((n) => n.inputs.includes(tensor));
  if (consumersBefore.length === 0) throw new Error(`cannot perturb '${tensor}': no node reads it`);
  const perturbed = b.op('Add', [tensor, input], {}, { outputs: [b.unique(`${tensor}_perturbed`)], name: b.unique(`${tensor}_perturb`) });
  for (const n of consumersBefore) n.inputs = n.inputs.map((x) => (x === tensor ? perturbed : x));
  // Keep the Add next to its producer so the node list stays topologically ordered.
  const addNode = g.nodes.pop()!;
  const at = g.nodes.indexOf(consumersBefore[0]);
  g.nodes.splice(at, 0, addNode);
  return { model: { ...model, graph: g }, input };
}

/**
 * The original model with new weight values, ready to export: `weights` maps names to new tensors. A name that is an
 * initializer keeps its stored dtype (float32 values are rounded to a float16 initializer, for instance). A name that
 * a node computes from constants in the original (a DequantizeLinear of 8-bit weights, a Cast of float16 weights —
 * the names `simplify` turns into initializers) replaces that node by a plain initializer; the now unused quantized
 * tensors are dropped. Everything else in the original model is kept as it was.
 */
export function withNewWeights(original: Model, weights: Map<string, Tensor> | Record<string, Tensor>): Model {
  const g = cloneGraph(original.graph);
  const prod = producers(g);
  const entries = weights instanceof Map ? [...weights] : Object.entries(weights);
  for (const [name, t] of entries) {
    const old = g.initializers.get(name);
    if (old) {
      if (numel(old.dims) !== numel(t.dims)) throw new Error(`new weight '${name}' has dims [${t.dims}], the model's has [${old.dims}]`);
      g.initializers.set(name, { ...castTensor(t, old.dtype), dims: [...old.dims] });
      continue;
    }
    const p = prod.get(name);
    if (!p) throw new Error(`cannot set weight '${name}': it is ${whatIs(original, name)}`);
    if (p.inputs.some((x) => x && !g.initializers.has(x))) throw new Error(`cannot set weight '${name}': ${describeNode(p)} does not compute it from constants only`);
    let dtype: DType;
    if (p.op === 'DequantizeLinear') dtype = g.initializers.get(p.inputs[1])!.dtype;
    else if (p.op === 'Cast') dtype = dtypeFromCode(p.attrs.to?.type === 'int' ? p.attrs.to.value : 1);
    else dtype = g.initializers.get(p.inputs[0])?.dtype ?? t.dtype;
    g.nodes = g.nodes.filter((n) => n !== p);
    g.initializers.set(name, castTensor(t, dtype));
  }
  return { ...original, graph: removeDeadNodes(g) };
}
