/**
 * CLIP vision and text towers as ONNX graphs in the transformers.js layout:
 *
 *   onnx/vision_model.onnx   pixel_values float32 [B, C, H, W] → image_embeds [B, P] (+ last_hidden_state [B, S, D])
 *   onnx/text_model.onnx     input_ids int64 [B, T]            → text_embeds [B, P]  (+ last_hidden_state [B, T, D])
 *
 * The architecture is HF CLIPVisionModelWithProjection / CLIPTextModelWithProjection (pre-LN transformer blocks,
 * q/k/v/out projections with bias, attention scale 1/√head_dim, MLP fc1 → quick_gelu or gelu → fc2; vision: Conv
 * patch embedding without bias, class token, position embedding, pre-LayerNorm, post-LayerNorm on the class token,
 * visual projection; text: token + position embedding, causal mask, final LayerNorm, pooling at the EOS position
 * = ArgMax over input_ids, text projection).
 *
 * Two op patterns, mirroring the public exports:
 *  - 'opset14' (TorchScript-style): hidden states [B, S, D]; LayerNorm decomposed into ReduceMean, Sub, Pow,
 *    ReduceMean, Add ε, Sqrt, Div, Mul, Add; linears as Transpose(W) → MatMul → Add; q scaled before Q·Kᵀ; the
 *    class-token batch from a Shape → Gather → Unsqueeze → Concat chain; text pooling by Gather on the flattened
 *    [B·T, D] hidden states at Range(B)·T + ArgMax(input_ids).
 *  - 'opset18' (dynamo-style): hidden states flattened to [B·S, D] between attention blocks; LayerNormalization;
 *    linears as Gemm(transB = 1) reading the [out, in] weights directly; scores scaled after Q·Kᵀ; text pooling by
 *    GatherND(batch_dims = 1) at ArgMax(input_ids).
 * Both read the same HF-named initializers in the HF layout (see weights.ts), so `extractClipWeights` /
 * `withNewWeights` work on either. Nodes and their outputs are named like TorchScript exports
 * (`/vision_model/encoder/layers.0/self_attn/q_proj/MatMul`, output `…/MatMul_output_0`).
 *
 * The batch is a symbolic dim ('batch' unless named otherwise) or a fixed number. The text tower's sequence length
 * is the config's contextLength by default (our tokenizers pad to it); `sequence` makes it shorter or symbolic, as in
 * the public exports (transformers.js pipelines pad to the longest prompt): the position embedding and the causal
 * mask are then sliced to the input's length (≤ contextLength).
 */
import { GraphBuilder, f, type AttrInput } from '../builder';
import type { DType, Dim, Model } from '../ir';
import { clipDims, validateClipConfig, type ClipConfig } from './config';
import { checkClipWeights, type ClipWeights } from './weights';

export type ClipPattern = 'opset14' | 'opset18';

export interface ClipBuildOptions {
  /** Op pattern (default 'opset14', like the public transformers.js CLIP exports). */
  pattern?: ClipPattern;
  /** Batch dim: a symbolic name (default 'batch') or a fixed size. */
  batch?: number | string;
  /** Also output `last_hidden_state` (default true, as the public exports do). */
  lastHiddenState?: boolean;
  /**
   * Text sequence dim: a fixed length ≤ contextLength (default contextLength) or a symbolic name (e.g.
   * 'sequence_length'): inputs of any length up to contextLength. The vision tower ignores it.
   */
  sequence?: number | string;
}

/** Name of the text tower's additive causal mask initializer [T, T] (0 on and below the diagonal, float32 min above). */
export const CAUSAL_MASK_NAME = 'causal_attention_mask';

/** float32's lowest finite value, the mask value PyTorch uses (torch.finfo(float32).min). */
const F32_MIN = -3.4028234663852886e38;

interface TowerSizes {
  width: number;
  heads: number;
  layers: number;
  /** Sequence length: a number, or the name of a 1-D int64 [1] tensor holding it. */
  seq: number | { vector: string };
}

class TowerEmitter {
  readonly b: GraphBuilder;
  readonly opset: number;
  private readonly scope: string[] = [];
  private readonly nodeNames = new Set<string>();

