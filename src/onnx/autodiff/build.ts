/**
 * `buildGradientGraphs`: from one ONNX model, a forward graph that also outputs the activations the backward pass
 * needs, and a backward graph mapping (saved activations, upstream gradients of chosen outputs) to gradients w.r.t.
 * chosen inputs, weights and perturbations. Losses live outside the graphs (WGSL kernels), so the caller feeds
 * `grad_<output>` and reads `grad_<wrt>`.
 *
 * Pipeline: normalizeOpset(18) → upcastFloat16 → foldConstants (batch fixed; wrt/perturb targets kept) →
 * promote wrt initializers to inputs → insert perturbation inputs → shape inference → reverse-mode sweep over the
 * nodes between wrt and outputs using RULES → resolve the forward tensors the backward reads (graph inputs are fed,
 * constants copied or shared, intermediates saved or recomputed).
 */
import { GraphBuilder } from '../builder';
import {
  cloneGraph, cloneNode, describeNode, getOpset, isFloat, producers, tensorFromNumbers, tensorToInts, topoSort,
  type Graph, type Model, type Node, type Tensor, type ValueInfo,
} from '../ir';
import { normalizeOpset, removeDeadNodes, foldConstants, upcastFloat16 } from '../passes';
import { hasShapeRule, inferShapes, type ShapeOptions, type TensorInfo } from '../shapes';
import { insertPerturbation, promoteInitializers } from '../surgery';
import { makeCtx, type GradRule } from './context';
import { RULES } from './rules';

/** Which forward activations the backward recomputes instead of reading them as saved outputs. */
export type RecomputePolicy = 'none' | 'all' | 'cheap' | ((node: Node) => boolean);

export interface GradientOptions extends ShapeOptions {
  /**
   * What to differentiate with respect to: graph inputs, initializers (promoted to graph inputs: trainable weights;
   * names `simplify` folds into initializers — DequantizeLinear or Cast outputs — count as initializers), or
   * perturbation inputs created by `perturb` (by their input name or by the perturbed tensor's name).
   */
  wrt: string[];
  /** Outputs whose upstream gradients the backward takes (default: every float graph output). */
  outputs?: string[];
  /** Tensors at which to insert additive perturbation inputs `<tensor>_perturbation` (differentiated too). */
  perturb?: string[];
  /** Default 'none': save every activation the backward reads. */
  recompute?: RecomputePolicy;
  /** Backward reads forward constants as inputs (`constantInputs`) instead of holding copies. Default false. */
  shareConstants?: boolean;
  /** Allow wrt tensors that do not influence the outputs (their gradient is then an explicit zero). Default false. */
  allowDisconnected?: boolean;
  /** Override or extend the rule table (tests patch entries here). */
  rules?: Record<string, GradRule>;
}

export interface GradientGraphs {
  /** Prepared forward model: wrt weights and perturbations are inputs; outputs = `outputs` + `savedNames`. */
  forward: Model;
  /**
   * Backward model. Inputs: `savedNames`, then `forwardInputsUsed` (the same tensors fed to the forward), then
   * `constantInputs` (with shareConstants), then the `grad_<output>` upstream gradients. Outputs: `grad_<wrt>`.
   */
  backward: Model;
  /** Forward intermediates the forward additionally outputs and the backward reads (same names in both). */
  savedNames: string[];
  /** Forward graph inputs the backward also reads. */
  forwardInputsUsed: string[];
  /** Forward initializers the backward reads as inputs (only with shareConstants; values in forward.graph.initializers). */
  constantInputs: string[];
  /** The differentiated outputs, in order. */
  outputs: string[];
  /** The differentiated tensors (forward input names), in order. */
  wrt: string[];
  /** output name → backward input name of its upstream gradient. */
  gradInputs: Record<string, string>;
  /** wrt name → backward output name of its gradient. */
  gradOutputs: Record<string, string>;
  /** perturbed tensor → perturbation input name. */
  perturbations: Record<string, string>;
  /** Initial values of the weights promoted to inputs. */
  initialValues: Map<string, Tensor>;
  /** Concrete shapes of every forward tensor. */
  shapes: Map<string, TensorInfo>;
}

