/**
 * One loader for a CLIP model folder in the transformers.js layout, wherever it is: a URL base, local files, an
 * in-memory map, or (Node) a directory. Two steps, so a UI can show sizes before anything is downloaded:
 *
 *   const plan = await planModelLoad(input, { precision: 'auto' });   // variants present, files, sizes (HEAD)
 *   const model = await loadClipModel(input, { confirm: (plan) => askUser(plan), onProgress });
 *
 * `loadClipModel` plans, asks `confirm` (required when `sharedLink` is set: a link someone else made names the
 * files), downloads with progress under the size cap, records each file's sha256, then validates: both ONNX files
 * decode, the lower-precision variants become float32 graphs, the combined model.onnx is split, the towers have
 * the expected input/output names, the autodiff can differentiate every op, and tokenizer.json /
 * preprocessor_config.json parse (their own error types: TokenizerJsonError, PreprocessorConfigError).
 */
import type { ClipConfig } from '../onnx/clip/config';
import { clipConfigFromJson } from '../onnx/clip/folder';
import { unsupportedOps } from '../onnx/autodiff/build';
import type { Dim, Model, ValueInfo } from '../onnx/ir';
import { GraphError } from '../onnx/errors';
import { simplify } from '../onnx/passes';
import { encodeModel } from '../onnx/proto';
import { parsePreprocessorConfig, type ClipPreprocessorConfig } from '../image/preprocess';
import { ClipTokenizer, TokenizerJsonError } from '../text/tokenizer';
import { toFloat32 } from './convert';
import { ModelLoadError } from './errors';
import { decodeOnnxFile } from './onnxfile';
import { sha256Hex } from './sha256';
import { formatBytes, toSource, type ModelSource, type SourceInput, type UrlSourceOptions } from './source';
import { checkTower, splitCombinedModel, TOWER_IO, type Tower } from './towers';
import { PRECISIONS, chooseVariant, listVariants, type Layout, type Precision, type Variant, type VariantListing } from './variants';

/** Default size cap: 1 GiB (a ViT-B/32 folder in float32 is about 600 MB). */
export const DEFAULT_MAX_BYTES = 1024 ** 3;

export const REQUIRED_FILES = ['tokenizer.json', 'preprocessor_config.json'] as const;
export const OPTIONAL_FILES = ['config.json', 'tokenizer_config.json'] as const;

export interface PlanOptions extends UrlSourceOptions {
  /** Which ONNX variant to load (default 'auto': fp32, else fp16, else 8-bit). */
  precision?: Precision | 'auto';
  /** Size cap for everything the load reads, in bytes (default DEFAULT_MAX_BYTES). */
  maxBytes?: number;
  /** The model was named by a shared link: `confirm` must approve before anything is downloaded. */
  sharedLink?: boolean;
  signal?: AbortSignal;
}

export interface PlannedFile {
  name: string;
  /** Bytes (null: unknown until downloaded). */
  size: number | null;
  required: boolean;
}

export interface LoadPlan {
  source: { kind: ModelSource['kind']; label: string };
  sharedLink: boolean;
  /** Every variant present (precision × layout), and recognised-but-unsupported files. */
  listing: VariantListing;
  /** The one that will be loaded. */
  variant: Variant;
  /** Files to read, in order: configs and tokenizer first, then the ONNX files. */
  files: PlannedFile[];
  /** Sum of the sizes (null when some size is unknown); `knownBytes` sums the known ones. */
  totalBytes: number | null;
  knownBytes: number;
  maxBytes: number;
}

export interface LoadProgress {
  file: string;
  loaded: number;
  total: number | null;
  /** All planned files together. */
  overallLoaded: number;
  overallTotal: number | null;
}

export interface LoadOptions extends PlanOptions {
  /** Approves the plan (sizes, source) before downloading; required with `sharedLink`. Return false to refuse. */
  confirm?: (plan: LoadPlan) => boolean | Promise<boolean>;
  onProgress?: (p: LoadProgress) => void;
  /**
   * Refuse models with ops the autodiff cannot differentiate (default true: the workbench attacks and fine-tunes
   * through the towers). False loads them anyway and lists the ops in `unsupportedOps`.
   */
  requireGradients?: boolean;
  /**
   * A sha256 already known for a file (e.g. an unchanged local file whose name, size and lastModified the model cache
   * knows): used instead of hashing the bytes again. Null / undefined: hashed.
   */
  knownSha256?: (name: string, size: number) => string | null | undefined;
}