  constructor(readonly config: ClipConfig, readonly weights: ClipWeights, readonly pattern: ClipPattern,
    readonly batch: number | string) {
    this.opset = pattern === 'opset14' ? 14 : 18;
    this.b = new GraphBuilder({ opset: this.opset });
  }

  get flat(): boolean {
    return this.pattern === 'opset18';
  }

  /** Runs `fn` inside a module scope (a path piece such as 'self_attn' or 'layers.0'). */
  in<T>(piece: string, fn: () => T): T {
    this.scope.push(...piece.split('/'));
    try {
      return fn();
    } finally {
      this.scope.splice(this.scope.length - piece.split('/').length);
    }
  }

  /** HF name of a parameter of the current module. */
  param(local: string): string {
    const name = [...this.scope, local].join('.');
    if (this.b.graph.initializers.has(name)) return name;
    const t = this.weights.get(name);
    if (!t) throw new Error(`internal: weight '${name}' not provided`);
    const got = this.b.init(name, t);
    if (got !== name) throw new Error(`internal: initializer name '${name}' is taken`);
    return name;
  }

  /** Emits a node named after the scope; returns its output (named `<node>_output_0` unless `out` is given). */
  op(op: string, inputs: string[], attrs: Record<string, AttrInput | undefined> = {}, out?: string): string {
    const base = `/${this.scope.join('/')}/${op}`;
    let name = base;
    for (let k = 1; this.nodeNames.has(name); k++) name = `${base}_${k}`;
    this.nodeNames.add(name);
    return this.b.op(op, inputs, attrs, { name, outputs: [out ?? `${name}_output_0`] });
  }

  scalar(v: number, dtype: DType = 'float32'): string {
    return this.b.scalar(v, dtype);
  }

  ints(v: number[]): string {
    return this.b.ints(v);
  }

  reduceMean(x: string, out?: string): string {
    return this.opset >= 18
      ? this.op('ReduceMean', [x, this.ints([-1])], { keepdims: 1 }, out)
      : this.op('ReduceMean', [x], { axes: [-1], keepdims: 1 }, out);
  }

  /** LayerNorm over the last axis with the current module's weight and bias. */
  layerNorm(x: string, out?: string): string {
    const eps = this.config.layerNormEps;
    const w = this.param('weight'), bias = this.param('bias');
    if (this.pattern === 'opset18') return this.op('LayerNormalization', [x, w, bias], { axis: -1, epsilon: f(eps) }, out);
    const mean = this.reduceMean(x);
    const d = this.op('Sub', [x, mean]);
    const sq = this.op('Pow', [d, this.scalar(2)]);
    const variance = this.reduceMean(sq);
    const s = this.op('Sqrt', [this.op('Add', [variance, this.scalar(eps)])]);
    const n = this.op('Div', [d, s]);
    return this.op('Add', [this.op('Mul', [n, w]), bias], {}, out);
  }

  /** The current module's Linear (weight [out, in], optional bias). */
  linear(x: string, bias: boolean, out?: string): string {
    const w = this.param('weight');
    const b = bias ? this.param('bias') : undefined;
    if (this.pattern === 'opset18') return this.op('Gemm', b ? [x, w, b] : [x, w], { transB: 1 }, out);
    const wt = this.op('Transpose', [w], { perm: [1, 0] });
    if (!b) return this.op('MatMul', [x, wt], {}, out);
    return this.op('Add', [this.op('MatMul', [x, wt]), b], {}, out);
  }

  activation(x: string): string {
    return this.in('activation_fn', () => {
      if (this.config.activation === 'quick_gelu') {
        return this.op('Mul', [x, this.op('Sigmoid', [this.op('Mul', [x, this.scalar(1.702)])])]);
      }
      const e = this.op('Erf', [this.op('Div', [x, this.scalar(Math.SQRT2)])]);
      return this.op('Mul', [this.op('Mul', [x, this.op('Add', [e, this.scalar(1)])]), this.scalar(0.5)]);
    });
  }

