/**
 * The two towers a CLIP model folder must provide, checked by name:
 *
 *   vision   pixel_values float32 [B, C, H, W]  →  image_embeds [B, P]
 *   text     input_ids    int64   [B, T]        →  text_embeds  [B, P]
 *
 * plus splitting the combined `onnx/model.onnx` (both towers in one graph: inputs pixel_values + input_ids
 * (+ attention_mask), outputs logits_per_image, text_embeds, image_embeds, …) into those towers, and binding an
 * `attention_mask` input to ones (CLIP pools at EOS under a causal mask, so positions after EOS never reach
 * text_embeds: an all-ones mask gives the same embeddings). The combined model's embeddings are L2-normalised
 * (CLIPModel); the split towers output them before that division, like the separate tower files.
 */
import { cloneGraph, type Dim, type Graph, type Model, type Node, type ValueInfo } from '../onnx/ir';
import { removeDeadNodes } from '../onnx/passes';
import { ModelLoadError } from './errors';

export type Tower = 'vision' | 'text';

export const TOWER_IO = {
  vision: { input: 'pixel_values', output: 'image_embeds', dtype: 'float32', rank: 4 },
  text: { input: 'input_ids', output: 'text_embeds', dtype: 'int64', rank: 2 },
} as const;

const ATTENTION_MASK = 'attention_mask';

function dimsText(dims: readonly Dim[] | undefined): string {
  return dims ? `[${dims.map((d) => (d === null ? '?' : d)).join(', ')}]` : '[?]';
}

export function describeValues(vs: readonly ValueInfo[]): string {
  return vs.length ? vs.map((v) => `'${v.name}' (${v.dtype} ${dimsText(v.dims)})`).join(', ') : 'none';
}

/** Graph inputs that some node (or subgraph) reads. */
function usedInputs(g: Graph): Set<string> {
  const read = new Set<string>();
  const visit = (nodes: Node[]): void => {
    for (const n of nodes) {
      for (const x of n.inputs) if (x) read.add(x);
      for (const a of Object.values(n.attrs)) {
        if (a.type === 'graph') visit(a.value.nodes);
        else if (a.type === 'graphs') a.value.forEach((sg) => visit(sg.nodes));
      }
    }
  };
  visit(g.nodes);
  for (const o of g.outputs) read.add(o.name);
  return new Set(g.inputs.map((v) => v.name).filter((n) => read.has(n)));
}

/** Replaces the graph input `attention_mask` by ones of input_ids' shape (same dtype as the mask). */
export function bindAttentionMaskToOnes(model: Model): Model {
  const g = cloneGraph(model.graph);
  const mask = g.inputs.find((v) => v.name === ATTENTION_MASK);
  if (!mask) return model;
  g.inputs = g.inputs.filter((v) => v !== mask);
  const shape = `${ATTENTION_MASK}/ones_shape`;
  const dtype = mask.dtype === 'float32' ? 'float32' : mask.dtype === 'int32' ? 'int32' : 'int64';
  const one = dtype === 'float32' ? new Float32Array([1]) : dtype === 'int32' ? new Int32Array([1]) : new BigInt64Array([1n]);
  const nodes: Node[] = [
    { op: 'Shape', domain: '', name: `/${ATTENTION_MASK}/Shape`, inputs: [TOWER_IO.text.input], outputs: [shape], attrs: {} },
    { op: 'ConstantOfShape', domain: '', name: `/${ATTENTION_MASK}/ConstantOfShape`, inputs: [shape], outputs: [ATTENTION_MASK],
      attrs: { value: { type: 'tensor', value: { dtype, dims: [1], data: one } } } },
  ];
  g.nodes = [...nodes, ...g.nodes];
  return { ...model, graph: g };
}

/**
 * Checks a tower's inputs and outputs (after float conversion). Returns the model (attention_mask bound to ones on
 * the text tower) and warnings; throws ModelLoadError('wrong-names') naming what the file has instead.
 */
export function checkTower(model: Model, tower: Tower, file: string): { model: Model; warnings: string[] } {
  const io = TOWER_IO[tower];
  const g = model.graph;
  const warnings: string[] = [];
  const inputs = g.inputs.filter((v) => !g.initializers.has(v.name));
  const found = `the model's inputs are ${describeValues(inputs)} and its outputs ${describeValues(g.outputs)}`;
  const input = inputs.find((v) => v.name === io.input);
  const output = g.outputs.find((v) => v.name === io.output);
  if (!input || !output) {
    const missing = [!input && `input '${io.input}'`, !output && `output '${io.output}'`].filter(Boolean).join(' and no ');
    throw new ModelLoadError('wrong-names', `${file}: expected ${tower} tower ${io.input} → ${io.output}, but there is no ${missing}; ${found}`, file);
  }
  const extra = inputs.filter((v) => v.name !== io.input && !(tower === 'text' && v.name === ATTENTION_MASK));
  if (extra.length) throw new ModelLoadError('wrong-names', `${file}: the ${tower} tower must take only '${io.input}'${tower === 'text' ? ` (and optionally '${ATTENTION_MASK}')` : ''}, but it also needs ${describeValues(extra)}`, file);
  if (input.dtype !== io.dtype) throw new ModelLoadError('wrong-names', `${file}: input '${io.input}' is ${input.dtype}, expected ${io.dtype}`, file);
  if (input.dims && input.dims.length !== io.rank) {
    throw new ModelLoadError('wrong-names', `${file}: input '${io.input}' has rank ${input.dims.length} ${dimsText(input.dims)}, expected ${io.rank}`, file);
  }
  if (output.dims && output.dims.length !== 2) {
    throw new ModelLoadError('wrong-names', `${file}: output '${io.output}' has shape ${dimsText(output.dims)}, expected [batch, projection_dim]`, file);
  }
  let m = model;
  if (tower === 'text' && inputs.some((v) => v.name === ATTENTION_MASK)) {
    m = bindAttentionMaskToOnes(model);
    warnings.push(`${file}: input '${ATTENTION_MASK}' bound to ones (CLIP pools at EOS under a causal mask, so text_embeds do not change)`);
  }
  return { model: m, warnings };
}

