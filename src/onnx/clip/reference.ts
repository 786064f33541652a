/**
 * Plain TypeScript float64 forward pass of both CLIP towers, from the same HF-named weights as the ONNX builders
 * (weights.ts). Written directly from the architecture (HF CLIPVisionModelWithProjection /
 * CLIPTextModelWithProjection), not from the graphs, so it checks them: per-sample loops, float64 accumulation,
 * the causal mask applied by skipping future keys, EOS pooling by the first maximum of the ids.
 */
import { tensorToNumbers } from '../ir';
import { clipDims, validateClipConfig, type ClipConfig, type ClipTowerConfig } from './config';
import { checkClipWeights, type ClipWeights } from './weights';

export interface ClipVisionReference {
  /** [B, P] */
  imageEmbeds: Float64Array;
  /** [B, S, D]: the encoder output (before post-LayerNorm), as HF's last_hidden_state. */
  lastHiddenState: Float64Array;
}

export interface ClipTextReference {
  /** [B, P] */
  textEmbeds: Float64Array;
  /** [B, T, D]: after the final LayerNorm, as HF's last_hidden_state. */
  lastHiddenState: Float64Array;
  /** Pooling position of each row (first maximum of its ids). */
  eosPositions: Int32Array;
}

type Get = (name: string) => Float64Array;

function getter(w: ClipWeights): Get {
  const cache = new Map<string, Float64Array>();
  return (name) => {
    let v = cache.get(name);
    if (!v) {
      const t = w.get(name);
      if (!t) throw new Error(`internal: reference needs weight '${name}'`);
      v = tensorToNumbers(t);
      cache.set(name, v);
    }
    return v;
  };
}

/** y[n, out] = x[n, in] · Wᵀ + b with W [out, in]. */
export function linearRef(x: Float64Array, n: number, inDim: number, W: Float64Array, outDim: number, b?: Float64Array): Float64Array {
  const y = new Float64Array(n * outDim);
  for (let i = 0; i < n; i++) {
    const xo = i * inDim;
    for (let o = 0; o < outDim; o++) {
      const wo = o * inDim;
      let s = b ? b[o] : 0;
      for (let k = 0; k < inDim; k++) s += x[xo + k] * W[wo + k];
      y[i * outDim + o] = s;
    }
  }
  return y;
}

/** Row-wise LayerNorm over the last D values (biased variance). */
export function layerNormRef(x: Float64Array, n: number, D: number, w: Float64Array, b: Float64Array, eps: number): Float64Array {
  const y = new Float64Array(n * D);
  for (let i = 0; i < n; i++) {
    const o = i * D;
    let mean = 0;
    for (let k = 0; k < D; k++) mean += x[o + k];
    mean /= D;
    let v = 0;
    for (let k = 0; k < D; k++) v += (x[o + k] - mean) ** 2;
    v /= D;
    const inv = 1 / Math.sqrt(v + eps);
    for (let k = 0; k < D; k++) y[o + k] = (x[o + k] - mean) * inv * w[k] + b[k];
  }
  return y;
}

/** erf with |error| < 1.2e-7 would not do for a float64 reference: this is a series / continued fraction to ~1e-15. */
export function erfRef(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    // Maclaurin series: erf x = 2/√π Σ (−1)^n x^(2n+1) / (n! (2n+1))
    let term = ax, sum = ax;
    const x2 = ax * ax;
    for (let n = 1; n < 200; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc x = exp(−x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + …)))) (Lentz-free backward evaluation)
  let f = 0;
  for (let k = 60; k >= 1; k--) f = (k / 2) / (ax + f);
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
  return Math.sign(x) * (1 - erfc);
}

function activate(x: Float64Array, kind: ClipConfig['activation']): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    x[i] = kind === 'quick_gelu' ? v / (1 + Math.exp(-1.702 * v)) : 0.5 * v * (1 + erfRef(v / Math.SQRT2));
  }
}

/** One pre-LN encoder layer on a single sequence h [S, D], in place. */
function encoderLayerRef(h: Float64Array, S: number, t: ClipTowerConfig, mlp: number, prefix: string, get: Get,
  c: ClipConfig, causal: boolean): void {
  const D = t.width, H = t.heads, hd = D / H;
  const p = (s: string) => get(`${prefix}.${s}`);
  const x1 = layerNormRef(h, S, D, p('layer_norm1.weight'), p('layer_norm1.bias'), c.layerNormEps);
  const q = linearRef(x1, S, D, p('self_attn.q_proj.weight'), D, p('self_attn.q_proj.bias'));
  const k = linearRef(x1, S, D, p('self_attn.k_proj.weight'), D, p('self_attn.k_proj.bias'));
  const v = linearRef(x1, S, D, p('self_attn.v_proj.weight'), D, p('self_attn.v_proj.bias'));
  const scale = 1 / Math.sqrt(hd);
  const ctx = new Float64Array(S * D);
  const scores = new Float64Array(S);
  for (let head = 0; head < H; head++) {
    const off = head * hd;
    for (let i = 0; i < S; i++) {
      const keys = causal ? i + 1 : S;
      let max = -Infinity;
      for (let j = 0; j < keys; j++) {
        let s = 0;
        for (let e = 0; e < hd; e++) s += q[i * D + off + e] * k[j * D + off + e];
        scores[j] = s * scale;
        if (scores[j] > max) max = scores[j];
      }
      let z = 0;
      for (let j = 0; j < keys; j++) {
        scores[j] = Math.exp(scores[j] - max);
        z += scores[j];
      }
      for (let e = 0; e < hd; e++) {
        let s = 0;
        for (let j = 0; j < keys; j++) s += scores[j] * v[j * D + off + e];
        ctx[i * D + off + e] = s / z;
      }
    }
  }
  const a = linearRef(ctx, S, D, p('self_attn.out_proj.weight'), D, p('self_attn.out_proj.bias'));
  for (let i = 0; i < h.length; i++) h[i] += a[i];
  const x2 = layerNormRef(h, S, D, p('layer_norm2.weight'), p('layer_norm2.bias'), c.layerNormEps);
  const f1 = linearRef(x2, S, D, p('mlp.fc1.weight'), mlp, p('mlp.fc1.bias'));
  activate(f1, c.activation);
  const f2 = linearRef(f1, S, mlp, p('mlp.fc2.weight'), D, p('mlp.fc2.bias'));
  for (let i = 0; i < h.length; i++) h[i] += f2[i];
}