  /** Multi-head self-attention of the current 'self_attn' scope. x: [B, S, D] (opset14) or [B·S, D] (opset18). */
  attention(x: string, t: TowerSizes, mask?: string): string {
    const hd = t.width / t.heads;
    const scale = hd ** -0.5;
    let q = this.in('q_proj', () => this.linear(x, true));
    const k = this.in('k_proj', () => this.linear(x, true));
    const v = this.in('v_proj', () => this.linear(x, true));
    if (!this.flat) q = this.op('Mul', [q, this.scalar(scale)]);
    const split = this.flat ? this.shapeWithSeq(t.seq, [t.heads, hd]) : this.ints([0, 0, t.heads, hd]);
    const heads = (y: string, perm: number[]): string => this.op('Transpose', [this.op('Reshape', [y, split])], { perm });
    const qh = heads(q, [0, 2, 1, 3]);
    const kt = heads(k, [0, 2, 3, 1]);
    const vh = heads(v, [0, 2, 1, 3]);
    let scores = this.op('MatMul', [qh, kt]);
    if (this.flat) scores = this.op('Mul', [scores, this.scalar(scale)]);
    if (mask) scores = this.op('Add', [scores, mask]);
    const p = this.op('Softmax', [scores], { axis: -1 });
    const o = this.op('Transpose', [this.op('MatMul', [p, vh])], { perm: [0, 2, 1, 3] });
    const merged = this.op('Reshape', [o, this.ints(this.flat ? [-1, t.width] : [0, 0, t.width])]);
    return this.in('out_proj', () => this.linear(merged, true));
  }

  encoderLayer(x: string, t: TowerSizes, mask?: string, out?: string): string {
    const h1 = this.in('layer_norm1', () => this.layerNorm(x));
    const a = this.in('self_attn', () => this.attention(h1, t, mask));
    const x1 = this.op('Add', [x, a]);
    const h2 = this.in('layer_norm2', () => this.layerNorm(x1));
    const m = this.in('mlp', () => {
      const h = this.in('fc1', () => this.linear(h2, true));
      return this.in('fc2', () => this.linear(this.activation(h), true));
    });
    return this.op('Add', [x1, m], {}, out);
  }

  /** The encoder stack; input/output in the pattern's layout. */
  encoder(x: string, t: TowerSizes, mask?: string, out?: string): string {
    return this.in('encoder', () => {
      let h = x;
      for (let l = 0; l < t.layers; l++) h = this.in(`layers.${l}`, () => this.encoderLayer(h, t, mask, l === t.layers - 1 ? out : undefined));
      return h;
    });
  }

  /** The shape [-1, S, ...rest] as an int64 tensor (a constant for a fixed S, else a Concat). */
  shapeWithSeq(seq: TowerSizes['seq'], rest: number[]): string {
    if (typeof seq === 'number') return this.ints([-1, seq, ...rest]);
    return this.op('Concat', [this.ints([-1]), seq.vector, this.ints(rest)], { axis: 0 });
  }

  /** Dim `axis` of `input` as a 1-D int64 [1] tensor. */
  dimVector(input: string, axis: number): string {
    if (this.opset >= 15) return this.op('Shape', [input], { start: axis, end: axis + 1 });
    const s = this.op('Shape', [input]);
    return this.op('Unsqueeze', [this.op('Gather', [s, this.scalar(axis, 'int64')], { axis: 0 }), this.ints([0])]);
  }

  /** [B] batch size as a 1-D int64 tensor (a constant for a fixed batch). */
  batchVector(input: string): string {
    if (typeof this.batch === 'number') return this.ints([this.batch]);
    return this.dimVector(input, 0);
  }

  model(tower: 'vision' | 'text'): Model {
    const m = this.b.model();
    m.docString = `CLIP ${tower} tower (${this.pattern} pattern), built by aos-workbench`;
    m.metadata = { 'aos.clip.tower': tower, 'aos.clip.pattern': this.pattern };
    return m;
  }
}

