/**
 * Helpers for the loader tests: the committed fixture's files, a tiny HTTP server on 127.0.0.1 with failure modes,
 * and graph surgery producing the variants a transformers.js folder can hold (fp16, onnxruntime-style dynamic 8-bit
 * quantisation, the combined model.onnx) and broken models.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DTYPE_CODE, castTensor, cloneGraph, numel, tensorToNumbers, type Graph, type Model, type Node, type Tensor } from '../../src/onnx/ir';
import { foldConstants } from '../../src/onnx/passes';
import { decodeModel, encodeModel } from '../../src/onnx/proto';

export const FIXTURE_DIR = fileURLToPath(new URL('../../public/fixtures/tiny-clip/', import.meta.url));
export const FIXTURE_NAMES = ['config.json', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json',
  'onnx/vision_model.onnx', 'onnx/text_model.onnx'];

/** The committed fixture folder, name → bytes. */
export function fixtureFiles(): Map<string, Uint8Array> {
  return new Map(FIXTURE_NAMES.map((n) => {
    const b = readFileSync(join(FIXTURE_DIR, n));
    return [n, new Uint8Array(b.buffer, b.byteOffset, b.byteLength)];
  }));
}

export function fixtureModel(name: 'vision' | 'text'): Model {
  return decodeModel(fixtureFiles().get(`onnx/${name}_model.onnx`)!);
}

export interface ServeOptions {
  /** Files sent without content-length (chunked). */
  noLength?: Set<string>;
  /** Announce the full length but send only this many bytes, then cut the connection. */
  truncate?: Map<string, number>;
  /** Answer these files with a status code. */
  status?: Map<string, number>;
  /** HEAD answered 405 (size unknown until GET). */
  noHead?: boolean;
}

export interface TestServer {
  base: string;
  requests: { method: string; path: string }[];
  close(): Promise<void>;
}