/**
 * When `name` is computed as x / ‖x‖ (CLIPModel's outputs are L2-normalised; the tower models' are not), returns x:
 * the divisor must be computed from x and constants only, through a norm (ReduceL2, Sqrt of a sum of squares, …).
 */
function normalizedFrom(g: Graph, name: string): string | undefined {
  const prod = new Map<string, Node>();
  for (const n of g.nodes) for (const o of n.outputs) prod.set(o, n);
  const div = prod.get(name);
  if (!div || div.op !== 'Div') return undefined;
  const x = div.inputs[0];
  let sawNorm = false;
  const stack: Array<[string, number]> = [[div.inputs[1], 0]];
  while (stack.length) {
    const [t, depth] = stack.pop()!;
    if (t === x || g.initializers.has(t)) continue;
    const q = prod.get(t);
    if (!q || depth > 8) return undefined;
    if (q.op === 'Constant') continue;
    if (['ReduceL2', 'LpNormalization', 'Sqrt', 'ReduceSumSquare'].includes(q.op)) sawNorm = true;
    for (const i of q.inputs) if (i) stack.push([i, depth + 1]);
  }
  return sawNorm ? x : undefined;
}

/** Makes the un-normalised x the output `name` (the Div and the norm become dead and are dropped). */
function dropNormalization(g: Graph, name: string, x: string): void {
  for (const n of g.nodes) {
    n.outputs = n.outputs.map((o) => (o === name ? `${name}/normalized` : o === x ? name : o));
    n.inputs = n.inputs.map((i) => (i === x ? name : i));
  }
}

function slice(model: Model, output: string): { model: Model; inputs: Set<string>; unnormalized: boolean } {
  const g = cloneGraph(model.graph);
  g.outputs = g.outputs.filter((o) => o.name === output);
  const x = normalizedFrom(g, output);
  if (x && !g.outputs.some((o) => o.name === x) && !g.inputs.some((i) => i.name === x)) dropNormalization(g, output, x);
  const live = removeDeadNodes(g);
  const used = usedInputs(live);
  live.inputs = live.inputs.filter((v) => used.has(v.name));
  const names = new Set(live.nodes.flatMap((n) => n.outputs));
  live.valueInfo = live.valueInfo.filter((v) => names.has(v.name));
  return { model: { ...model, graph: live }, inputs: used, unnormalized: !!x };
}

/**
 * Splits a combined CLIP graph into its towers: the sub-graph computing image_embeds from pixel_values and the one
 * computing text_embeds from input_ids (attention_mask bound to ones). Refuses (ModelLoadError('combined-split'))
 * when an embedding needs the other tower's input.
 */
export function splitCombinedModel(model: Model, file: string): { vision: Model; text: Model; notes: string[] } {
  const g = model.graph;
  const inputs = g.inputs.filter((v) => !g.initializers.has(v.name));
  const found = `its inputs are ${describeValues(inputs)} and its outputs ${describeValues(g.outputs)}`;
  const need = [
    ...['pixel_values', 'input_ids'].filter((n) => !inputs.some((v) => v.name === n)).map((n) => `input '${n}'`),
    ...['image_embeds', 'text_embeds'].filter((n) => !g.outputs.some((v) => v.name === n)).map((n) => `output '${n}'`),
  ];
  if (need.length) throw new ModelLoadError('wrong-names', `${file}: a combined CLIP model needs inputs pixel_values + input_ids and outputs image_embeds + text_embeds; missing ${need.join(', ')}; ${found}`, file);
  const notes: string[] = [];
  const vision = slice(model, 'image_embeds');
  const foreignV = [...vision.inputs].filter((n) => n !== 'pixel_values');
  if (foreignV.length) {
    throw new ModelLoadError('combined-split', `${file}: cannot split the combined model: image_embeds depends on ${foreignV.map((n) => `'${n}'`).join(', ')} as well as pixel_values (the towers share nodes). Export the towers separately (onnx/vision_model.onnx, onnx/text_model.onnx)`, file);
  }
  const text = slice(model, 'text_embeds');
  const foreignT = [...text.inputs].filter((n) => n !== 'input_ids' && n !== ATTENTION_MASK);
  if (foreignT.length) {
    throw new ModelLoadError('combined-split', `${file}: cannot split the combined model: text_embeds depends on ${foreignT.map((n) => `'${n}'`).join(', ')} as well as input_ids (the towers share nodes). Export the towers separately (onnx/vision_model.onnx, onnx/text_model.onnx)`, file);
  }
  notes.push(`split ${file} into a vision tower (${vision.model.graph.nodes.length} nodes) and a text tower (${text.model.graph.nodes.length} nodes)`);
  const un = [vision.unnormalized && 'image_embeds', text.unnormalized && 'text_embeds'].filter(Boolean);
  if (un.length) {
    notes.push(`${file}: the combined model L2-normalises ${un.join(' and ')} (CLIPModel outputs); the split towers output them before the normalisation, as vision_model.onnx / text_model.onnx do`);
  }
  for (const m of [vision.model, text.model]) m.metadata = { ...m.metadata, 'aos.split_from': file };
  return { vision: vision.model, text: text.model, notes };
}