export interface LoadedFile {
  name: string;
  bytes: number;
  sha256: string;
  /** URL or path it came from. */
  from: string;
}

export interface LoadedTower {
  tower: Tower;
  /** The ONNX file it came from (the combined model.onnx for split towers). */
  file: string;
  /** float32 graph (converted / split / mask bound as needed). */
  model: Model;
  /** Encoded float32 model for sessions and GradientGraphCache (the file's own bytes when nothing changed). */
  bytes: Uint8Array;
  input: ValueInfo;
  output: ValueInfo;
  /** Ops the autodiff has no rule for ("Op node 'name'"), after folding constants; empty when all differentiable. */
  unsupportedOps: string[];
  /** What the loader did to the file (upcast, dequantise, split, bind attention_mask). */
  steps: string[];
}

export interface LoadedClipModel {
  plan: LoadPlan;
  precision: Precision;
  layout: Layout;
  files: LoadedFile[];
  vision: LoadedTower;
  text: LoadedTower;
  tokenizer: ClipTokenizer;
  preprocessor: ClipPreprocessorConfig;
  /** From config.json when it parses as a CLIP config (else a warning says why). */
  config?: ClipConfig;
  configJson?: unknown;
  warnings: string[];
}

function sumSizes(files: PlannedFile[]): { total: number | null; known: number } {
  let known = 0, unknown = false;
  for (const f of files) {
    if (f.size === null) unknown = true;
    else known += f.size;
  }
  return { total: unknown ? null : known, known };
}

/** What a load would read: the variants present, the chosen one, every file with its size. Downloads nothing. */
export async function planModelLoad(input: SourceInput, options: PlanOptions = {}): Promise<LoadPlan> {
  const source = toSource(input, options);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  if (!(maxBytes > 0)) throw new RangeError(`maxBytes must be > 0, got ${maxBytes}`);
  const precision = options.precision ?? 'auto';
  if (precision !== 'auto' && !PRECISIONS.includes(precision)) throw new RangeError(`precision must be 'auto' or one of ${PRECISIONS.join(', ')}, got ${JSON.stringify(precision)}`);
  const [listing, ...stats] = await Promise.all([
    listVariants(source, PRECISIONS, options.signal),
    ...[...REQUIRED_FILES, ...OPTIONAL_FILES].map((n) => source.stat(n, options.signal)),
  ]);
  const files: PlannedFile[] = [];
  [...REQUIRED_FILES, ...OPTIONAL_FILES].forEach((name, i) => {
    const s = stats[i] as Awaited<ReturnType<ModelSource['stat']>>;
    const required = (REQUIRED_FILES as readonly string[]).includes(name);
    if (!s && required) {
      throw new ModelLoadError('missing-file', `${name} is missing from ${source.label}${source.kind === 'url' ? ` (${source.where(name)})` : ''}; a CLIP model folder in the transformers.js layout needs ${REQUIRED_FILES.join(', ')} and onnx/vision_model.onnx + onnx/text_model.onnx (or onnx/model.onnx)`, name);
    }
    if (s) files.push({ name, size: s.size, required });
  });
  const variant = chooseVariant(listing as VariantListing, precision, source.label);
  for (const f of variant.files) files.push({ name: f, size: variant.sizes[f], required: true });
  const { total, known } = sumSizes(files);
  if (known > maxBytes) {
    const big = files.filter((f) => f.size !== null).sort((a, b) => b.size! - a.size!).slice(0, 3).map((f) => `${f.name} ${formatBytes(f.size)}`).join(', ');
    throw new ModelLoadError('too-large', `${source.label}: the ${variant.precision} model is ${formatBytes(known)} (${big}), over the size cap of ${formatBytes(maxBytes)}; raise maxBytes to load it${variant.precision === 'fp32' && listing.variants.some((v) => v.precision !== 'fp32') ? ` or pick a smaller precision (${listing.variants.filter((v) => v.precision !== 'fp32').map((v) => `${v.precision} ${formatBytes(v.bytes)}`).join(', ')})` : ''}`);
  }
  return {
    source: { kind: source.kind, label: source.label }, sharedLink: !!options.sharedLink, listing: listing as VariantListing, variant,
    files, totalBytes: total, knownBytes: known, maxBytes,
  };
}