/** Serves `files` under http://127.0.0.1:<port>/models/tiny/ . */
export async function serve(files: Map<string, Uint8Array>, o: ServeOptions = {}): Promise<TestServer> {
  const requests: TestServer['requests'] = [];
  const prefix = '/models/tiny/';
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = decodeURIComponent((req.url ?? '').split('?')[0]);
    requests.push({ method: req.method ?? '', path });
    const name = path.startsWith(prefix) ? path.slice(prefix.length) : '';
    const body = files.get(name);
    const status = o.status?.get(name);
    if (status) {
      res.writeHead(status, { 'content-type': 'text/plain' }).end(`status ${status}`);
      return;
    }
    if (!body) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    if (req.method === 'HEAD') {
      if (o.noHead) res.writeHead(405).end();
      else if (o.noLength?.has(name)) res.writeHead(200).end();
      else res.writeHead(200, { 'content-length': String(body.byteLength) }).end();
      return;
    }
    const cut = o.truncate?.get(name);
    if (cut !== undefined) {
      res.writeHead(200, { 'content-length': String(body.byteLength) });
      res.write(body.subarray(0, cut), () => res.destroy());
      return;
    }
    if (o.noLength?.has(name)) {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      for (let i = 0; i < body.byteLength; i += 16384) res.write(body.subarray(i, i + 16384));
      res.end();
      return;
    }
    res.writeHead(200, { 'content-length': String(body.byteLength), 'content-type': 'application/octet-stream' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}${prefix}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Graph surgery

/** Renames a tensor everywhere (graph inputs/outputs, node inputs/outputs, initializers). */
export function renameTensor(model: Model, from: string, to: string): Model {
  const g = cloneGraph(model.graph);
  const r = (x: string) => (x === from ? to : x);
  for (const v of [...g.inputs, ...g.outputs, ...g.valueInfo]) v.name = r(v.name);
  for (const n of g.nodes) {
    n.inputs = n.inputs.map(r);
    n.outputs = n.outputs.map(r);
  }
  const t = g.initializers.get(from);
  if (t) {
    g.initializers.delete(from);
    g.initializers.set(to, t);
  }
  return { ...model, graph: g };
}

/** Inserts `op` (one input, one output) right before the graph output `output`. */
export function insertBeforeOutput(model: Model, output: string, op: string, domain = ''): Model {
  const g = cloneGraph(model.graph);
  const prod = g.nodes.find((n) => n.outputs.includes(output))!;
  const pre = `${output}_pre_${op}`;
  prod.outputs = prod.outputs.map((x) => (x === output ? pre : x));
  for (const n of g.nodes) if (n !== prod) n.inputs = n.inputs.map((x) => (x === output ? pre : x));
  g.nodes.push({ op, domain, name: `/inserted/${op}`, inputs: [pre], outputs: [output], attrs: {} });
  if (domain) model = { ...model, opsetImport: [...model.opsetImport, { domain, version: 1 }] };
  return { ...model, graph: g };
}

/** The model as a transformers.js fp16 export would hold it: float16 weights, inputs, outputs and casts. */
export function toFloat16(model: Model): Model {
  const g = cloneGraph(model.graph);
  for (const [k, t] of g.initializers) if (t.dtype === 'float32') g.initializers.set(k, castTensor(t, 'float16'));
  for (const v of [...g.inputs, ...g.outputs, ...g.valueInfo]) if (v.dtype === 'float32') v.dtype = 'float16';
  for (const n of g.nodes) {
    if (n.op === 'Cast' && n.attrs.to?.type === 'int' && n.attrs.to.value === DTYPE_CODE.float32) n.attrs.to = { type: 'int', value: DTYPE_CODE.float16 };
    for (const [k, a] of Object.entries(n.attrs)) if (a.type === 'tensor' && a.value.dtype === 'float32') n.attrs[k] = { type: 'tensor', value: castTensor(a.value, 'float16') };
  }
  return { ...model, graph: g };
}

function quantizeWeight(w: Tensor, type: 'int8' | 'uint8', axis: number | null): { q: Tensor; scale: Tensor; zp: Tensor } {
  const v = tensorToNumbers(w);
  const dims = w.dims;
  const channels = axis === null ? 1 : dims[axis];
  const inner = axis === null ? 1 : numel(dims.slice(axis + 1));
  const ch = (k: number) => (axis === null ? 0 : Math.floor(k / inner) % channels);
  const lo = new Float64Array(channels).fill(0), hi = new Float64Array(channels).fill(0);
  for (let k = 0; k < v.length; k++) {
    lo[ch(k)] = Math.min(lo[ch(k)], v[k]);
    hi[ch(k)] = Math.max(hi[ch(k)], v[k]);
  }
  const scale = new Float32Array(channels), zp = type === 'int8' ? new Int8Array(channels) : new Uint8Array(channels);
  for (let c = 0; c < channels; c++) {
    if (type === 'int8') {
      scale[c] = Math.max(Math.abs(lo[c]), Math.abs(hi[c])) / 127 || 1;
    } else {
      scale[c] = (hi[c] - lo[c]) / 255 || 1;
      zp[c] = Math.round(-lo[c] / scale[c]);
    }
  }
  const q = type === 'int8' ? new Int8Array(v.length) : new Uint8Array(v.length);
  const [qmin, qmax] = type === 'int8' ? [-127, 127] : [0, 255];
  for (let k = 0; k < v.length; k++) q[k] = Math.min(qmax, Math.max(qmin, Math.round(v[k] / scale[ch(k)]) + zp[ch(k)]));
  const sdims = axis === null ? [] : [channels];
  return { q: { dtype: type, dims: [...dims], data: q }, scale: { dtype: 'float32', dims: sdims, data: scale }, zp: { dtype: type, dims: sdims, data: zp } };
}

/**
 * onnxruntime's dynamic quantisation pattern (what transformers.js's _quantized / _int8 / _uint8 files contain):
 * MatMul on constant weights → DynamicQuantizeLinear + MatMulInteger + Cast + Mul(x_scale · w_scale); Conv →
 * ConvInteger (uint8, per-tensor); Gather on a constant table → Gather on the quantised table + DequantizeLinear.
 * Constants are folded first (batch fixed) so transposed weights are initializers, as in real exports.
 * `fakeQuant`: the same weights quantised and dequantised back to float32, the ops left as they were (what an exact
 * dequantisation of the quantised model must compute, with float activations).
 */
export function quantizeDynamic(model: Model, o: { type: 'int8' | 'uint8'; perChannel: boolean; batch: number; fakeQuant?: boolean }): Model {
  const folded = foldConstants(model, { batch: o.batch });
  const g: Graph = cloneGraph(folded.graph);
  const out: Node[] = [];
  const dq = new Map<string, [string, string, string]>();
  let k = 0;
  const quantAct = (x: string): [string, string, string] => {
    let r = dq.get(x);
    if (!r) {
      r = [`${x}_q`, `${x}_scale`, `${x}_zp`];
      out.push({ op: 'DynamicQuantizeLinear', domain: '', name: `${x}_DynamicQuantizeLinear`, inputs: [x], outputs: [...r], attrs: {} });
      dq.set(x, r);
    }
    return r;
  };
  const add = (base: string, t: Tensor) => {
    const name = `${base}_${k++}`;
    g.initializers.set(name, t);
    return name;
  };
  const fake = (t: Tensor, q: { q: Tensor; scale: Tensor; zp: Tensor }, axis: number | null): Tensor => {
    const qs = tensorToNumbers(q.q), sc = tensorToNumbers(q.scale), z = tensorToNumbers(q.zp);
    const inner = axis === null ? 1 : numel(t.dims.slice(axis + 1)), ch = axis === null ? 1 : t.dims[axis];
    const out = new Float32Array(qs.length);
    for (let i = 0; i < qs.length; i++) {
      const c = axis === null ? 0 : Math.floor(i / inner) % ch;
      out[i] = (qs[i] - z[c]) * sc[c];
    }
    return { dtype: 'float32', dims: [...t.dims], data: out };
  };
  for (const n of g.nodes) {
    const w = g.initializers.get(n.inputs[1] ?? '');
    const data = g.initializers.get(n.inputs[0] ?? '');
    if (o.fakeQuant) {
      if (n.op === 'MatMul' && w && w.dtype === 'float32' && w.dims.length === 2) g.initializers.set(n.inputs[1], fake(w, quantizeWeight(w, o.type, o.perChannel ? 1 : null), o.perChannel ? 1 : null));
      else if (n.op === 'Conv' && w && w.dtype === 'float32') g.initializers.set(n.inputs[1], fake(w, quantizeWeight(w, 'uint8', null), null));
      else if (n.op === 'Gather' && data && data.dtype === 'float32' && data.dims.length === 2) g.initializers.set(n.inputs[0], fake(data, quantizeWeight(data, o.type, null), null));
      out.push(n);
      continue;
    }
    if (n.op === 'MatMul' && w && w.dtype === 'float32' && w.dims.length === 2) {
      const { q, scale, zp } = quantizeWeight(w, o.type, o.perChannel ? 1 : null);
      const [xq, xs, xz] = quantAct(n.inputs[0]);
      const y = n.outputs[0];
      const qn = add(`${n.inputs[1]}_quantized`, q), sn = add(`${n.inputs[1]}_scale`, scale), zn = add(`${n.inputs[1]}_zero_point`, zp);
      out.push({ op: 'MatMulInteger', domain: '', name: `${n.name}_quant`, inputs: [xq, qn, xz, zn], outputs: [`${y}_output_quantized`], attrs: {} });
      out.push({ op: 'Cast', domain: '', name: `${n.name}_cast`, inputs: [`${y}_output_quantized`], outputs: [`${y}_cast`], attrs: { to: { type: 'int', value: DTYPE_CODE.float32 } } });
      out.push({ op: 'Mul', domain: '', name: `${n.name}_scales_mul`, inputs: [xs, sn], outputs: [`${y}_scales`], attrs: {} });
      out.push({ op: 'Mul', domain: '', name: `${n.name}_output_scale_mul`, inputs: [`${y}_cast`, `${y}_scales`], outputs: [y], attrs: {} });
    } else if (n.op === 'Conv' && w && w.dtype === 'float32') {
      const { q, scale, zp } = quantizeWeight(w, 'uint8', null);
      const [xq, xs, xz] = quantAct(n.inputs[0]);
      const y = n.outputs[0];
      const qn = add(`${n.inputs[1]}_quantized`, q), sn = add(`${n.inputs[1]}_scale`, scale), zn = add(`${n.inputs[1]}_zero_point`, zp);
      out.push({ op: 'ConvInteger', domain: '', name: `${n.name}_quant`, inputs: [xq, qn, xz, zn], outputs: [`${y}_output_quantized`], attrs: { ...n.attrs } });
      out.push({ op: 'Cast', domain: '', name: `${n.name}_cast`, inputs: [`${y}_output_quantized`], outputs: [`${y}_cast`], attrs: { to: { type: 'int', value: DTYPE_CODE.float32 } } });
      out.push({ op: 'Mul', domain: '', name: `${n.name}_scales_mul`, inputs: [xs, sn], outputs: [`${y}_scales`], attrs: {} });
      out.push({ op: 'Mul', domain: '', name: `${n.name}_output_scale_mul`, inputs: [`${y}_cast`, `${y}_scales`], outputs: [y], attrs: {} });
    } else if (n.op === 'Gather' && data && data.dtype === 'float32' && data.dims.length === 2) {
      const { q, scale, zp } = quantizeWeight(data, o.type, null);
      const y = n.outputs[0];
      const qn = add(`${n.inputs[0]}_quantized`, q), sn = add(`${n.inputs[0]}_scale`, scale), zn = add(`${n.inputs[0]}_zero_point`, zp);
      out.push({ ...n, inputs: [qn, n.inputs[1]], outputs: [`${y}_quantized`] });
      out.push({ op: 'DequantizeLinear', domain: '', name: `${n.name}_dequant`, inputs: [`${y}_quantized`, sn, zn], outputs: [y], attrs: {} });
    } else {
      out.push(n);
    }
  }
  g.nodes = out;
  for (const name of [...g.initializers.keys()]) if (!g.nodes.some((n) => n.inputs.includes(name))) g.initializers.delete(name);
  return { ...folded, graph: g };
}

/** Prefixes every tensor and node name of a graph except the ones in `keep`. */
function prefixGraph(g: Graph, prefix: string, keep: Set<string>): Graph {
  const out = cloneGraph(g);
  const r = (x: string) => (x && !keep.has(x) ? `${prefix}${x}` : x);
  for (const v of [...out.inputs, ...out.outputs, ...out.valueInfo]) v.name = r(v.name);
  for (const n of out.nodes) {
    n.name = `${prefix}${n.name}`;
    n.inputs = n.inputs.map(r);
    n.outputs = n.outputs.map(r);
  }
  out.initializers = new Map([...out.initializers].map(([k, v]) => [r(k), v]));
  return out;
}

/**
 * A combined CLIP graph as optimum exports CLIPModel: inputs input_ids, pixel_values, attention_mask; outputs
 * logits_per_image, logits_per_text, text_embeds, image_embeds (L2-normalised). attention_mask reaches text_embeds
 * (through a max over the mask, 1 for any real prompt). `entangle` also makes image_embeds depend on input_ids.
 */
export function combineTowers(vision: Model, text: Model, o: { entangle?: boolean } = {}): Model {
  const v = prefixGraph(vision.graph, 'v:', new Set(['pixel_values']));
  const t = prefixGraph(text.graph, 't:', new Set(['input_ids']));
  const nodes: Node[] = [...t.nodes, ...v.nodes];
  const inits = new Map([...t.initializers, ...v.initializers]);
  const f32 = (x: number): Tensor => ({ dtype: 'float32', dims: [], data: new Float32Array([x]) });
  inits.set('logit_scale', f32(2.6592));
  const node = (op: string, inputs: string[], output: string, attrs: Node['attrs'] = {}): string => {
    nodes.push({ op, domain: '', name: `/${op}_${output}`, inputs, outputs: [output], attrs });
    return output;
  };
  const ints = (xs: number[]): Node['attrs'][string] => ({ type: 'ints', value: xs });
  const maskF = node('Cast', ['attention_mask'], 'mask_f', { to: { type: 'int', value: DTYPE_CODE.float32 } });
  const any = node('ReduceMax', [maskF], 'mask_any', { axes: ints([1]), keepdims: { type: 'int', value: 1 } });
  let txt = node('Mul', ['t:text_embeds', any], 'text_raw');
  let img = 'v:image_embeds';
  if (o.entangle) {
    const idsF = node('Cast', ['input_ids'], 'ids_f', { to: { type: 'int', value: DTYPE_CODE.float32 } });
    const s = node('ReduceSum', [idsF], 'ids_sum', { keepdims: { type: 'int', value: 0 } });
    img = node('Add', [img, node('Mul', [s, 'zero'], 'ids_zero')], 'image_raw');
    inits.set('zero', f32(0));
  }
  const l2 = (x: string, name: string) => node('Div', [x, node('ReduceL2', [x], `${name}_norm`, { axes: ints([-1]), keepdims: { type: 'int', value: 1 } })], name);
  const imgN = l2(img, 'image_embeds');
  txt = l2(txt, 'text_embeds');
  const lpt = node('Mul', [node('MatMul', [txt, node('Transpose', [imgN], 'image_t', { perm: ints([1, 0]) })], 'cos_t'), node('Exp', ['logit_scale'], 'scale')], 'logits_per_text');
  node('Transpose', [lpt], 'logits_per_image', { perm: ints([1, 0]) });
  const B = vision.graph.inputs[0].dims![0];
  const T = text.graph.inputs[0].dims![1];
  const P = vision.graph.outputs[0].dims![1];
  const graph: Graph = {
    name: 'clip', nodes, initializers: inits, valueInfo: [],
    inputs: [
      { name: 'input_ids', dtype: 'int64', dims: [B, T] },
      { name: 'pixel_values', dtype: 'float32', dims: [...vision.graph.inputs[0].dims!] },
      { name: 'attention_mask', dtype: 'int64', dims: [B, T] },
    ],
    outputs: [
      { name: 'logits_per_image', dtype: 'float32', dims: [B, B] },
      { name: 'logits_per_text', dtype: 'float32', dims: [B, B] },
      { name: 'text_embeds', dtype: 'float32', dims: [B, P] },
      { name: 'image_embeds', dtype: 'float32', dims: [B, P] },
    ],
  };
  return { ...vision, graph };
}

export const bytesOf = encodeModel;
