/**
 * CLIP weights by Hugging Face name (CLIPModel's state_dict keys), e.g.
 * `vision_model.encoder.layers.0.self_attn.q_proj.weight`. Linear weights keep PyTorch's [out, in] layout, the patch
 * embedding is the Conv weight [D, C, p, p], LayerNorm weights/biases are [D], `logit_scale` is a scalar (log
 * space). The same map drives both ONNX patterns and the float64 reference, and the ONNX initializers carry exactly
 * these names and layouts, so weights can be read back out of a built (or decoded) model with
 * `extractClipWeights` and swapped with `withNewWeights` (src/onnx/surgery.ts).
 *
 * `initClipWeights` draws a CLIP-like random initialisation (HF CLIPPreTrainedModel._init_weights with
 * initializer_factor 1): embeddings N(0, 0.02²), class embedding N(0, 1/D), attention in-projections
 * N(0, 1/(2·L·D)), out-projections N(0, 1/D), fc1 N(0, 1/(2D)), fc2 N(0, 1/(2·L·D)), projections N(0, 1/D),
 * LayerNorm scale 1 / bias 0, linear biases 0. Every tensor has its own stream seeded from (seed, name), so a
 * tensor's values do not depend on the rest of the config (changing the vocabulary leaves the vision tower alone).
 */
import { castTensor, numel, type Tensor } from '../ir';
import { Rng, hashU32 } from '../../util/random';
import { clipDims, validateClipConfig, type ClipConfig } from './config';

export type ClipWeights = Map<string, Tensor>;

export type ClipTower = 'vision' | 'text';

const LAYER_PARAMS: Array<[string, 'DD' | 'D' | 'MD' | 'M' | 'DM']> = [
  ['self_attn.q_proj.weight', 'DD'], ['self_attn.q_proj.bias', 'D'],
  ['self_attn.k_proj.weight', 'DD'], ['self_attn.k_proj.bias', 'D'],
  ['self_attn.v_proj.weight', 'DD'], ['self_attn.v_proj.bias', 'D'],
  ['self_attn.out_proj.weight', 'DD'], ['self_attn.out_proj.bias', 'D'],
  ['layer_norm1.weight', 'D'], ['layer_norm1.bias', 'D'],
  ['mlp.fc1.weight', 'MD'], ['mlp.fc1.bias', 'M'],
  ['mlp.fc2.weight', 'DM'], ['mlp.fc2.bias', 'D'],
  ['layer_norm2.weight', 'D'], ['layer_norm2.bias', 'D'],
];

function layerShapes(prefix: string, layers: number, D: number, M: number, out: Map<string, number[]>): void {
  for (let l = 0; l < layers; l++) {
    for (const [suffix, kind] of LAYER_PARAMS) {
      const dims = kind === 'DD' ? [D, D] : kind === 'D' ? [D] : kind === 'MD' ? [M, D] : kind === 'M' ? [M] : [D, M];
      out.set(`${prefix}.encoder.layers.${l}.${suffix}`, dims);
    }
  }
}

/** Names and dims of one tower's weights (or both, in state_dict order), `logit_scale` last with both. */
export function clipWeightShapes(c: ClipConfig, tower?: ClipTower): Map<string, number[]> {
  const d = clipDims(c);
  const out = new Map<string, number[]>();
  if (tower === undefined || tower === 'text') {
    const D = c.text.width;
    out.set('text_model.embeddings.token_embedding.weight', [c.text.vocabSize, D]);
    out.set('text_model.embeddings.position_embedding.weight', [c.text.contextLength, D]);
    layerShapes('text_model', c.text.layers, D, d.textMlp, out);
    out.set('text_model.final_layer_norm.weight', [D]);
    out.set('text_model.final_layer_norm.bias', [D]);
    out.set('text_projection.weight', [c.projectionDim, D]);
  }
  if (tower === undefined || tower === 'vision') {
    const D = c.vision.width;
    out.set('vision_model.embeddings.class_embedding', [D]);
    out.set('vision_model.embeddings.patch_embedding.weight', [D, c.channels, c.patchSize, c.patchSize]);
    out.set('vision_model.embeddings.position_embedding.weight', [d.visionSeq, D]);
    out.set('vision_model.pre_layrnorm.weight', [D]);
    out.set('vision_model.pre_layrnorm.bias', [D]);
    layerShapes('vision_model', c.vision.layers, D, d.visionMlp, out);
    out.set('vision_model.post_layernorm.weight', [D]);
    out.set('vision_model.post_layernorm.bias', [D]);
    out.set('visual_projection.weight', [c.projectionDim, D]);
  }
  if (tower === undefined) out.set('logit_scale', []);
  return out;
}