/** Concrete shapes to fold a tower's constants for the op analysis (batch 1, other dims from the configs). */
function analysisShape(input: ValueInfo, fallback: number[]): number[] {
  const dims: Dim[] = input.dims ?? [];
  return fallback.map((f, i) => (i > 0 && typeof dims[i] === 'number' && (dims[i] as number) > 0 ? dims[i] as number : f));
}

function towerAnalysis(model: Model, input: ValueInfo, shape: number[], file: string, warnings: string[]): string[] {
  let analysed = model;
  try {
    analysed = simplify(model, { inputShapes: { [input.name]: shape } });
  } catch (e) {
    if (e instanceof GraphError) throw new ModelLoadError('invalid-graph', `${file}: ${e.message}`, file);
    warnings.push(`${file}: constant folding for the op check failed (${(e as Error)?.message ?? e}); listing ops of the unfolded graph`);
  }
  return unsupportedOps(analysed);
}

function parseJsonFile(bytes: Uint8Array, name: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    if (name.startsWith('tokenizer')) throw new TokenizerJsonError(`${name} is not valid JSON: ${(e as Error).message}`);
    throw new ModelLoadError('not-onnx', `${name} is not valid JSON: ${(e as Error).message}`, name);
  }
}

/** Plans, confirms, downloads (progress, cap, sha256) and validates a CLIP model folder. */
export async function loadClipModel(input: SourceInput, options: LoadOptions = {}): Promise<LoadedClipModel> {
  const source = toSource(input, options);
  if (options.sharedLink && !options.confirm) {
    throw new ModelLoadError('confirm-required', `${source.label} was named by a shared link: loading it needs a confirm callback that shows the user what will be downloaded`);
  }
  const plan = await planModelLoad(source, options);
  if (options.confirm && !(await options.confirm(plan))) {
    throw new ModelLoadError('refused', `loading ${source.label} was refused (${plan.files.length} files, ${plan.totalBytes === null ? `at least ${formatBytes(plan.knownBytes)}` : formatBytes(plan.totalBytes)}); nothing was downloaded`);
  }

  // Download: every file under one budget (the cap also binds files whose size was unknown).
  const bytes = new Map<string, Uint8Array>();
  const files: LoadedFile[] = [];
  let done = 0;
  for (const f of plan.files) {
    const budget = plan.maxBytes - done;
    const b = await source.read(f.name, {
      maxBytes: budget, signal: options.signal,
      onProgress: (loaded, total) => options.onProgress?.({ file: f.name, loaded, total: total ?? f.size, overallLoaded: done + loaded, overallTotal: plan.totalBytes }),
    }).catch((e: unknown) => {
      if (e instanceof ModelLoadError && e.code === 'too-large') {
        throw new ModelLoadError('too-large', `${source.label}: the download went over the size cap of ${formatBytes(plan.maxBytes)} while reading ${f.name} (${formatBytes(done)} read before it; ${plan.totalBytes === null ? 'the source gave no sizes in advance' : 'the file was larger than announced'}); raise maxBytes to load it`, f.name);
      }
      throw e;
    });
    if (f.size !== null && b.byteLength !== f.size && source.kind !== 'url') {
      throw new ModelLoadError('truncated', `${f.name}: read ${b.byteLength} B but the file is ${f.size} B`, f.name);
    }
    done += b.byteLength;
    bytes.set(f.name, b);
    files.push({ name: f.name, bytes: b.byteLength, sha256: options.knownSha256?.(f.name, b.byteLength) ?? await sha256Hex(b), from: source.where(f.name) });
  }

  // Configs and tokenizer (their own error types).
  const warnings: string[] = [];
  const tokCfg = bytes.has('tokenizer_config.json') ? parseJsonFile(bytes.get('tokenizer_config.json')!, 'tokenizer_config.json') : undefined;
  const tokenizer = ClipTokenizer.fromJSON(new TextDecoder().decode(bytes.get('tokenizer.json')!), { tokenizerConfig: tokCfg });
  const preprocessor = parsePreprocessorConfig(new TextDecoder().decode(bytes.get('preprocessor_config.json')!));
  let config: ClipConfig | undefined, configJson: unknown;
  if (bytes.has('config.json')) {
    configJson = parseJsonFile(bytes.get('config.json')!, 'config.json');
    try {
      config = clipConfigFromJson(configJson);
    } catch (e) {
      warnings.push(`config.json does not describe a CLIP model the builder knows (${(e as Error).message}); the ONNX towers are used as they are`);
    }
  } else {
    warnings.push('config.json is missing (optional): model sizes come from the ONNX graphs');
  }

  // ONNX towers.
  const { variant } = plan;
  const raw: Record<Tower, { file: string; model: Model; original?: Uint8Array; steps: string[] }> = {} as never;
  if (variant.layout === 'towers') {
    for (const tower of ['vision', 'text'] as const) {
      const file = variant.files[tower === 'vision' ? 0 : 1];
      raw[tower] = { file, model: decodeOnnxFile(bytes.get(file)!, file), original: bytes.get(file), steps: [] };
    }
  } else {
    const file = variant.files[0];
    const combined = decodeOnnxFile(bytes.get(file)!, file);
    const split = splitCombinedModel(combined, file);
    warnings.push(...split.notes);
    raw.vision = { file, model: split.vision, steps: [`split from ${file}`] };
    raw.text = { file, model: split.text, steps: [`split from ${file}`] };
  }
  const towers = {} as Record<Tower, LoadedTower>;
  for (const tower of ['vision', 'text'] as const) {
    const r = raw[tower];
    let conv;
    try {
      conv = toFloat32(r.model);
    } catch (e) {
      if (e instanceof ModelLoadError) throw new ModelLoadError(e.code, `${r.file}: ${e.message}`, r.file);
      throw e;
    }
    const checked = checkTower(conv.model, tower, r.file);
    warnings.push(...checked.warnings);
    const steps = [...r.steps, ...conv.steps, ...(checked.model !== conv.model ? ['attention_mask bound to ones'] : [])];
    const model = checked.model;
    const io = TOWER_IO[tower];
    const inputInfo = model.graph.inputs.find((v) => v.name === io.input)!;
    const outputInfo = model.graph.outputs.find((v) => v.name === io.output)!;
    const shape = tower === 'vision'
      ? analysisShape(inputInfo, [1, preprocessor.imageMean.length === 1 ? 1 : 3, preprocessor.cropSize.height, preprocessor.cropSize.width])
      : analysisShape(inputInfo, [1, tokenizer.contextLength]);
    const unsupported = towerAnalysis(model, inputInfo, shape, r.file, warnings);
    if (unsupported.length && (options.requireGradients ?? true)) {
      throw new ModelLoadError('undifferentiable', `${r.file}: the autodiff has no gradient rule for ${unsupported.length} node(s): ${unsupported.slice(0, 8).join(', ')}${unsupported.length > 8 ? ', …' : ''}; the workbench cannot attack or fine-tune through them (pass requireGradients: false to load for inference only)`, r.file);
    }
    const unchanged = r.original && steps.length === 0;
    towers[tower] = {
      tower, file: r.file, model, bytes: unchanged ? r.original! : encodeModel(model), input: inputInfo, output: outputInfo,
      unsupportedOps: unsupported, steps,
    };
  }

  // Cross-checks between the files (warnings: the model may still be usable).
  const vIn = towers.vision.input.dims, tIn = towers.text.input.dims;
  if (vIn && typeof vIn[1] === 'number' && vIn[1] !== preprocessor.imageMean.length && preprocessor.imageMean.length !== 1) {
    warnings.push(`preprocessor_config.json normalises ${preprocessor.imageMean.length} channels but pixel_values has ${vIn[1]}`);
  }
  if (vIn && typeof vIn[2] === 'number' && typeof vIn[3] === 'number' && (vIn[2] !== preprocessor.cropSize.height || vIn[3] !== preprocessor.cropSize.width)) {
    warnings.push(`preprocessor_config.json crops to ${preprocessor.cropSize.height}×${preprocessor.cropSize.width} but pixel_values is ${vIn[2]}×${vIn[3]}`);
  }
  if (tIn && typeof tIn[1] === 'number' && tIn[1] !== tokenizer.contextLength) {
    warnings.push(`tokenizer.json pads to ${tokenizer.contextLength} tokens but input_ids has length ${tIn[1]}`);
  }
  const pv = towers.vision.output.dims?.[1], pt = towers.text.output.dims?.[1];
  if (typeof pv === 'number' && typeof pt === 'number' && pv !== pt) {
    throw new ModelLoadError('wrong-names', `image_embeds has ${pv} features but text_embeds has ${pt}: the towers do not belong to the same CLIP model`);
  }
  for (const u of plan.listing.unsupported) warnings.push(`${u.file} ignored: ${u.reason}`);

  return {
    plan, precision: variant.precision, layout: variant.layout, files, vision: towers.vision, text: towers.text,
    tokenizer, preprocessor, config, configJson, warnings,
  };
}
