/**
 * A whole CLIP model folder in the transformers.js layout, assembled in memory (browser-safe; see node.ts to write
 * it to disk):
 *
 *   config.json                 HF CLIPConfig fields (text_config, vision_config, projection_dim, logit_scale…)
 *   preprocessor_config.json    CLIPImageProcessor fields for imageSize / channels / mean / std
 *   tokenizer.json              CLIP byte-level BPE generated from texts (src/text/makeTokenizer.ts), with
 *                               truncation/padding fixed to the context length
 *   tokenizer_config.json       CLIPTokenizer fields (special tokens, model_max_length)
 *   onnx/vision_model.onnx      pixel_values → image_embeds (+ last_hidden_state)
 *   onnx/text_model.onnx        input_ids → text_embeds (+ last_hidden_state)
 *
 * The text vocabulary size is taken from the tokenizer (its EOS, the highest id, + 1) unless `vocabSize: 'config'`
 * keeps the config's (which must then exceed every tokenizer id; used for realistic-size benchmarks).
 */
import { EOS_TOKEN, BOS_TOKEN, makeClipTokenizerJson, type ClipTokenizerJson } from '../../text/makeTokenizer';
import { OPENAI_CLIP_MEAN, OPENAI_CLIP_STD } from '../../image/preprocess';
import { encodeModel } from '../proto';
import { buildClipTextModel, buildClipVisionModel, type ClipBuildOptions } from './build';
import { CLIP_LOGIT_SCALE_INIT, clipDims, validateClipConfig, withClipConfig, type ClipActivation, type ClipConfig } from './config';
import { checkClipWeights, initClipWeights, type ClipWeights } from './weights';

export const CLIP_VISION_ONNX = 'onnx/vision_model.onnx';
export const CLIP_TEXT_ONNX = 'onnx/text_model.onnx';

export interface ClipFolderFiles {
  'onnx/vision_model.onnx': Uint8Array;
  'onnx/text_model.onnx': Uint8Array;
  'tokenizer.json': string;
  'tokenizer_config.json': string;
  'preprocessor_config.json': string;
  'config.json': string;
}

export interface ClipFolderOptions extends ClipBuildOptions {
  /** Texts (prompts, class names, synonyms) the tokenizer is trained on. Give these or `tokenizer`. */
  texts?: readonly string[];
  /** A ready tokenizer.json (text or parsed) instead of training one; EOS must be its highest id. */
  tokenizer?: string | ClipTokenizerJson;
  /** Vocabulary cap for the trained tokenizer (default: the config's vocabSize, at least 514). */
  tokenizerVocabSize?: number;
  /** 'tokenizer' (default): text vocabSize = the tokenizer's; 'config': keep the config's. */
  vocabSize?: 'tokenizer' | 'config';
  /** Given weights (HF names), or a seed for CLIP-like random ones (default seed 0). */
  weights?: ClipWeights;
  seed?: number;
  /** Noise on biases / LayerNorm parameters of random weights (see initClipWeights). */
  biasStd?: number;
  /** Normalisation in the preprocessor config (default OpenAI CLIP's for 3 channels, 0.5 / 0.5 for 1). */
  imageMean?: number[];
  imageStd?: number[];
  /** PIL resample filter of the preprocessor (default 3, bicubic). */
  resample?: 0 | 2 | 3;
  /** `_name_or_path` in config.json. */
  name?: string;
}

export interface ClipFolder {
  files: ClipFolderFiles;
  /** The config the models were built with (vocabSize from the tokenizer). */
  config: ClipConfig;
  weights: ClipWeights;
}

const EOS_SPECIALS = { bos: BOS_TOKEN, eos: EOS_TOKEN };

interface TokenizerInfo {
  json: Record<string, unknown>;
  eosId: number;
  bosId: number;
  maxId: number;
}