export interface InitClipWeightsOptions {
  seed: number;
  /**
   * Standard deviation of noise added to every bias and LayerNorm scale/offset (default 0: CLIP's zeros and ones).
   * Tests use a non-zero value so that a mis-wired bias or LayerNorm parameter changes the outputs.
   */
  biasStd?: number;
}

/** FNV-1a of a string, for per-tensor seeds. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** CLIP-like random weights for a config (see the module comment). */
export function initClipWeights(c: ClipConfig, o: InitClipWeightsOptions): ClipWeights {
  validateClipConfig(c);
  const noise = o.biasStd ?? 0;
  const out: ClipWeights = new Map();
  for (const [name, dims] of clipWeightShapes(c)) {
    const rng = new Rng(hashU32((o.seed >>> 0) ^ fnv1a(name)));
    const n = numel(dims);
    if (name === 'logit_scale') {
      out.set(name, { dtype: 'float32', dims, data: Float32Array.of(c.logitScale) });
      continue;
    }
    const tower = name.startsWith('vision_model') || name === 'visual_projection.weight' ? c.vision : c.text;
    const D = tower.width, L = tower.layers;
    const isNorm = /(layer_norm[12]|layrnorm|layernorm|final_layer_norm)\.(weight|bias)$/.test(name);
    let data: Float32Array;
    if (isNorm || name.endsWith('.bias')) {
      data = noise > 0 ? rng.normal(n, noise) : new Float32Array(n);
      if (isNorm && name.endsWith('.weight')) for (let i = 0; i < n; i++) data[i] += 1;
    } else {
      let std: number;
      if (name.endsWith('class_embedding')) std = D ** -0.5;
      else if (name.includes('.embeddings.')) std = 0.02;
      else if (/(q|k|v)_proj\.weight$/.test(name)) std = D ** -0.5 * (2 * L) ** -0.5;
      else if (name.endsWith('out_proj.weight')) std = D ** -0.5;
      else if (name.endsWith('fc1.weight')) std = (2 * D) ** -0.5;
      else if (name.endsWith('fc2.weight')) std = D ** -0.5 * (2 * L) ** -0.5;
      else if (name === 'text_projection.weight' || name === 'visual_projection.weight') std = D ** -0.5;
      else throw new Error(`internal: no init rule for '${name}'`);
      data = rng.normal(n, std);
    }
    out.set(name, { dtype: 'float32', dims: [...dims], data });
  }
  return out;
}

/**
 * The float32 weights of one tower (or both), checked against the config: every name present with the right
 * number of elements. Other dtypes are converted to float32; dims are normalised to the expected ones (so a
 * [D] vector stored as [1, D] is accepted). Extra names (e.g. `text_model.embeddings.position_ids`) are ignored.
 */
export function checkClipWeights(c: ClipConfig, w: ClipWeights, tower?: ClipTower): ClipWeights {
  const out: ClipWeights = new Map();
  const missing: string[] = [];
  for (const [name, dims] of clipWeightShapes(c, tower)) {
    const t = w.get(name);
    if (!t) {
      if (name === 'logit_scale') continue;
      missing.push(name);
      continue;
    }
    if (t.dtype === 'string') throw new TypeError(`CLIP weight '${name}' is a string tensor`);
    if (numel(t.dims) !== numel(dims)) {
      throw new RangeError(`CLIP weight '${name}' has dims [${t.dims}], the config needs [${dims}]`);
    }
    const f = castTensor(t, 'float32');
    out.set(name, { dtype: 'float32', dims: [...dims], data: f.data });
  }
  if (missing.length) {
    throw new RangeError(`CLIP weights lack ${missing.length} tensor(s) the config needs: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}`);
  }
  return out;
}

/** Names that belong to a CLIP weight map (HF CLIPModel state_dict keys). */
export function isClipWeightName(name: string): boolean {
  return name === 'logit_scale' || name === 'text_projection.weight' || name === 'visual_projection.weight'
    || name.startsWith('text_model.') || name.startsWith('vision_model.');
}

/** HF-named initializers of a model's graph (a model built here, or decoded from its bytes). */
export function extractClipWeights(model: { graph: { initializers: Map<string, Tensor> } }): ClipWeights {
  const out: ClipWeights = new Map();
  for (const [name, t] of model.graph.initializers) if (isClipWeightName(name)) out.set(name, t);
  return out;
}