function resolveOptions(o: ClipBuildOptions): Required<Omit<ClipBuildOptions, 'sequence'>> {
  const pattern = o.pattern ?? 'opset14';
  if (pattern !== 'opset14' && pattern !== 'opset18') throw new RangeError(`pattern must be 'opset14' or 'opset18', got ${JSON.stringify(pattern)}`);
  const batch = o.batch ?? 'batch';
  if (typeof batch === 'number' ? !(Number.isInteger(batch) && batch > 0) : batch === '') {
    throw new RangeError(`batch must be a positive integer or a non-empty dim name, got ${JSON.stringify(batch)}`);
  }
  return { pattern, batch, lastHiddenState: o.lastHiddenState ?? true };
}

/** The vision tower: pixel_values [B, C, H, W] → image_embeds [B, P] (and last_hidden_state [B, S, D]). */
export function buildClipVisionModel(config: ClipConfig, weights: ClipWeights, options: ClipBuildOptions = {}): Model {
  validateClipConfig(config);
  const o = resolveOptions(options);
  const w = checkClipWeights(config, weights, 'vision');
  const d = clipDims(config);
  const D = config.vision.width, p = config.patchSize;
  const t: TowerSizes = { width: D, heads: config.vision.heads, layers: config.vision.layers, seq: d.visionSeq };
  const e = new TowerEmitter(config, w, o.pattern, o.batch);
  const B: Dim = o.batch;
  const pixels = e.b.input('pixel_values', 'float32', [B, config.channels, config.imageSize, config.imageSize]);

  const embeds = e.in('vision_model/embeddings', () => {
    const conv = e.in('patch_embedding', () => e.op('Conv', [pixels, e.param('weight')], {
      dilations: [1, 1], group: 1, kernel_shape: [p, p], pads: [0, 0, 0, 0], strides: [p, p],
    }));
    const patches = e.op('Transpose', [e.op('Reshape', [conv, e.ints([0, D, d.numPatches])])], { perm: [0, 2, 1] });
    const shape = e.op('Concat', [e.batchVector(pixels), e.ints([1, D])], { axis: 0 });
    const cls = e.op('Expand', [e.param('class_embedding'), shape]);
    const tokens = e.op('Concat', [cls, patches], { axis: 1 });
    return e.op('Add', [tokens, e.in('position_embedding', () => e.param('weight'))]);
  });
  let h = e.in('vision_model/pre_layrnorm', () => e.layerNorm(embeds));
  if (e.flat) h = e.in('vision_model/encoder', () => e.op('Reshape', [h, e.ints([-1, D])]));
  const LAST = 'last_hidden_state';
  h = e.in('vision_model', () => e.encoder(h, t, undefined, e.flat ? undefined : LAST));
  const last = e.flat ? e.in('vision_model/encoder', () => e.op('Reshape', [h, e.ints([-1, d.visionSeq, D])], {}, LAST)) : h;
  const pooled = e.in('vision_model', () => e.op('Gather', [last, e.scalar(0, 'int64')], { axis: 1 }));
  const post = e.in('vision_model/post_layernorm', () => e.layerNorm(pooled));
  e.in('visual_projection', () => e.linear(post, false, 'image_embeds'));
  e.b.output('image_embeds', 'float32', [B, config.projectionDim]);
  if (o.lastHiddenState) e.b.output(LAST, 'float32', [B, d.visionSeq, D]);
  return e.model('vision');
}

/** The additive causal mask [T, T]: 0 where key ≤ query, float32 min where key > query. */
export function causalMask(T: number): Float32Array {
  const m = new Float32Array(T * T);
  for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) m[i * T + j] = F32_MIN;
  return m;
}