function tokenizerInfo(json: Record<string, unknown>): TokenizerInfo {
  const model = json.model as { vocab?: Record<string, number> } | undefined;
  if (!model || typeof model.vocab !== 'object' || model.vocab === null) throw new TypeError('tokenizer.json has no model.vocab');
  let maxId = -1;
  for (const id of Object.values(model.vocab)) if (id > maxId) maxId = id;
  const added = Array.isArray(json.added_tokens) ? json.added_tokens as Array<{ id: number; content: string }> : [];
  for (const t of added) if (t.id > maxId) maxId = t.id;
  const idOf = (content: string): number => model.vocab![content] ?? added.find((t) => t.content === content)?.id ?? -1;
  const eosId = idOf(EOS_SPECIALS.eos), bosId = idOf(EOS_SPECIALS.bos);
  if (eosId < 0) throw new RangeError(`tokenizer.json has no ${EOS_TOKEN} token`);
  if (eosId !== maxId) throw new RangeError(`tokenizer.json: ${EOS_TOKEN} has id ${eosId} but the highest id is ${maxId}; the text tower pools at ArgMax(input_ids), which needs EOS to be the highest id`);
  return { json, eosId, bosId, maxId };
}

/** tokenizer.json with truncation and padding fixed to the context length (EOS pads, as for CLIP). */
function withContextLength(info: TokenizerInfo, T: number): Record<string, unknown> {
  return {
    ...info.json,
    truncation: { direction: 'Right', max_length: T, strategy: 'LongestFirst', stride: 0 },
    padding: { strategy: { Fixed: T }, direction: 'Right', pad_to_multiple_of: null, pad_id: info.eosId, pad_type_id: 0, pad_token: EOS_TOKEN },
  };
}

function tokenizerConfigJson(T: number): Record<string, unknown> {
  return {
    add_prefix_space: false,
    bos_token: BOS_TOKEN,
    clean_up_tokenization_spaces: true,
    do_lower_case: true,
    eos_token: EOS_TOKEN,
    errors: 'replace',
    model_max_length: T,
    pad_token: EOS_TOKEN,
    tokenizer_class: 'CLIPTokenizer',
    unk_token: EOS_TOKEN,
  };
}

/** preprocessor_config.json (CLIPImageProcessor) for a config: resize shortest edge + centre crop to imageSize. */
export function clipPreprocessorConfigJson(c: ClipConfig, o: Pick<ClipFolderOptions, 'imageMean' | 'imageStd' | 'resample'> = {}): Record<string, unknown> {
  const mean = o.imageMean ?? (c.channels === 3 ? OPENAI_CLIP_MEAN : [0.5]);
  const std = o.imageStd ?? (c.channels === 3 ? OPENAI_CLIP_STD : [0.5]);
  for (const [name, v] of [['imageMean', mean], ['imageStd', std]] as const) {
    if (v.length !== c.channels) throw new RangeError(`${name} has ${v.length} entries, the model takes ${c.channels} channel(s)`);
    if (!v.every(Number.isFinite)) throw new RangeError(`${name} must be finite numbers`);
  }
  if (!std.every((x) => x > 0)) throw new RangeError('imageStd entries must be > 0');
  return {
    crop_size: { height: c.imageSize, width: c.imageSize },
    do_center_crop: true,
    do_convert_rgb: c.channels === 3,
    do_normalize: true,
    do_rescale: true,
    do_resize: true,
    feature_extractor_type: 'CLIPFeatureExtractor',
    image_mean: [...mean],
    image_processor_type: 'CLIPImageProcessor',
    image_std: [...std],
    resample: o.resample ?? 3,
    rescale_factor: 1 / 255,
    size: { shortest_edge: c.imageSize },
  };
}