/** Vision tower on NCHW pixels (already normalised, as the ONNX model takes them). */
export function clipVisionReference(config: ClipConfig, weights: ClipWeights, pixels: ArrayLike<number>, batch: number): ClipVisionReference {
  validateClipConfig(config);
  const get = getter(checkClipWeights(config, weights, 'vision'));
  const d = clipDims(config);
  const C = config.channels, R = config.imageSize, p = config.patchSize, D = config.vision.width, S = d.visionSeq;
  const P = config.projectionDim;
  if (pixels.length !== batch * C * R * R) throw new RangeError(`pixels have ${pixels.length} values, [${batch}, ${C}, ${R}, ${R}] needs ${batch * C * R * R}`);
  const Wp = get('vision_model.embeddings.patch_embedding.weight');
  const cls = get('vision_model.embeddings.class_embedding');
  const pos = get('vision_model.embeddings.position_embedding.weight');
  const imageEmbeds = new Float64Array(batch * P);
  const lastHiddenState = new Float64Array(batch * S * D);
  for (let b = 0; b < batch; b++) {
    const img = b * C * R * R;
    const h = new Float64Array(S * D);
    for (let e = 0; e < D; e++) h[e] = cls[e] + pos[e];
    for (let gy = 0; gy < d.grid; gy++) {
      for (let gx = 0; gx < d.grid; gx++) {
        const tok = 1 + gy * d.grid + gx;
        for (let e = 0; e < D; e++) {
          let s = 0;
          for (let c = 0; c < C; c++) {
            for (let ky = 0; ky < p; ky++) {
              for (let kx = 0; kx < p; kx++) {
                s += Wp[((e * C + c) * p + ky) * p + kx] * pixels[img + (c * R + gy * p + ky) * R + gx * p + kx];
              }
            }
          }
          h[tok * D + e] = s + pos[tok * D + e];
        }
      }
    }
    const x = layerNormRef(h, S, D, get('vision_model.pre_layrnorm.weight'), get('vision_model.pre_layrnorm.bias'), config.layerNormEps);
    for (let l = 0; l < config.vision.layers; l++) {
      encoderLayerRef(x, S, config.vision, d.visionMlp, `vision_model.encoder.layers.${l}`, get, config, false);
    }
    lastHiddenState.set(x, b * S * D);
    const pooled = layerNormRef(x.subarray(0, D), 1, D, get('vision_model.post_layernorm.weight'), get('vision_model.post_layernorm.bias'), config.layerNormEps);
    imageEmbeds.set(linearRef(pooled, 1, D, get('visual_projection.weight'), P), b * P);
  }
  return { imageEmbeds, lastHiddenState };
}

/** Text tower on input_ids [B, T] (T = `seqLen`, default the config's contextLength; at most that). */
export function clipTextReference(config: ClipConfig, weights: ClipWeights, ids: ArrayLike<number | bigint>, batch: number,
  seqLen = config.text.contextLength): ClipTextReference {
  validateClipConfig(config);
  const get = getter(checkClipWeights(config, weights, 'text'));
  const d = clipDims(config);
  const T = seqLen, D = config.text.width, P = config.projectionDim, V = config.text.vocabSize;
  if (!(Number.isInteger(T) && T >= 1 && T <= config.text.contextLength)) throw new RangeError(`seqLen ${T} must be in [1, ${config.text.contextLength}]`);
  if (ids.length !== batch * T) throw new RangeError(`input_ids have ${ids.length} values, [${batch}, ${T}] needs ${batch * T}`);
  const tokEmb = get('text_model.embeddings.token_embedding.weight');
  const pos = get('text_model.embeddings.position_embedding.weight');
  const textEmbeds = new Float64Array(batch * P);
  const lastHiddenState = new Float64Array(batch * T * D);
  const eosPositions = new Int32Array(batch);
  for (let b = 0; b < batch; b++) {
    const h = new Float64Array(T * D);
    let best = -Infinity, at = 0;
    for (let t = 0; t < T; t++) {
      const id = Number(ids[b * T + t]);
      if (!(Number.isInteger(id) && id >= 0 && id < V)) throw new RangeError(`input_ids[${b}, ${t}] = ${id} is outside the vocabulary [0, ${V})`);
      if (id > best) {
        best = id;
        at = t;
      }
      for (let e = 0; e < D; e++) h[t * D + e] = tokEmb[id * D + e] + pos[t * D + e];
    }
    eosPositions[b] = at;
    for (let l = 0; l < config.text.layers; l++) {
      encoderLayerRef(h, T, config.text, d.textMlp, `text_model.encoder.layers.${l}`, get, config, true);
    }
    const x = layerNormRef(h, T, D, get('text_model.final_layer_norm.weight'), get('text_model.final_layer_norm.bias'), config.layerNormEps);
    lastHiddenState.set(x, b * T * D);
    textEmbeds.set(linearRef(x.subarray(at * D, (at + 1) * D), 1, D, get('text_projection.weight'), P), b * P);
  }
  return { textEmbeds, lastHiddenState, eosPositions };
}