/** The text tower: input_ids [B, T] → text_embeds [B, P] (and last_hidden_state [B, T, D]). */
export function buildClipTextModel(config: ClipConfig, weights: ClipWeights, options: ClipBuildOptions = {}): Model {
  validateClipConfig(config);
  const o = resolveOptions(options);
  const w = checkClipWeights(config, weights, 'text');
  const D = config.text.width, maxT = config.text.contextLength;
  const seqOpt = options.sequence ?? maxT;
  if (typeof seqOpt === 'number' ? !(Number.isInteger(seqOpt) && seqOpt >= 1 && seqOpt <= maxT) : seqOpt === '' || seqOpt === o.batch) {
    throw new RangeError(`sequence must be an integer in [1, ${maxT}] or a symbolic dim name other than the batch's, got ${JSON.stringify(seqOpt)}`);
  }
  const e = new TowerEmitter(config, w, o.pattern, o.batch);
  const B: Dim = o.batch;
  const ids = e.b.input('input_ids', 'int64', [B, seqOpt]);
  // Fixed T: constants sized T. Symbolic: T read from input_ids, position embedding and mask sliced to it.
  const T = typeof seqOpt === 'number' ? seqOpt : undefined;
  const seqVec = T === undefined ? e.in('text_model/embeddings', () => e.dimVector(ids, 1)) : undefined;
  const t: TowerSizes = { width: D, heads: config.text.heads, layers: config.text.layers, seq: T ?? { vector: seqVec! } };

  const embeds = e.in('text_model/embeddings', () => {
    const tok = e.in('token_embedding', () => e.op('Gather', [e.param('weight'), ids], { axis: 0 }));
    let pos = e.in('position_embedding', () => e.param('weight'));
    if (T === undefined) pos = e.op('Slice', [pos, e.ints([0]), seqVec!, e.ints([0])]);
    else if (T < maxT) pos = e.op('Slice', [pos, e.ints([0]), e.ints([T]), e.ints([0])]);
    return e.op('Add', [tok, pos]);
  });
  const maskT = T ?? maxT;
  let mask = e.b.init(CAUSAL_MASK_NAME, { dtype: 'float32', dims: [maskT, maskT], data: causalMask(maskT) });
  if (T === undefined) {
    mask = e.in('text_model/encoder', () => e.op('Slice', [mask, e.ints([0, 0]), e.op('Concat', [seqVec!, seqVec!], { axis: 0 }), e.ints([0, 1])]));
  }
  let h = embeds;
  if (e.flat) h = e.in('text_model/encoder', () => e.op('Reshape', [h, e.ints([-1, D])]));
  h = e.in('text_model', () => e.encoder(h, t, mask));
  const LAST = 'last_hidden_state';
  let pooled: string;
  if (e.flat) {
    const normed = e.in('text_model/final_layer_norm', () => e.layerNorm(h));
    const last = e.in('text_model', () => e.op('Reshape', [normed, e.shapeWithSeq(t.seq, [D])], {}, LAST));
    pooled = e.in('text_model', () => {
      const eos = e.op('ArgMax', [ids], { axis: -1, keepdims: 0 });
      const idx = e.op('Unsqueeze', [eos, e.ints([-1])]);
      return e.op('GatherND', [last, idx], { batch_dims: 1 });
    });
  } else {
    const last = e.in('text_model/final_layer_norm', () => e.layerNorm(h, LAST));
    pooled = e.in('text_model', () => {
      const eos = e.op('ArgMax', [ids], { axis: -1, keepdims: 0 });
      const n = typeof o.batch === 'number'
        ? e.scalar(o.batch, 'int64')
        : e.op('Gather', [e.op('Shape', [ids]), e.scalar(0, 'int64')], { axis: 0 });
      const rows = e.op('Range', [e.scalar(0, 'int64'), n, e.scalar(1, 'int64')]);
      const len = T === undefined ? e.op('Gather', [e.op('Shape', [ids]), e.scalar(1, 'int64')], { axis: 0 }) : e.scalar(T, 'int64');
      const idx = e.op('Add', [e.op('Mul', [rows, len]), eos]);
      const flat = e.op('Reshape', [last, e.ints([-1, D])]);
      return e.op('Gather', [flat, idx], { axis: 0 });
    });
  }
  e.in('text_projection', () => e.linear(pooled, false, 'text_embeds'));
  e.b.output('text_embeds', 'float32', [B, config.projectionDim]);
  if (o.lastHiddenState) e.b.output(LAST, 'float32', [B, seqOpt, D]);
  return e.model('text');
}

export interface ClipModels {
  vision: Model;
  text: Model;
}

/** Both towers from the same weights. */
export function buildClipModels(config: ClipConfig, weights: ClipWeights, options: ClipBuildOptions = {}): ClipModels {
  return { vision: buildClipVisionModel(config, weights, options), text: buildClipTextModel(config, weights, options) };
}