/** config.json in HF CLIPConfig form (plus `logit_scale`, the current value, next to `logit_scale_init_value`). */
export function clipConfigJson(c: ClipConfig, o: { logitScale?: number; bosId?: number; eosId?: number; padId?: number; name?: string; extra?: Record<string, unknown> } = {}): Record<string, unknown> {
  const d = clipDims(c);
  const common = {
    attention_dropout: 0,
    dropout: 0,
    hidden_act: c.activation,
    initializer_factor: 1,
    initializer_range: 0.02,
    layer_norm_eps: c.layerNormEps,
    projection_dim: c.projectionDim,
  };
  return {
    _name_or_path: o.name ?? 'aos-workbench/clip',
    architectures: ['CLIPModel'],
    initializer_factor: 1,
    logit_scale_init_value: CLIP_LOGIT_SCALE_INIT,
    logit_scale: o.logitScale ?? c.logitScale,
    model_type: 'clip',
    projection_dim: c.projectionDim,
    text_config: {
      ...common,
      bos_token_id: o.bosId ?? c.text.vocabSize - 2,
      eos_token_id: o.eosId ?? c.text.vocabSize - 1,
      pad_token_id: o.padId ?? o.eosId ?? c.text.vocabSize - 1,
      hidden_size: c.text.width,
      intermediate_size: d.textMlp,
      max_position_embeddings: c.text.contextLength,
      model_type: 'clip_text_model',
      num_attention_heads: c.text.heads,
      num_hidden_layers: c.text.layers,
      vocab_size: c.text.vocabSize,
    },
    vision_config: {
      ...common,
      hidden_size: c.vision.width,
      image_size: c.imageSize,
      intermediate_size: d.visionMlp,
      model_type: 'clip_vision_model',
      num_attention_heads: c.vision.heads,
      num_channels: c.channels,
      num_hidden_layers: c.vision.layers,
      patch_size: c.patchSize,
    },
    torch_dtype: 'float32',
    ...o.extra,
  };
}

/**
 * A ClipConfig from an HF CLIPConfig config.json (ours or a real one such as openai/clip-vit-base-patch32's).
 * Missing fields take HF's CLIPTextConfig / CLIPVisionConfig defaults (= ViT-B/32).
 */
/** Upper bounds of config.json size fields (others: 8192). */
export const CONFIG_SIZE_LIMITS: Readonly<Record<string, number>> = {
  hidden_size: 8192, intermediate_size: 32768, num_hidden_layers: 128, num_attention_heads: 128, image_size: 1024,
  patch_size: 1024, vocab_size: 2 ** 20, max_position_embeddings: 4096, projection_dim: 8192,
};

export function clipConfigFromJson(json: string | unknown): ClipConfig {
  const j = (typeof json === 'string' ? JSON.parse(json) : json) as Record<string, unknown>;
  if (typeof j !== 'object' || j === null) throw new TypeError('config.json must be a JSON object');
  const tc = (j.text_config ?? {}) as Record<string, unknown>;
  const vc = (j.vision_config ?? {}) as Record<string, unknown>;
  const num = (o: Record<string, unknown>, k: string, dflt: number): number => {
    const v = o[k];
    if (v === undefined || v === null) return dflt;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new TypeError(`config.json: ${k} must be a number, got ${JSON.stringify(v)}`);
    return v;
  };
  // Sizes become weight allocations and loops: bounded well above every released CLIP (ViT-bigG: width 1664, 48 layers).
  const size = (o: Record<string, unknown>, k: string, dflt: number): number => {
    const v = num(o, k, dflt);
    const max = CONFIG_SIZE_LIMITS[k] ?? 8192;
    if (!Number.isInteger(v) || v < 1 || v > max) throw new RangeError(`config.json: ${k} must be an integer in 1…${max}, got ${v}`);
    return v;
  };
  const act = (o: Record<string, unknown>): ClipActivation => {
    const a = o.hidden_act ?? 'quick_gelu';
    if (a !== 'quick_gelu' && a !== 'gelu') throw new RangeError(`config.json: hidden_act ${JSON.stringify(a)} is not supported (quick_gelu or gelu)`);
    return a;
  };
  const ta = act(tc), va = act(vc);
  if (ta !== va) throw new RangeError(`config.json: text and vision hidden_act differ (${ta} / ${va}); one activation for both towers is supported`);
  const te = num(tc, 'layer_norm_eps', 1e-5), ve = num(vc, 'layer_norm_eps', 1e-5);
  if (te !== ve) throw new RangeError(`config.json: text and vision layer_norm_eps differ (${te} / ${ve})`);
  const tw = size(tc, 'hidden_size', 512), vw = size(vc, 'hidden_size', 768);
  const channels = num(vc, 'num_channels', 3);
  if (channels !== 1 && channels !== 3) throw new RangeError(`config.json: num_channels must be 1 or 3, got ${channels}`);
  const c: ClipConfig = {
    imageSize: size(vc, 'image_size', 224),
    channels,
    patchSize: size(vc, 'patch_size', 32),
    vision: { width: vw, layers: size(vc, 'num_hidden_layers', 12), heads: size(vc, 'num_attention_heads', 12), mlpRatio: size(vc, 'intermediate_size', 3072) / vw },
    text: {
      vocabSize: size(tc, 'vocab_size', 49408), contextLength: size(tc, 'max_position_embeddings', 77),
      width: tw, layers: size(tc, 'num_hidden_layers', 12), heads: size(tc, 'num_attention_heads', 8), mlpRatio: size(tc, 'intermediate_size', 2048) / tw,
    },
    projectionDim: size(j, 'projection_dim', 512),
    activation: ta,
    layerNormEps: te,
    logitScale: num(j, 'logit_scale', num(j, 'logit_scale_init_value', CLIP_LOGIT_SCALE_INIT)),
  };
  validateClipConfig(c);
  return c;
}