const CHEAP = new Set(['Identity', 'Cast', 'Neg', 'Add', 'Sub', 'Mul', 'Div', 'Reshape', 'Flatten', 'Squeeze', 'Unsqueeze',
  'Transpose', 'Expand', 'Concat', 'Split', 'Slice', 'Where', 'Sqrt', 'Pow', 'Exp', 'Tanh', 'Erf', 'Sigmoid', 'Relu', 'Gelu']);

function recomputes(policy: RecomputePolicy, node: Node): boolean {
  if (policy === 'none') return false;
  if (policy === 'all') return true;
  if (policy === 'cheap') return CHEAP.has(node.op);
  return policy(node);
}

/** Ops of the model that have no entry in the rule table, as "Op node 'name'" strings (empty when all have one). */
export function unsupportedOps(model: Model, rules: Record<string, GradRule> = RULES): string[] {
  return model.graph.nodes.filter((n) => (n.domain && n.domain !== 'ai.onnx') || !Object.prototype.hasOwnProperty.call(rules, n.op)).map(describeNode);
}

export function buildGradientGraphs(model: Model, o: GradientOptions): GradientGraphs {
  const rules = o.rules ? { ...RULES, ...o.rules } : RULES;
  const perturbTargets = o.perturb ?? [];
  const keep = new Set([...o.wrt, ...perturbTargets]);

  // 0. Ops nothing here understands fail first, named (shape inference would otherwise stop at them).
  for (const n of model.graph.nodes) {
    const known = !n.domain || n.domain === 'ai.onnx';
    if (!known || (!hasShapeRule(n.op) && n.op !== 'Constant' && !Object.prototype.hasOwnProperty.call(rules, n.op))) {
      throw new Error(`cannot differentiate ${describeNode(n)}: no gradient rule (nor shape inference) for ${n.op}`);
    }
  }

  // 1. Prepare: opset 18 conventions, float32 weights, constants folded for the fixed shapes.
  let m = foldConstants(upcastFloat16(normalizeOpset(model, 18)), { ...o, keep });
  const opset = getOpset(m);

  // 2. Weights → inputs; perturbation inputs.
  const graphInputs = new Set(m.graph.inputs.map((v) => v.name));
  const promote = o.wrt.filter((w) => !graphInputs.has(w) && !perturbTargets.includes(w) && m.graph.initializers.has(w));
  const promoted = promoteInitializers(m, promote);
  m = promoted.model;
  const perturbations: Record<string, string> = {};
  for (const t of perturbTargets) {
    const r = insertPerturbation(m, t, o);
    m = r.model;
    perturbations[t] = r.input;
  }
  const inputsNow = new Set(m.graph.inputs.map((v) => v.name));
  const wrt = o.wrt.map((w) => {
    const name = perturbations[w] ?? w;
    if (inputsNow.has(name)) return name;
    const p = producers(m.graph).get(w);
    throw new Error(`wrt '${w}' is ${p ? `the output of ${describeNode(p)}` : 'not a tensor of this model'}; `
      + 'differentiate with respect to graph inputs, initializers, or tensors listed in `perturb`');
  });
  for (const t of perturbTargets) if (!wrt.includes(perturbations[t])) wrt.push(perturbations[t]);
  const info = inferShapes(m, o);
  for (const w of wrt) {
    const t = info.get(w)!;
    if (!isFloat(t.dtype)) throw new Error(`wrt '${w}' is ${t.dtype}; only float tensors have gradients (for quantised weights, name the DequantizeLinear output)`);
  }

  // 3. Outputs.
  const g = m.graph;
  const outputs = o.outputs ?? g.outputs.filter((v) => isFloat(v.dtype)).map((v) => v.name);
  for (const out of outputs) {
    const t = info.get(out);
    if (!t) throw new Error(`output '${out}' is not a tensor of this model`);
    if (!isFloat(t.dtype)) throw new Error(`output '${out}' is ${t.dtype}; only float outputs can be differentiated`);
  }

  // 4. Active sub-graph: float tensors reachable from wrt that reach an output.
  const order = topoSort(g);
  const isF = (n: string) => !!n && isFloat(info.get(n)!.dtype);
  const reach = new Set(wrt);
  for (const n of order) if (n.inputs.some((x) => reach.has(x))) for (const y of n.outputs) if (isF(y)) reach.add(y);
  const needed = new Set(outputs);
  for (let k = order.length - 1; k >= 0; k--) {
    const n = order[k];
    if (n.outputs.some((y) => needed.has(y))) for (const x of n.inputs) if (isF(x)) needed.add(x);
  }
  const active = (t: string) => !!t && reach.has(t) && needed.has(t) && isF(t);
  const activeNodes = order.filter((n) => n.inputs.some(active) && n.outputs.some(active));
  for (const n of activeNodes) {
    const rule = n.domain && n.domain !== 'ai.onnx' ? undefined : rules[n.op];
    if (rule === undefined) throw new Error(`cannot differentiate ${describeNode(n)}: no gradient rule for ${n.op}`);
    if (rule === 'nondiff') {
      throw new Error(`cannot differentiate ${describeNode(n)}: ${n.op} is not differentiable, but a gradient must flow from `
        + `'${n.inputs.find(active)}' to '${n.outputs.find(active)}'`);
    }
  }

  // 5. Reverse sweep.
  const forwardNames = new Set<string>([...g.inputs.map((v) => v.name), ...g.initializers.keys(), ...g.nodes.flatMap((n) => [...n.outputs, n.name])]);
  const bwd: Graph = { name: `${g.name || 'model'}_backward`, nodes: [], inputs: [], outputs: [], initializers: new Map(), valueInfo: [] };
  const b = new GraphBuilder({ graph: bwd, opset, reserved: forwardNames });
  const claim = (name: string) => {
    if (forwardNames.has(name)) throw new Error(`gradient name '${name}' collides with a tensor of the model`);
    b.reserve(name);
    return name;
  };
  const gradInputs: Record<string, string> = {};
  const contrib = new Map<string, string[]>();
  const gradInputInfos: ValueInfo[] = [];
  for (const out of outputs) {
    const name = claim(`grad_${out}`);
    gradInputs[out] = name;
    gradInputInfos.push({ name, dtype: info.get(out)!.dtype, dims: [...info.get(out)!.dims] });
    contrib.set(out, [name]);
  }
  const total = (t: string): string | undefined => {
    const parts = contrib.get(t);
    if (!parts || parts.length === 0) return undefined;
    // A balanced tree of Adds, not Sum: onnxruntime-web's WebGPU provider has no Sum kernel (it falls back to the CPU).
    let level = parts;
    while (level.length > 1) {
      const next: string[] = [];
      for (let i = 0; i + 1 < level.length; i += 2) next.push(b.add(level[i], level[i + 1]));
      if (level.length % 2) next.push(level[level.length - 1]);
      level = next;
    }
    contrib.set(t, level);
    return contrib.get(t)![0];
  };
  for (let k = activeNodes.length - 1; k >= 0; k--) {
    const node = activeNodes[k];
    const gys = node.outputs.map((y) => (active(y) ? total(y) : undefined));
    if (gys.every((x) => x === undefined)) continue;
    const ctx = makeCtx({
      node, b,
      shape: (n) => info.get(n)!.dims,
      dtype: (n) => info.get(n)!.dtype,
      gy: (i) => gys[i],
      ints: (n) => {
        const t = m.graph.initializers.get(n);
        return t ? tensorToInts(t) : undefined;
      },
    });
    const grads = (rules[node.op] as Exclude<GradRule, 'nondiff'>)(ctx);
    node.inputs.forEach((x, i) => {
      if (!active(x)) return;
      const thunk = grads[i];
      if (!thunk) throw new Error(`cannot differentiate ${describeNode(node)}: its rule gives no gradient for input ${i} ('${x}')`);
      const gx = thunk();
      const l = contrib.get(x);
      if (l) l.push(gx);
      else contrib.set(x, [gx]);
    });
  }
  const gradOutputs: Record<string, string> = {};
  for (const w of wrt) {
    const name = claim(`grad_${w}`);
    gradOutputs[w] = name;
    const t = total(w);
    const wi = info.get(w)!;
    if (t === undefined) {
      if (!o.allowDisconnected) throw new Error(`wrt '${w}' does not influence the outputs ${outputs.map((x) => `'${x}'`).join(', ')}`);
      b.op('ConstantOfShape', [b.ints(wi.dims)], { value: tensorFromNumbers(wi.dtype, [0], [1]) }, { outputs: [name] });
    } else {
      b.op('Identity', [t], {}, { outputs: [name] });
    }
    bwd.outputs.push({ name, dtype: wi.dtype, dims: [...wi.dims] });
  }

  // 6. Forward tensors the backward reads: fed inputs, constants, saved or recomputed activations.
  const fwdProducers = producers(g);
  const fwdInputs = new Set(g.inputs.map((v) => v.name));
  const saved: string[] = [], forwardInputsUsed: string[] = [], constantInputs: string[] = [];
  const policy = o.recompute ?? 'none';
  const resolved = new Set<string>();
  const produced = () => new Set(bwd.nodes.flatMap((n) => n.outputs));
  let work = [...new Set(bwd.nodes.flatMap((n) => n.inputs))];
  let made = produced();
  while (work.length) {
    const next: string[] = [];
    for (const t of work) {
      if (!t || resolved.has(t) || made.has(t) || bwd.initializers.has(t) || !forwardNames.has(t)) continue;
      resolved.add(t);
      if (fwdInputs.has(t)) forwardInputsUsed.push(t);
      else if (g.initializers.has(t)) {
        if (o.shareConstants) constantInputs.push(t);
        else bwd.initializers.set(t, g.initializers.get(t)!);
      } else {
        const p = fwdProducers.get(t)!;
        if (recomputes(policy, p)) {
          const copy = cloneNode(p);
          bwd.nodes.push(copy);
          for (const y of copy.outputs) resolved.add(y);
          made = produced();
          next.push(...copy.inputs);
        } else saved.push(t);
      }
    }
    work = next;
  }
  const vi = (name: string): ValueInfo => ({ name, dtype: info.get(name)!.dtype, dims: [...info.get(name)!.dims] });
  bwd.inputs = [...saved.map(vi), ...forwardInputsUsed.map(vi), ...constantInputs.map(vi), ...gradInputInfos];
  bwd.nodes = topoSort(bwd);
  const backward: Model = { ...m, graph: removeDeadNodes(bwd), metadata: {}, docString: '', unknown: undefined, producerName: 'aos-workbench autodiff' };

  // 7. Forward: original outputs + differentiated outputs + saved activations.
  const fg = cloneGraph(g);
  const outNames = new Set(fg.outputs.map((v) => v.name));
  for (const t of [...outputs, ...saved]) if (!outNames.has(t)) { fg.outputs.push(vi(t)); outNames.add(t); }
  const forward: Model = { ...m, graph: removeDeadNodes(fg) };

  return {
    forward, backward, savedNames: saved, forwardInputsUsed, constantInputs, outputs, wrt, gradInputs, gradOutputs,
    perturbations, initialValues: promoted.values, shapes: info,
  };
}
