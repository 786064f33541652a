/**
 * From an ONNX model to an execution plan, once per built graph:
 *  1. every op is checked against the executor's table (./ops.ts; an unknown op is an error naming the op and the node);
 *  2. `simplify` fixes the shapes (batch etc.), folds constant sub-graphs and sorts the nodes; `propagate` gives
 *     every tensor's concrete dims;
 *  3. nodes are lowered to steps over strided views (view ops make no copies; ./lowering.ts, ./lowerOps.ts);
 *  4. chains of element-wise steps fuse into one generated kernel; a MatMul's single bias/residual Add fuses into
 *     its epilogue (./fuse.ts);
 *  5. a liveness-based memory plan assigns temporaries to reusable buffer slots (graph outputs are kept; ./memory.ts).
 */
import { attrValue, describeNode, getOpset, tensorToInts, type DType, type Model, type Node, type Tensor } from '../ir';
import { simplify } from '../passes';
import { graphInputsBehind, notConstantHint, propagate, type ShapeOptions } from '../shapes';
import { matchRowNorm } from './rownorm';
import { ExecError, type Alloc, type Step, type Val } from './types';
import { contiguousView, isContiguous, numelOf } from './view';
import { fuseElementwise, fuseMatmulAdd } from './fuse';
import { elemTypeOf, Lowering, type LowerCtx } from './lowering';
import { lowerFor, lowerRowNorm } from './lowerOps';
import { planMemory } from './memory';
import { execSupports, FOLD_ONLY } from './ops';

export interface PlanOptions extends ShapeOptions {
  /** Fuse element-wise chains and MatMul epilogues (default true). */
  fuse?: boolean;
  /** Label used in errors. */
  label?: string;
  /** Give every graph output a whole allocation of its own (copying where it would share or be a view). */
  dedicatedOutputs?: boolean;
  /**
   * Values for graph inputs that are fixed for the session (they become initializers before planning), e.g. a
   * backward graph built with `shareConstants`, whose shape tensors must be known at build time.
   */
  constants?: Record<string, Tensor> | Map<string, Tensor>;
}

export interface PlanInput {
  name: string;
  dtype: DType;
  dims: number[];
  alloc: Alloc;
}

export interface PlanOutput {
  name: string;
  dtype: DType;
  dims: number[];
  val: Val;
}

export interface Plan {
  inputs: PlanInput[];
  outputs: PlanOutput[];
  steps: Step[];
  allocs: Alloc[];
  /** Sizes (elements) of the reusable buffer slots temporaries are assigned to. */
  slots: number[];
  /** Ops of the simplified graph, with counts. */
  ops: Record<string, number>;
  /** Sum of temp allocation sizes without reuse vs with (elements), for reporting. */
  memory: { naive: number; planned: number; kept: number };
}

