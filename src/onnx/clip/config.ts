/**
 * CLIP model configuration: the sizes of both towers, as in Hugging Face's CLIPConfig, plus presets.
 *
 * A `ClipConfig` describes a CLIP dual encoder with ViT vision tower and causal text transformer (OpenAI CLIP /
 * HF CLIPModel). `clipDims` derives the quantities the builders need (patch grid, sequence lengths, head and MLP
 * sizes); `validateClipConfig` rejects impossible configs with a message naming the field.
 */

export type ClipActivation = 'quick_gelu' | 'gelu';

export interface ClipTowerConfig {
  /** Hidden size D. */
  width: number;
  layers: number;
  heads: number;
  /** MLP hidden size = mlpRatio × width (must come out integral). */
  mlpRatio: number;
}

export interface ClipTextConfig extends ClipTowerConfig {
  /** Rows of the token embedding (= tokenizer vocabulary size; EOS must be the highest id a tokenizer emits). */
  vocabSize: number;
  /** T: the text tower's fixed sequence length (input_ids are [B, T], padded by the tokenizer). */
  contextLength: number;
}

export interface ClipConfig {
  /** Square input images: imageSize × imageSize. */
  imageSize: number;
  channels: 1 | 3;
  patchSize: number;
  vision: ClipTowerConfig;
  text: ClipTextConfig;
  /** P: size of image_embeds / text_embeds. */
  projectionDim: number;
  /** MLP activation of both towers: quick_gelu x·σ(1.702x) (OpenAI CLIP) or exact gelu via Erf. */
  activation: ClipActivation;
  layerNormEps: number;
  /** Log of the logit temperature, as HF stores it (logits = exp(logitScale) · cos); CLIP's init is ln(1/0.07). */
  logitScale: number;
}

/** ln(1 / 0.07), CLIP's initial logit scale. */
export const CLIP_LOGIT_SCALE_INIT = 2.6592;

function deepFreeze<T extends object>(o: T): Readonly<T> {
  for (const v of Object.values(o)) if (typeof v === 'object' && v !== null) deepFreeze(v as object);
  return Object.freeze(o);
}

/** A tiny CLIP for tests: 28×28 grey images, 7×7 patches (16 + 1 tokens), width 32, 2 layers, 2 heads. */
export const tinyClipConfig: Readonly<ClipConfig> = deepFreeze({
  imageSize: 28,
  channels: 1,
  patchSize: 7,
  vision: { width: 32, layers: 2, heads: 2, mlpRatio: 4 },
  text: { vocabSize: 1024, contextLength: 16, width: 32, layers: 2, heads: 2, mlpRatio: 4 },
  projectionDim: 32,
  activation: 'quick_gelu',
  layerNormEps: 1e-5,
  logitScale: CLIP_LOGIT_SCALE_INIT,
});

/** OpenAI CLIP ViT-B/32 sizes (about 151 M parameters, ~600 MB in float32): build it in scripts, not in tests. */
export const vitB32Config: Readonly<ClipConfig> = deepFreeze({
  imageSize: 224,
  channels: 3,
  patchSize: 32,
  vision: { width: 768, layers: 12, heads: 12, mlpRatio: 4 },
  text: { vocabSize: 49408, contextLength: 77, width: 512, layers: 12, heads: 8, mlpRatio: 4 },
  projectionDim: 512,
  activation: 'quick_gelu',
  layerNormEps: 1e-5,
  logitScale: CLIP_LOGIT_SCALE_INIT,
});

/** A mutable deep copy of a config with some fields replaced (towers merged field by field). */
export function withClipConfig(base: Readonly<ClipConfig>, patch: Partial<Omit<ClipConfig, 'vision' | 'text'>> & {
  vision?: Partial<ClipTowerConfig>; text?: Partial<ClipTextConfig>;
} = {}): ClipConfig {
  return {
    ...base,
    ...patch,
    vision: { ...base.vision, ...patch.vision },
    text: { ...base.text, ...patch.text },
  };
}

export interface ClipDims {
  /** Patches per side. */
  grid: number;
  numPatches: number;
  /** Vision sequence length: patches + class token. */
  visionSeq: number;
  visionHeadDim: number;
  visionMlp: number;
  textHeadDim: number;
  textMlp: number;
}

export function clipDims(c: ClipConfig): ClipDims {
  const grid = Math.floor(c.imageSize / c.patchSize);
  return {
    grid,
    numPatches: grid * grid,
    visionSeq: grid * grid + 1,
    visionHeadDim: c.vision.width / c.vision.heads,
    visionMlp: Math.round(c.vision.width * c.vision.mlpRatio),
    textHeadDim: c.text.width / c.text.heads,
    textMlp: Math.round(c.text.width * c.text.mlpRatio),
  };
}

/** Throws a RangeError naming the first bad field. */
export function validateClipConfig(c: ClipConfig): void {
  const posInt = (v: unknown, what: string): void => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new RangeError(`CLIP config: ${what} must be a positive integer, got ${JSON.stringify(v)}`);
  };
  posInt(c.imageSize, 'imageSize');
  posInt(c.patchSize, 'patchSize');
  if (c.channels !== 1 && c.channels !== 3) throw new RangeError(`CLIP config: channels must be 1 or 3, got ${JSON.stringify(c.channels)}`);
  if (c.imageSize % c.patchSize !== 0) throw new RangeError(`CLIP config: imageSize ${c.imageSize} is not a multiple of patchSize ${c.patchSize}`);
  posInt(c.projectionDim, 'projectionDim');
  for (const [name, t] of [['vision', c.vision], ['text', c.text]] as const) {
    posInt(t.width, `${name}.width`);
    posInt(t.layers, `${name}.layers`);
    posInt(t.heads, `${name}.heads`);
    if (t.width % t.heads !== 0) throw new RangeError(`CLIP config: ${name}.width ${t.width} is not divisible by ${name}.heads ${t.heads}`);
    const mlp = t.width * t.mlpRatio;
    if (!(t.mlpRatio > 0) || Math.abs(mlp - Math.round(mlp)) > 1e-9) {
      throw new RangeError(`CLIP config: ${name}.mlpRatio ${t.mlpRatio} × width ${t.width} must be a positive integer`);
    }
  }
  posInt(c.text.vocabSize, 'text.vocabSize');
  posInt(c.text.contextLength, 'text.contextLength');
  if (c.text.contextLength < 2) throw new RangeError('CLIP config: text.contextLength must be ≥ 2 (start and end tokens)');
  if (c.activation !== 'quick_gelu' && c.activation !== 'gelu') throw new RangeError(`CLIP config: activation must be 'quick_gelu' or 'gelu', got ${JSON.stringify(c.activation)}`);
  if (!(c.layerNormEps > 0)) throw new RangeError(`CLIP config: layerNormEps must be > 0, got ${c.layerNormEps}`);
  if (!Number.isFinite(c.logitScale)) throw new RangeError(`CLIP config: logitScale must be finite, got ${c.logitScale}`);
}