/** Builds the whole folder: tokenizer, configs and both ONNX towers from the same weights. */
export function buildClipFolder(config: ClipConfig, options: ClipFolderOptions = {}): ClipFolder {
  validateClipConfig(config);
  let tokJson: Record<string, unknown>;
  if (options.tokenizer !== undefined) {
    tokJson = (typeof options.tokenizer === 'string' ? JSON.parse(options.tokenizer) : options.tokenizer) as Record<string, unknown>;
  } else {
    if (!options.texts || options.texts.length === 0) throw new RangeError('buildClipFolder needs texts to train the tokenizer on (or a tokenizer)');
    const cap = options.tokenizerVocabSize ?? Math.max(514, config.text.vocabSize);
    tokJson = makeClipTokenizerJson(options.texts, { vocabSize: cap }) as unknown as Record<string, unknown>;
  }
  const info = tokenizerInfo(tokJson);
  const mode = options.vocabSize ?? 'tokenizer';
  if (mode === 'config' && info.maxId >= config.text.vocabSize) {
    throw new RangeError(`the tokenizer's highest id ${info.maxId} does not fit the config's vocabSize ${config.text.vocabSize}`);
  }
  const c = mode === 'config' ? withClipConfig(config) : withClipConfig(config, { text: { vocabSize: info.maxId + 1 } });
  const weights = options.weights
    ? checkClipWeights(c, options.weights)
    : initClipWeights(c, { seed: options.seed ?? 0, biasStd: options.biasStd });
  const ls = weights.get('logit_scale');
  // The weight is float32: keep the config's value when it is the same number rounded.
  const lsValue = ls ? Number((ls.data as Float32Array)[0]) : c.logitScale;
  const logitScale = Math.fround(c.logitScale) === lsValue ? c.logitScale : lsValue;
  c.logitScale = logitScale;
  const build: ClipBuildOptions = { pattern: options.pattern, batch: options.batch, lastHiddenState: options.lastHiddenState, sequence: options.sequence };
  const T = c.text.contextLength;
  const pretty = (x: unknown): string => `${JSON.stringify(x, null, 2)}\n`;
  const files: ClipFolderFiles = {
    'config.json': pretty(clipConfigJson(c, {
      logitScale, bosId: info.bosId >= 0 ? info.bosId : undefined, eosId: info.eosId, padId: info.eosId, name: options.name,
      extra: { aos_workbench: { onnx_pattern: options.pattern ?? 'opset14', seed: options.weights ? null : options.seed ?? 0 } },
    })),
    'preprocessor_config.json': pretty(clipPreprocessorConfigJson(c, options)),
    'tokenizer.json': JSON.stringify(withContextLength(info, T)),
    'tokenizer_config.json': pretty(tokenizerConfigJson(T)),
    'onnx/vision_model.onnx': encodeModel(buildClipVisionModel(c, weights, build)),
    'onnx/text_model.onnx': encodeModel(buildClipTextModel(c, weights, build)),
  };
  return { files, config: c, weights };
}

/** The folder's files only (see buildClipFolder for the config and weights too). */
export function assembleClipFolder(config: ClipConfig, options: ClipFolderOptions = {}): ClipFolderFiles {
  return buildClipFolder(config, options).files;
}