/** Builds the execution plan of `model` (see the module comment). */
export function buildPlan(model: Model, o: PlanOptions = {}): Plan {
  const label = o.label ?? 'exec';
  for (const n of model.graph.nodes) {
    const known = !n.domain || n.domain === 'ai.onnx';
    if (!known || !(execSupports(n.op) || FOLD_ONLY.has(n.op))) {
      throw new ExecError(`${label}: unsupported op ${describeNode(n)}: the executor has no kernel for ${n.domain && known ? `${n.domain}.` : ''}${n.op}`);
    }
  }
  if (o.constants) {
    const given = o.constants instanceof Map ? o.constants : new Map(Object.entries(o.constants));
    const g0 = model.graph;
    for (const name of given.keys()) if (!g0.inputs.some((v) => v.name === name)) throw new ExecError(`${label}: constant '${name}' is not a graph input`);
    const initializers = new Map(g0.initializers);
    for (const [k, t] of given) initializers.set(k, t);
    model = { ...model, graph: { ...g0, inputs: g0.inputs.filter((v) => !given.has(v.name)), initializers } };
  }
  let m: Model;
  try {
    m = simplify(model, o);
  } catch (e) {
    throw new ExecError(`${label}: could not fix shapes and fold constants: ${(e as Error).message}`);
  }
  const opset = getOpset(m);
  const { info, values, order } = propagate(m, { ...o, evaluate: true });
  const g = m.graph;
  const ops: Record<string, number> = {};
  for (const n of order) ops[n.op] = (ops[n.op] ?? 0) + 1;
  for (const n of order) {
    if (FOLD_ONLY.has(n.op)) throw new ExecError(`${label}: ${describeNode(n)} has inputs that are not constant; ${n.op} runs only at build time (static shapes)`);
  }
  const L = new Lowering(info, values, opset);
  const inputs: PlanInput[] = [];
  for (const v of g.inputs) {
    if (g.initializers.has(v.name)) continue;
    const i = info.get(v.name)!;
    const a = L.alloc('input', elemTypeOf(i.dtype, `graph input '${v.name}'`), numelOf(i.dims), v.name);
    a.input = v.name;
    L.vals.set(v.name, { alloc: a, view: contiguousView(i.dims) });
    inputs.push({ name: v.name, dtype: i.dtype, dims: [...i.dims], alloc: a });
  }
  // Decomposed LayerNorms (ReduceMean … Sqrt, Div [, Mul scale, Add bias]) run as one kernel each.
  const fusedAway = new Set<Node>();
  const consumers = new Map<string, Node[]>();
  for (const n of order) for (const i of n.inputs) if (i) (consumers.get(i) ?? consumers.set(i, []).get(i)!).push(n);
  const env = {
    opset, consumers, graphOutputs: new Set(g.outputs.map((v) => v.name)),
    dims: (name: string) => info.get(name)?.dims,
    isFloat: (name: string) => info.get(name)?.dtype === 'float32',
    constValue: (name: string) => values.get(name),
    available: (name: string) => L.vals.has(name) || values.has(name),
  };
  for (const node of order) {
    if (fusedAway.has(node)) continue;
    if ((o.fuse ?? true) && node.op === 'ReduceMean') {
      const match = matchRowNorm(env, node);
      if (match) {
        lowerRowNorm(L, match);
        for (const n of match.nodes) fusedAway.add(n);
        continue;
      }
    }
    const lbl = `${node.op} '${node.name || node.outputs[0]}'`;
    const fail = (msg: string): never => { throw new ExecError(`${label}: ${describeNode(node)}: ${msg}`); };
    const notConstant = (i: number, what: string): never => {
      const name = node.inputs[i];
      return fail(`${what} ('${name}') must be a constant; ${notConstantHint(name, graphInputsBehind(g, name, (t) => values.has(t)))}`);
    };
    const c: LowerCtx = {
      L, node, label: lbl, fail,
      in: (i) => (node.inputs[i] ? L.val(node.inputs[i], node) : undefined),
      x: (i) => {
        if (!node.inputs[i]) fail(`input ${i} is missing`);
        return L.val(node.inputs[i], node);
      },
      ints: (i) => {
        const name = node.inputs[i];
        if (!name) return undefined;
        const t = L.constValue(name);
        if (!t) notConstant(i, `input ${i}`);
        return tensorToInts(t!);
      },
      notConstant,
      attr: ((name: string, fallback: unknown) => attrValue(node, name, fallback)) as LowerCtx['attr'],
      outDims: (i) => L.dims(node.outputs[i]),
      outType: (i) => L.type(node.outputs[i]),
    };
    const fn = lowerFor(node.op);
    if (!fn) fail(`no kernel for ${node.op}`);
    let outs: (Val | undefined)[];
    try {
      outs = fn!(c);
    } catch (e) {
      if (e instanceof ExecError) throw e;
      throw new ExecError(`${label}: ${describeNode(node)}: ${(e as Error).message}`);
    }
    node.outputs.forEach((name, i) => {
      if (!name) return;
      const v = outs[i];
      if (!v) fail(`output ${i} ('${name}') is not produced by the executor`);
      const want = L.dims(name);
      if (v!.view.dims.join(',') !== want.join(',')) fail(`internal: output '${name}' has dims [${v!.view.dims}], expected [${want}]`);
      L.vals.set(name, v!);
    });
  }
  // Graph outputs: contiguous, held to the end.
  const outputs: PlanOutput[] = [];
  const kept = new Set<Alloc>();
  for (const v of g.outputs) {
    let val = L.val(v.name);
    if (!isContiguous(val.view)) val = L.contiguous(val, `output '${v.name}'`);
    if (o.dedicatedOutputs) {
      // Each output alone in a whole temp allocation, so its buffer can be handed out as is.
      const whole = val.alloc.kind === 'temp' && !kept.has(val.alloc) && val.view.offset === 0 && val.alloc.elems === numelOf(val.view.dims);
      if (!whole) {
        const copy = L.temp(val.alloc.type, val.view.dims, `output '${v.name}'`);
        L.copyInto(`output '${v.name}'.copy`, val, copy);
        val = copy;
      }
    }
    if (val.alloc.kind === 'temp') kept.add(val.alloc);
    const i = info.get(v.name)!;
    outputs.push({ name: v.name, dtype: i.dtype, dims: [...i.dims], val });
  }
  for (const a of kept) a.keep = true;
  let steps = L.steps;
  if (o.fuse ?? true) {
    steps = fuseElementwise(steps, kept);
    steps = fuseMatmulAdd(steps, kept);
  }
  // After fusion some allocations are never written (fused away): drop them.
  const live = new Set<Alloc>();
  for (const s of steps) for (const a of [...s.reads(), ...s.writes()]) live.add(a);
  for (const out of outputs) live.add(out.val.alloc);
  for (const i of inputs) live.add(i.alloc);
  const allocs = L.allocs.filter((a) => live.has(a));
  const mem = planMemory(steps, allocs, kept);
  return { inputs, outputs, steps, allocs, slots: mem.slots, ops, memory: { naive: mem.naive, planned: mem.planned, kept: mem.kept } };
}
