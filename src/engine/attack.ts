/**
 * The attack playground's engine (no React): runs src/attacks on the model the workbench shows and reports
 * everything through the attack store (src/state/attack.ts).
 *
 * Over 700 lines on purpose for now: it is split by concern when compute moves into the Worker engine (issue 18:
 * model/session cache, single attack, batch attack, compare slot), so that the split follows the new command/event
 * boundary instead of being done twice.
 *
 *  - Model: the one the Model panel shows (src/engine/model.ts: the bundled pre-trained tiny CLIP when
 *    public/models/tiny-clip/ exists, else a random-init tiny CLIP built in the browser, or a confirmed URL folder),
 *    validated by the model loader (src/models, `loadClipModel` over the folder's files).
 *  - Classes: prompt-ensembled class embeddings from the text tower (every template of src/data/prompts.ts with the
 *    class's canonical name; each embedding normalised, averaged, renormalised), for the dataset's class names or
 *    names the user typed.
 *  - Image: a test image of the bundled dataset (src/engine/data.ts loading), or any picked or dropped file,
 *    brought to the tower's input size by the CLIP preprocessing (src/image/preprocess.ts) — the attack space is
 *    the [0, 1] pixels at that size.
 *  - Single attack, live: `runAttack` with progress every step; a thin observer around the attack model reads back
 *    the point and embeddings of each evaluation, so the panel shows the current adversarial image, δ, and the
 *    probabilities of every step. The result is snapped to 8 bits, re-evaluated here by a fresh forward pass, and the
 *    PNG download encodes exactly those bytes.
 *  - Batch: 8–16 test images balanced over the classes, clean vs robust accuracy (float worst case and 8-bit
 *    re-verified).
 * GPU work is serialised (one queue) and each step yields to the page, so the UI stays responsive.
 */
import { runAttack, VisionAttackModel, type AttackConfig, type AttackProgress, type AttackResult } from '../attacks';
import type { ImageDataset } from '../data/bundle';
import { promptEnsemble, PROMPT_TEMPLATES } from '../data/prompts';
import { checkName, type ExperimentConfig } from '../experiment';
import type { GpuContext } from '../gpu/context';
import { normalizationConstants, preprocessImage, type ClipPreprocessorConfig } from '../image/preprocess';
import { loadClipModel, type LoadedClipModel } from '../models/load';
import { clipConfigFromJson } from '../onnx/clip/folder';
import { createEngineSession, defaultEngine } from '../onnx/exec/select';
import { outputToF32, type OnnxSession } from '../onnx/run/session';
import {
  advIsOf, emptyBatch, emptySingle, useAttackStore, type AttackEngineKind, type CompareOwnAttack, type CompareRunOption, type CompareState, type AttackModelInfo, type BatchRun, type BatchTile,
  type ClassSet, type PlayImage, type SingleResult, type SingleRun, type TracePoint,
} from '../state/attack';
import type { ModelSummary } from '../state/resources';
import { useExperimentStore } from '../state/experiment';
import { getSplit } from './data';
import { gpuContext, yieldToPage } from './engine';
import { currentFolder, engineModelFiles, settledModel, showModel, type ModelFolder } from './model';
import { ensureRunsLoaded } from './runs';

const message = (e: unknown): string => String((e as Error)?.message ?? e);
const store = () => useAttackStore.getState();
const patch = (p: Parameters<ReturnType<typeof store>['patch']>[0]) => store().patch(p);
const patchSingleNow = (p: Partial<SingleRun>) => patch({ single: { ...store().single, ...p } });
const patchBatchNow = (p: Partial<BatchRun>) => patch({ batch: { ...store().batch, ...p } });

let gpuQueue: Promise<unknown> = Promise.resolve();
/** Runs GPU work one job at a time (sessions hold their own buffers: two runs must not interleave). */
function serial<T>(job: () => Promise<T>): Promise<T> {
  const p = gpuQueue.then(job, job);
  gpuQueue = p.catch(() => undefined);
  return p;
}

function abortError(): Error {
  const e = new Error('stopped');
  e.name = 'AbortError';
  return e;
}

// ---------------------------------------------------------------------------------------------------------------
// Attack settings → src/attacks configuration

const ATTACK_NAMES: Record<string, string> = {
  'pgd-linf': 'PGD L∞', 'pgd-l2': 'PGD L2', 'apgd-ce': 'APGD-CE', 'apgd-dlr': 'APGD-DLR', cw: 'C&W margin',
};

export const fmt255 = (v: number): string => `${Number((v * 255).toFixed(2))}/255`;

export interface PlannedAttack {
  config: AttackConfig;
  norm: 'linf' | 'l2';
  describe: string;
}

/** The src/attacks configuration of the experiment's attack settings (targets are added per batch). */
export function plannedAttack(a: ExperimentConfig['attack'], classes: number, seed: number, targeted: boolean): PlannedAttack {
  const norm = a.type === 'pgd-l2' ? 'l2' : 'linf';
  const base = { eps: a.epsilon, steps: a.steps, restarts: a.restarts, seed, snap8bit: true, norm } as const;
  let config: AttackConfig;
  switch (a.type) {
    case 'pgd-linf': case 'pgd-l2': config = { ...base, method: 'pgd', loss: 'ce', alpha: a.alpha }; break;
    case 'apgd-ce': config = { ...base, method: 'apgd', loss: 'ce' }; break;
    case 'apgd-dlr': config = { ...base, method: 'apgd', loss: 'dlr' }; break;
    case 'cw': config = { ...base, method: 'pgd', loss: 'margin', alpha: a.alpha, kappa: a.cwConfidence }; break;
    default: throw new Error(`unknown attack ${String(a.type)}`);
  }
  if (config.loss === 'dlr' && classes < (targeted ? 4 : 3)) {
    throw new Error(`the ${targeted ? 'targeted ' : ''}DLR loss needs at least ${targeted ? 4 : 3} classes (it compares the top logits); there are ${classes}`);
  }
  const uses = config.method === 'pgd' ? ` · α ${fmt255(a.alpha)}` : '';
  const loss = config.loss === 'ce' ? 'cross-entropy' : config.loss === 'dlr' ? 'DLR' : `margin, κ ${a.cwConfidence}`;
  const describe = `${ATTACK_NAMES[a.type]} · ε ${fmt255(a.epsilon)}${norm === 'l2' ? ` (L2 = ${a.epsilon.toPrecision(3)})` : ''}${uses} · ` +
    `${a.steps} step${a.steps === 1 ? '' : 's'} · ${a.restarts} restart${a.restarts === 1 ? '' : 's'} · ${targeted ? 'targeted' : 'untargeted'} (${loss})`;
  return { config, norm, describe };
}

// ---------------------------------------------------------------------------------------------------------------
// The model

interface Prepared {
  key: string;
  ctx: GpuContext;
  loaded: LoadedClipModel;
  info: AttackModelInfo;
  preprocessor: ClipPreprocessorConfig;
  text: OnnxSession;
  textBatch: number;
  attackModels: Map<number, Promise<VisionAttackModel>>;
  /** Normalised class embeddings [K, D] by class-list key. */
  classEmbeds: Map<string, Promise<Float32Array>>;
}

let prepared: Prepared | null = null;
let preparing: { key: string; promise: Promise<Prepared | null> } | null = null;

function describePreprocessing(p: ClipPreprocessorConfig, dims: [number, number, number]): string {
  const size = 'shortestEdge' in p.size ? `shortest edge → ${p.size.shortestEdge}` : `→ ${p.size.width}×${p.size.height}`;
  const c = normalizationConstants(p, dims[0] === 1 ? 1 : 3);
  const f = (v: number[]) => v.map((x) => x.toFixed(3)).join(', ');
  return `${dims[0] === 1 ? 'grey' : 'RGB'} · resize ${size} (${p.resample}) · centre crop ${dims[2]}×${dims[1]} · normalise (x − [${f(c.mean)}]) / [${f(c.std)}] inside the graph`;
}

async function buildPrepared(key: string, summary: ModelSummary, folder: ModelFolder, engine: AttackEngineKind): Promise<Prepared> {
  const { files: f, preprocessorRead } = await engineModelFiles(folder, summary.kind);
  const notes: string[] = [];
  if (!preprocessorRead && summary.kind !== 'random-init') notes.push('No preprocessor_config.json was read: preprocessing follows config.json (CLIP defaults for its image size and channels).');
  const files = new Map<string, Uint8Array | string>(Object.entries(f));
  return buildFromFiles(key, files, { slot: 'base', kind: summary.kind, title: summary.title, origin: summary.origin, notes: [...summary.notes, ...notes] }, engine);
}

/** A model slot from a folder's files (config.json, tokenizer.json, preprocessor_config.json, both towers). */
async function buildFromFiles(key: string, files: Map<string, Uint8Array | string>,
  base: Pick<AttackModelInfo, 'slot' | 'kind' | 'title' | 'origin' | 'notes'>, engine: AttackEngineKind): Promise<Prepared> {
  const configJson = files.get('config.json');
  if (configJson === undefined) throw new Error('the model folder has no config.json');
  const config = clipConfigFromJson(typeof configJson === 'string' ? configJson : new TextDecoder().decode(configJson));
  const loaded = await loadClipModel(files, { requireGradients: true });
  const ctx = await gpuContext();
  const dims: [number, number, number] = [config.channels, config.imageSize, config.imageSize];
  const textBatch = PROMPT_TEMPLATES.length;
  const text = await createEngineSession(ctx, loaded.text.bytes, { engine, batch: textBatch, gpuOutputs: false, label: `attack playground text tower (${base.slot})` });
  const info: AttackModelInfo = {
    ...base, key, notes: [...base.notes, ...loaded.warnings], inputDims: dims, dim: config.projectionDim, logitScale: Math.exp(config.logitScale),
    preprocessing: describePreprocessing(loaded.preprocessor, dims), engine,
  };
  return { key, ctx, loaded, info, preprocessor: loaded.preprocessor, text, textBatch, attackModels: new Map(), classEmbeds: new Map() };
}

async function releasePrepared(p: Prepared): Promise<void> {
  await serial(async () => {
    await p.text.release().catch(() => undefined);
    for (const m of p.attackModels.values()) await (await m.catch(() => null))?.release().catch(() => undefined);
  });
}

/** The vision tower prepared for attacks at a batch size (built once per size). */
function attackModel(p: Prepared, batch: number): Promise<VisionAttackModel> {
  let m = p.attackModels.get(batch);
  if (!m) {
    m = VisionAttackModel.create(p.ctx, p.loaded.vision.bytes, {
      batch, constants: normalizationConstants(p.preprocessor, p.info.inputDims[0] === 1 ? 1 : 3), engine: p.info.engine,
    });
    p.attackModels.set(batch, m);
    m.catch(() => p.attackModels.delete(batch));
  }
  return m;
}

/**
 * The compare slot ('finetuned'): a model built from a fine-tuning run's checkpoint (src/engine/fineTune.ts:
 * `fineTunedAvailable`, `fineTunedModelFiles`), evaluated on the same images as the model under attack — the clean
 * image and the kept 8-bit adversarial image the attack found on the original model (transfer).
 */
let comparePrepared: Prepared | null = null;
let compareToken = 0;
const patchCompare = (c: Partial<CompareState>) => patch({ compare: { ...store().compare, ...c } });

/** Runs whose fine-tuned weights can be compared (a checkpoint is stored, the run is not running). */
export async function fineTunedAvailable(): Promise<{ available: boolean; runs: CompareRunOption[]; reason: string }> {
  await ensureRunsLoaded();
  const ft = await import('./fineTune');
  return ft.fineTunedAvailable();
}

/** Refreshes the compare slot's list of runs. */
export async function refreshCompareRuns(): Promise<void> {
  try {
    const a = await fineTunedAvailable();
    patchCompare({ runs: a.runs, reason: a.available ? `${a.reason} with a stored checkpoint` : a.reason });
  } catch (e) {
    patchCompare({ runs: [], reason: `the runs could not be read: ${message(e)}` });
  }
}

/** Puts a run's fine-tuned model in the compare slot (null empties it). */
export async function selectCompareRun(id: string | null): Promise<void> {
  const token = ++compareToken;
  const old = comparePrepared;
  comparePrepared = null;
  if (old) void releasePrepared(old);
  if (!id) {
    patchCompare({ runId: null, status: 'idle', error: null, progress: null, title: null, clean: null, adv: null, own: null });
    return;
  }
  const opt = store().compare.runs.find((r) => r.id === id);
  patchCompare({ runId: id, status: 'loading', error: null, progress: 'building the fine-tuned model from the run’s checkpoint…', title: null, clean: null, adv: null, own: null });
  try {
    const ft = await import('./fineTune');
    const { files, step } = await ft.fineTunedModelFiles(id);
    if (token !== compareToken) return;
    const engine = prepared?.info.engine ?? store().engine;
    const title = `${opt?.method ?? 'fine-tuned'} · ${opt?.name ?? id} · step ${step}`;
    const map = new Map<string, Uint8Array | string>(Object.entries(files as unknown as Record<string, Uint8Array | string>));
    const p = await buildFromFiles(`finetuned:${id}:${step}|${engine}`, map, {
      slot: 'finetuned', kind: prepared?.info.kind ?? 'bundled', title, origin: `checkpoint of run ${opt?.name ?? id} (step ${step})`, notes: [],
    }, engine);
    if (token !== compareToken) {
      void releasePrepared(p);
      return;
    }
    const base = prepared;
    if (base && base.info.inputDims.join('x') !== p.info.inputDims.join('x')) {
      void releasePrepared(p);
      throw new Error(`the fine-tuned model reads ${p.info.inputDims.join('×')} images, the model under attack ${base.info.inputDims.join('×')}: they cannot see the same image`);
    }
    comparePrepared = p;
    patchCompare({ status: 'ready', title, progress: null });
    await refreshCompare();
  } catch (e) {
    if (token === compareToken) patchCompare({ status: 'error', error: message(e), progress: null });
  }
}

/** The experiment's attack run against the fine-tuned model itself (white-box) on the current image; not live. */
export async function runCompareAttack(): Promise<void> {
  const p = comparePrepared, s = store();
  const img = s.image, cls = s.classes.value;
  if (!p || !img || !cls || s.classes.status !== 'ready') {
    patchCompare({ own: { status: 'error', imageId: img?.id ?? -1, classesKey: '', message: 'choose a fine-tuned model and an image first', describe: '' } });
    return;
  }
  const key = classesKey(cls.names);
  const exp = useExperimentStore.getState().config;
  const K = cls.names.length;
  const trueClass = s.trueClass ?? s.clean?.pred ?? 0;
  const target = exp.attack.targetClass;
  let plan: PlannedAttack;
  try {
    if (target !== null && (target >= K || target === trueClass)) throw new Error(target >= K ? `target class ${target} does not exist` : 'the target class is the true class');
    plan = plannedAttack(exp.attack, K, exp.seed, target !== null);
  } catch (e) {
    patchCompare({ own: { status: 'error', imageId: img.id, classesKey: key, message: message(e), describe: '' } });
    return;
  }
  const token = compareToken;
  const patchOwn = (o: CompareOwnAttack) => { if (token === compareToken) patchCompare({ own: o }); };
  patchOwn({ status: 'running', imageId: img.id, classesKey: key, message: 'attacking the fine-tuned model…', describe: plan.describe });
  const t0 = performance.now();
  try {
    const texts = await classEmbeddings(p, cls.names);
    await serial(async () => {
      const { ctx } = p;
      const D = p.info.dim;
      const model = await attackModel(p, 1);
      const pixels = ctx.upload('compare.clean', img.pixels);
      const textBuf = ctx.upload('compare.texts', texts);
      const emb = ctx.buffer('compare.finalEmbeds', D * 4);
      let result: AttackResult | undefined;
      try {
        result = await runAttack(ctx, model, { pixels, labels: Uint32Array.of(trueClass), texts: textBuf, classes: K, logitScale: p.info.logitScale },
          { ...plan.config, targets: target === null ? undefined : Uint32Array.of(target) }, { progressEvery: 0 });
        await model.embed(result.adversarial, emb);
        const xs = await ctx.readF32(result.adversarial, model.n);
        const probs = probabilities(await ctx.readF32(emb, D), texts, K, D, p.info.logitScale);
        let linf = 0;
        for (let j = 0; j < xs.length; j++) linf = Math.max(linf, Math.abs(Math.round(xs[j] * 255) - Math.round(img.pixels[j] * 255)));
        patchOwn({
          status: 'done', imageId: img.id, classesKey: key, describe: plan.describe, probs, pred: argmax(probs), linf255: linf,
          ms: performance.now() - t0, message: `${result.evaluations} forward passes in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
        });
      } finally {
        ctx.release(pixels, textBuf, emb, result?.adversarial);
      }
    });
  } catch (e) {
    patchOwn({ status: 'error', imageId: img.id, classesKey: key, message: message(e), describe: plan.describe });
  }
}

/** The fine-tuned model's probabilities on the current clean image and on the single attack's kept result. */
async function refreshCompare(): Promise<void> {
  const p = comparePrepared, s = store();
  const img = s.image, cls = s.classes.value;
  if (!p || !img || !cls || s.classes.status !== 'ready') return;
  const token = compareToken;
  const key = classesKey(cls.names);
  try {
    const texts = await classEmbeddings(p, cls.names);
    const K = cls.names.length;
    const probsOf = async (pixels: Float32Array) => probabilities(
      await serial(async () => embedHost(p, await attackModel(p, 1), pixels, 1)), texts, K, p.info.dim, p.info.logitScale);
    const c = store().compare;
    let clean = c.clean && c.clean.imageId === img.id && c.clean.classesKey === key ? c.clean : null;
    if (!clean) {
      const probs = await probsOf(img.pixels);
      clean = { imageId: img.id, classesKey: key, probs, pred: argmax(probs) };
    }
    const single = store().single;
    const r = single.status === 'done' && single.imageId === img.id ? single.result : null;
    let adv = r && advIsOf(c.adv, r.bytes) && c.adv?.classesKey === key ? c.adv : null;
    if (r && !adv) {
      const probs = await probsOf(r.pixels);
      adv = { imageId: img.id, classesKey: key, probs, pred: argmax(probs), resultOf: r.bytes };
    }
    if (token !== compareToken || store().image?.id !== img.id || classesKey(store().classes.value?.names ?? []) !== key) return;
    patchCompare({ clean, adv, error: null });
  } catch (e) {
    if (token === compareToken) patchCompare({ status: 'error', error: message(e) });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Classes

const classesKey = (names: readonly string[]) => names.join('\u0001');

/** Class names typed by the user: one per line or comma-separated. Returns the names or why they are refused. */
export function parseClassNames(text: string): { names: string[] } | { error: string } {
  const names = [...new Set(text.split(/[\n,;]/).map((s) => s.trim().replace(/\s+/g, ' ')).filter(Boolean))];
  if (names.length < 2) return { error: 'type at least two class names (one per line or comma-separated)' };
  if (names.length > 200) return { error: `${names.length} classes: at most 200` };
  for (const n of names) {
    if (n.length > 60) return { error: `“${n.slice(0, 20)}…” is longer than 60 characters` };
    const bad = checkName(n);
    if (bad) return { error: `“${n}” ${bad}` };
  }
  return { names };
}

function normalizeRows(x: Float32Array | Float64Array, rows: number, d: number): Float32Array {
  const out = new Float32Array(rows * d);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += x[i * d + k] ** 2;
    const r = 1 / Math.max(Math.sqrt(s), 1e-12);
    for (let k = 0; k < d; k++) out[i * d + k] = x[i * d + k] * r;
  }
  return out;
}

/** Prompt-ensembled class embeddings, normalised [K, D] (cached per class list). */
function classEmbeddings(p: Prepared, names: readonly string[]): Promise<Float32Array> {
  const key = classesKey(names);
  let e = p.classEmbeds.get(key);
  if (!e) {
    e = serial(async () => {
      const D = p.info.dim, K = names.length;
      const groups = promptEnsemble(names, { fallback: true });
      const sum = new Float64Array(K * D);
      for (let k = 0; k < K; k++) {
        const g = groups[k];
        if (g.length !== p.textBatch) throw new Error(`class ${names[k]}: ${g.length} prompts, expected ${p.textBatch}`);
        const t = p.loaded.tokenizer.tokenize(g);
        const r = await p.text.run({ input_ids: { dims: t.dims, data: t.inputIds, dtype: 'int64' } }, [p.loaded.text.output.name]);
        const emb = normalizeRows(await outputToF32(p.ctx, r[p.loaded.text.output.name]), g.length, D);
        for (const o of Object.values(r)) o.dispose();
        for (let i = 0; i < g.length; i++) for (let d = 0; d < D; d++) sum[k * D + d] += emb[i * D + d] / g.length;
        if (k % 4 === 3) await yieldToPage();
      }
      return normalizeRows(sum, K, D);
    });
    p.classEmbeds.set(key, e);
    e.catch(() => p.classEmbeds.delete(key));
  }
  return e;
}

/** Softmax of s · cos(image, class) for each row of `embeds` [B, D]. */
function probabilities(embeds: Float32Array, texts: Float32Array, classes: number, dim: number, scale: number): Float32Array {
  const B = embeds.length / dim, out = new Float32Array(B * classes);
  const u = normalizeRows(embeds, B, dim);
  for (let b = 0; b < B; b++) {
    let max = -Infinity;
    const logits = new Float64Array(classes);
    for (let k = 0; k < classes; k++) {
      let s = 0;
      for (let d = 0; d < dim; d++) s += u[b * dim + d] * texts[k * dim + d];
      logits[k] = scale * s;
      max = Math.max(max, logits[k]);
    }
    let z = 0;
    for (let k = 0; k < classes; k++) z += (logits[k] = Math.exp(logits[k] - max));
    for (let k = 0; k < classes; k++) out[b * classes + k] = logits[k] / z;
  }
  return out;
}

function argmax(p: ArrayLike<number>, offset = 0, n = p.length): number {
  let best = 0;
  for (let k = 1; k < n; k++) if (p[offset + k] > p[offset + best]) best = k;
  return best;
}

// ---------------------------------------------------------------------------------------------------------------
// Images

let imageCounter = 0;

/** A dataset image (uint8 planar [C, H, W]) at the model's input: divided by 255 when the sizes agree, else the
 * CLIP preprocessing (resize, crop, grey ↔ RGB). */
function datasetInput(ds: ImageDataset, index: number, p: Prepared): { pixels: Float32Array; note: string | null } {
  const [C, H, W] = p.info.inputDims;
  const { channels: c, height: h, width: w } = ds;
  const base = index * c * h * w;
  if (c === C && h === H && w === W) {
    const pixels = new Float32Array(C * H * W);
    for (let j = 0; j < pixels.length; j++) pixels[j] = ds.images[base + j] / 255;
    return { pixels, note: null };
  }
  const data = new Uint8Array(h * w * c);
  for (let y = 0; y < h * w; y++) for (let k = 0; k < c; k++) data[y * c + k] = ds.images[base + k * h * w + y];
  const t = preprocessImage({ data, width: w, height: h, channels: c as 1 | 3 }, p.preprocessor, { channels: C === 1 ? 1 : 3 });
  return { pixels: t.data, note: `${w}×${h} ${c === 1 ? 'grey' : 'RGB'} → ${W}×${H} ${C === 1 ? 'grey' : 'RGB'} by the CLIP preprocessing` };
}

function datasetImage(ds: ImageDataset, index: number, p: Prepared, name: string): PlayImage {
  const { pixels, note } = datasetInput(ds, index, p);
  return {
    id: ++imageCounter, origin: 'dataset', name: `${name} test #${index}`, datasetId: ds.dataset, index,
    label: ds.classes[ds.labels[index]], pixels, dims: p.info.inputDims, note,
  };
}

/** Decodes an image file in the browser into 8-bit RGBA (large images are first scaled down by the canvas). */
async function decodeFile(file: File, target: number): Promise<{ data: Uint8ClampedArray; width: number; height: number; scaled: string | null }> {
  const bmp = await createImageBitmap(file);
  try {
    const limit = Math.max(8 * target, 512);
    const short = Math.min(bmp.width, bmp.height);
    const f = short > limit ? limit / short : 1;
    const width = Math.max(1, Math.round(bmp.width * f)), height = Math.max(1, Math.round(bmp.height * f));
    // An OffscreenCanvas: this runs in the engine Worker, which has no document.
    const canvas = new OffscreenCanvas(width, height);
    const g = canvas.getContext('2d', { willReadFrequently: true });
    if (!g) throw new Error('no 2D canvas to decode the image');
    g.imageSmoothingEnabled = true;
    g.imageSmoothingQuality = 'high';
    g.drawImage(bmp, 0, 0, width, height);
    return {
      data: g.getImageData(0, 0, width, height).data, width, height,
      scaled: f < 1 ? `${bmp.width}×${bmp.height} scaled to ${width}×${height} by the browser first, then` : null,
    };
  } finally {
    bmp.close();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Playground state

export interface PlaygroundRequest {
  model: ExperimentConfig['model'];
  seed: number;
  datasetId: string;
}

let generation = 0;
/** Whether the engine was set (by the user, or to the adapter's default once). */
let engineChosen = false;

/** The class names in use now: typed ones, else the dataset's. */
function classNamesNow(ds: ImageDataset | null): { names: string[]; source: ClassSet['source'] } | { error: string } {
  const typed = store().customClasses;
  if (typed !== null) {
    const r = parseClassNames(typed);
    return 'error' in r ? r : { names: r.names, source: 'custom' };
  }
  if (!ds) return { error: 'the dataset is not loaded' };
  return { names: [...ds.classes], source: 'dataset' };
}

/**
 * Brings the playground in line with the experiment (model, seed, dataset) and the engine choice: model, test
 * split, class embeddings, a first image and its clean prediction. Later calls supersede earlier ones.
 */
export async function preparePlayground(req: PlaygroundRequest): Promise<void> {
  const gen = ++generation;
  const live = () => gen === generation;
  if (!engineChosen) {
    // Until the user picks one, the engine is the measured default for this adapter (src/onnx/exec/select.ts).
    engineChosen = true;
    const d = defaultEngine((await gpuContext()).adapter);
    if (store().engine !== d.engine) patch({ engine: d.engine });
    if (!live()) return;
  }
  const engine = store().engine;
  // Test split for the picker (independent of the model).
  const splitKey = `${req.datasetId}/test`;
  const splitP = (async () => {
    if (store().picker.key === splitKey && store().picker.status === 'ready') return store().picker.value;
    patch({ picker: { status: 'loading', value: null, error: null, key: splitKey, progress: 'downloading, verifying sha256, decoding…' } });
    try {
      const ds = await getSplit(req.datasetId, 'test');
      if (live()) patch({ picker: { status: 'ready', value: ds, error: null, key: splitKey } });
      return ds;
    } catch (e) {
      if (live()) patch({ picker: { status: 'error', value: null, error: message(e), key: splitKey } });
      return null;
    }
  })();

  let p: Prepared | null;
  try {
    p = await ensureModel(req, engine, live);
  } catch (e) {
    if (live()) patch({ model: { status: 'error', value: null, error: message(e), key: null } });
    return;
  }
  const ds = await splitP;
  if (!live() || !p) return;
  await refreshClasses(p, ds, live);
  if (!live()) return;
  const img = store().image;
  const stale = !img || img.dims.join() !== p.info.inputDims.join() || (img.origin === 'dataset' && img.datasetId !== req.datasetId);
  if (stale && ds) await selectTestImage(ds.count > 0 ? 0 : -1);
  else await refreshClean();
}

async function ensureModel(req: PlaygroundRequest, engine: AttackEngineKind, live: () => boolean): Promise<Prepared | null> {
  if (store().model.status !== 'ready') patch({ model: { ...store().model, status: 'loading', error: null, progress: 'waiting for the model (the Model panel’s)…' } });
  await showModel(req.model, req.seed);
  const st = await settledModel();
  if (!live()) return null;
  if (st.status === 'idle') {
    stopAttack();
    const old = prepared;
    prepared = null;
    if (old) void releasePrepared(old);
    patch({ model: { status: 'idle', value: null, error: null, key: st.key, progress: 'The model URL is waiting for your confirmation in the Model panel: nothing is downloaded before that.' } });
    return null;
  }
  if (st.status === 'error' || !st.value) throw new Error(st.error ?? 'the model could not be loaded');
  const folder = currentFolder();
  if (!folder) throw new Error('the model folder is not available');
  const key = `${st.key}|${engine}`;
  if (prepared?.key === key) {
    patch({ model: { status: 'ready', value: prepared.info, error: null, key } });
    return prepared;
  }
  stopAttack();
  if (preparing?.key !== key) {
    const old = prepared;
    prepared = null;
    patch({
      model: { status: 'loading', value: null, error: null, key, progress: 'checking the model folder, building the text tower…' },
      classes: { status: 'idle', value: null, error: null, key: null }, clean: null, single: emptySingle(), batch: emptyBatch(store().batchSize),
    });
    singleToken++;
    batchToken++;
    const promise = (async () => {
      if (old) await releasePrepared(old);
      return buildPrepared(key, st.value!, folder, engine);
    })();
    preparing = { key, promise };
    promise.then((p) => { if (preparing?.key === key) { prepared = p; preparing = null; } }, () => { if (preparing?.key === key) preparing = null; });
  }
  const p = await preparing!.promise;
  if (!p || !live()) return null;
  patch({ model: { status: 'ready', value: p.info, error: null, key } });
  return p;
}

async function refreshClasses(p: Prepared, ds: ImageDataset | null, live: () => boolean): Promise<void> {
  const now = classNamesNow(ds);
  if ('error' in now) {
    patch({ classes: { status: 'error', value: null, error: now.error, key: null } });
    return;
  }
  const key = classesKey(now.names);
  if (store().classes.key === key && store().classes.status === 'ready') return;
  const prompts = promptEnsemble(now.names.slice(0, 1), { fallback: true })[0];
  patch({ classes: { status: 'loading', value: null, error: null, key, progress: `encoding ${now.names.length} × ${prompts.length} prompts with the text tower…` } });
  try {
    await classEmbeddings(p, now.names);
    if (!live() && store().classes.key !== key) return;
    patch({ classes: { status: 'ready', value: { source: now.source, names: now.names, promptsPerClass: prompts.length, example: prompts[0] }, error: null, key } });
  } catch (e) {
    patch({ classes: { status: 'error', value: null, error: message(e), key } });
  }
}

/** Uses typed class names (null: back to the dataset's classes). */
export async function setCustomClasses(text: string | null): Promise<void> {
  patch({ customClasses: text });
  const p = prepared;
  if (!p) return;
  const gen = generation;
  await refreshClasses(p, store().picker.value, () => gen === generation);
  await refreshClean();
}

/** The clean prediction of the image against the classes; sets the true class when it is not chosen. */
async function refreshClean(): Promise<void> {
  const p = prepared, s = store();
  const img = s.image, cls = s.classes.value;
  if (!p || !img || !cls || s.classes.status !== 'ready') return;
  const key = classesKey(cls.names);
  if (s.clean && s.clean.imageId === img.id && s.clean.classesKey === key) return;
  try {
    const texts = await classEmbeddings(p, cls.names);
    const emb = await serial(async () => embedHost(p, await attackModel(p, 1), img.pixels, 1));
    const probs = probabilities(emb, texts, cls.names.length, p.info.dim, p.info.logitScale);
    const pred = argmax(probs);
    const cur = store();
    if (cur.image?.id !== img.id || classesKey(cur.classes.value?.names ?? []) !== key) return;
    const byName = img.label === null ? -1 : cls.names.findIndex((n) => n.toLowerCase() === img.label!.toLowerCase());
    patch({ clean: { imageId: img.id, classesKey: key, probs, pred }, trueClass: byName >= 0 ? byName : pred, imageStatus: { status: 'ready', value: null, error: null, key: String(img.id) } });
    void refreshCompare();
  } catch (e) {
    patch({ imageStatus: { status: 'error', value: null, error: message(e), key: String(img.id) } });
  }
}

/** image_embeds of host pixels [batch, C, H, W] (read back). */
async function embedHost(p: Prepared, model: VisionAttackModel, pixels: Float32Array, batch: number): Promise<Float32Array> {
  const px = p.ctx.upload('playground.pixels', pixels);
  const emb = p.ctx.buffer('playground.embeds', batch * model.dim * 4);
  try {
    await model.embed(px, emb);
    return await p.ctx.readF32(emb, batch * model.dim);
  } finally {
    p.ctx.release(px, emb);
  }
}

function setImage(img: PlayImage): void {
  singleToken++;
  patch({
    image: img, clean: null, trueClass: null, single: emptySingle(),
    imageStatus: { status: 'loading', value: null, error: null, key: String(img.id), progress: 'classifying the clean image…' },
  });
}

/** Picks image `index` of the dataset's test split. */
export async function selectTestImage(index: number): Promise<void> {
  const p = prepared, ds = store().picker.value;
  if (!p || !ds || index < 0 || index >= ds.count) return;
  stopAttack('single');
  const name = ds.dataset === 'fashion-mnist' ? 'Fashion-MNIST' : ds.dataset === 'mnist' ? 'MNIST' : ds.dataset;
  setImage(datasetImage(ds, index, p, name));
  await refreshClean();
}

/** Any image file (picked or dropped): decoded in the browser and preprocessed to the model's input. */
export async function selectImageFile(file: File): Promise<void> {
  const p = prepared;
  if (!p) return;
  stopAttack('single');
  patch({ imageStatus: { status: 'loading', value: null, error: null, key: file.name, progress: `decoding ${file.name}…` } });
  try {
    if (file.size > 64 << 20) throw new Error(`${file.name} is ${(file.size / 1e6).toFixed(1)} MB; pick an image under 64 MB`);
    const [C, H, W] = p.info.inputDims;
    const d = await decodeFile(file, Math.max(H, W));
    const t = preprocessImage({ data: d.data, width: d.width, height: d.height, channels: 4 }, p.preprocessor, { channels: C === 1 ? 1 : 3 });
    const note = `${d.scaled ?? `${d.width}×${d.height}`} → ${W}×${H} ${C === 1 ? 'grey (PIL “L” weights)' : 'RGB'} by the CLIP preprocessing; alpha dropped`;
    setImage({ id: ++imageCounter, origin: 'file', name: file.name.slice(0, 120), label: null, pixels: t.data, dims: [C, H, W], note });
    await refreshClean();
  } catch (e) {
    patch({ imageStatus: { status: 'error', value: null, error: `${file.name}: ${message(e)}`, key: file.name } });
  }
}

/** Batch size (8–16) and the position in each class's test images the batch starts from. */
export function setBatchOptions(o: { size?: number; from?: number }): void {
  const size = o.size === undefined ? store().batchSize : Math.min(16, Math.max(8, Math.round(o.size)));
  const from = o.from === undefined ? store().batchFrom : Math.min(999, Math.max(0, Math.floor(o.from) || 0));
  patch({ batchSize: size, batchFrom: from });
}

export function setTrueClass(k: number): void {
  patch({ trueClass: k });
}

export async function setEngine(engine: AttackEngineKind, req: PlaygroundRequest): Promise<void> {
  engineChosen = true;
  if (store().engine === engine) return;
  patch({ engine });
  await preparePlayground(req);
}

// ---------------------------------------------------------------------------------------------------------------
// Running attacks

let singleAbort: AbortController | null = null;
let batchAbort: AbortController | null = null;
/** Run tokens: a new image, model or run makes the older run's reports stale. */
let singleToken = 0, batchToken = 0;

/** Stops the single-image attack, the batch run, or both (default). */
export function stopAttack(which: 'single' | 'batch' | 'both' = 'both'): void {
  if (which !== 'batch') {
    singleAbort?.abort(abortError());
    singleAbort = null;
  }
  if (which !== 'single') {
    batchAbort?.abort(abortError());
    batchAbort = null;
  }
}

interface Snapshot { x: Float32Array; e: Float32Array }

/**
 * The attack model with an observer: after each forward pass the evaluated point and its embeddings are read back
 * (a few KB) and the page gets a turn. Everything else is the model's own (prototype delegation).
 */
function observed(model: VisionAttackModel, ctx: GpuContext, onEval: (s: Snapshot) => void): VisionAttackModel {
  const spy = Object.create(model) as VisionAttackModel;
  const n = model.batch * model.n, d = model.batch * model.dim;
  const look = async (pixels: GPUBuffer, embeds: GPUBuffer) => {
    onEval({ x: await ctx.readF32(pixels, n), e: await ctx.readF32(embeds, d) });
    await yieldToPage();
  };
  spy.forward = async (pixels, embeds) => {
    const state = await model.forward(pixels, embeds);
    await look(pixels, embeds);
    return state;
  };
  spy.embed = async (pixels, embeds) => {
    await model.embed(pixels, embeds);
    await look(pixels, embeds);
  };
  return spy;
}

function tracePoint(trace: TracePoint[], pr: AttackProgress): TracePoint {
  return { i: trace.length, restart: pr.restart, step: pr.step, loss: pr.meanLoss, robust: pr.robustAccuracy };
}

function warningsOf(r: AttackResult): string[] {
  return r.warnings.map((w) => w.message);
}

/** Runs the experiment's attack on the chosen image, live. */
export async function runSingleAttack(): Promise<void> {
  const p = prepared, s = store();
  const img = s.image, cls = s.classes.value, clean = s.clean;
  if (!p || !img || !cls || !clean || clean.imageId !== img.id) {
    patchSingleNow({ status: 'error', message: 'choose an image and wait for its clean prediction first' });
    return;
  }
  const exp = useExperimentStore.getState().config;
  const K = cls.names.length;
  const trueClass = s.trueClass ?? clean.pred;
  const target = exp.attack.targetClass;
  let plan: PlannedAttack;
  try {
    if (target !== null && target >= K) throw new Error(`target class ${target} does not exist: there are ${K} classes (0–${K - 1})`);
    if (target !== null && target === trueClass) throw new Error(`the target class is the true class (${cls.names[target]}): pick another target`);
    plan = plannedAttack(exp.attack, K, exp.seed, target !== null);
  } catch (e) {
    patchSingleNow({ status: 'error', message: message(e) });
    return;
  }
  stopAttack('single');
  const abort = (singleAbort = new AbortController());
  const token = ++singleToken;
  const patchSingle = (q: Partial<SingleRun>) => { if (token === singleToken) patchSingleNow(q); };
  patch({
    single: {
      ...emptySingle(), status: 'waiting', message: 'preparing the attack graphs (forward + backward of the vision tower)…',
      describe: plan.describe, eps: exp.attack.epsilon, norm: plan.norm, steps: exp.attack.steps, restarts: exp.attack.restarts,
      trueClass, target, imageId: img.id,
    },
  });
  const texts = await classEmbeddings(p, cls.names);
  const t0 = performance.now();
  await serial(async () => {
    if (abort.signal.aborted) {
      patchSingle({ status: 'stopped', message: 'stopped before the first step' });
      return;
    }
    const { ctx } = p;
    const D = p.info.dim;
    let model: VisionAttackModel;
    try {
      model = await attackModel(p, 1);
    } catch (e) {
      patchSingle({ status: 'error', message: message(e) });
      return;
    }
    let last: Snapshot | null = null;
    const spy = observed(model, ctx, (snap) => { last = snap; });
    const trace: TracePoint[] = [];
    const pixels = ctx.upload('playground.clean', img.pixels);
    const textBuf = ctx.upload('playground.texts', texts);
    const emb = ctx.buffer('playground.finalEmbeds', D * 4);
    let result: AttackResult | undefined;
    // The best point evaluated so far (lowest p(true class), or highest p(target)): kept if the attack is stopped.
    let best: { x: Float32Array; score: number; restart: number; step: number } | null = null;
    /** A kept point snapped to 8 bits, classified again with a fresh forward pass, with its budget checked. */
    const keptResult = async (x: Float32Array, o: { evaluations: number; lostBySnapping: number; warnings: string[] }): Promise<SingleResult> => {
      const bytes = new Uint8Array(x.length);
      let linf = 0, l2 = 0, offGrid = 0;
      for (let j = 0; j < x.length; j++) {
        const b = Math.min(255, Math.max(0, Math.round(x[j] * 255)));
        bytes[j] = b;
        if (Math.fround(b / 255) !== x[j]) offGrid++;
        const d = b - Math.round(img.pixels[j] * 255);
        linf = Math.max(linf, Math.abs(d));
        l2 += (d / 255) ** 2;
      }
      l2 = Math.sqrt(l2);
      const snapped = Float32Array.from(bytes, (b) => b / 255);
      const xb = ctx.upload('playground.kept', snapped);
      try {
        await model!.embed(xb, emb);
      } finally {
        ctx.release(xb);
      }
      const probs = probabilities(await ctx.readF32(emb, D), texts, K, D, p.info.logitScale);
      const pred = argmax(probs);
      const eps = exp.attack.epsilon;
      const warnings = [...o.warnings];
      if (offGrid) warnings.push(`${offGrid} values of the result were not on the 8-bit grid (rounded here)`);
      return {
        bytes, pixels: snapped, probs, pred, success: target === null ? pred !== trueClass : pred === target,
        linf255: linf, l2, alreadyAtGoal: target === null ? clean.pred !== trueClass : clean.pred === target,
        lostBySnapping: o.lostBySnapping, withinBudget: plan.norm === 'linf' ? linf <= eps * 255 + 1e-6 : l2 <= eps * (1 + 1e-6),
        warnings, ms: performance.now() - t0, evaluations: o.evaluations,
      };
    };
    try {
      patchSingle({ status: 'running', message: 'clean evaluation…' });
      result = await runAttack(ctx, spy, {
        pixels, labels: Uint32Array.of(trueClass), texts: textBuf, classes: K, logitScale: p.info.logitScale,
      }, { ...plan.config, targets: target === null ? undefined : Uint32Array.of(target) }, {
        signal: abort.signal, progressEvery: 1,
        onProgress: (pr) => {
          const snap = last as Snapshot | null;
          const probs = snap ? probabilities(snap.e, texts, K, D, p.info.logitScale) : null;
          trace.push({ ...tracePoint(trace, pr), pTrue: probs?.[trueClass] });
          if (snap && probs && pr.step >= 0) {
            const score = target === null ? -probs[trueClass] : probs[target];
            if (!best || score > best.score) best = { x: snap.x, score, restart: pr.restart, step: pr.step };
          }
          patchSingle({
            trace: trace.slice(), at: { restart: pr.restart, step: pr.step },
            current: pr.step < 0 ? null : snap?.x ?? null,
            currentProbs: pr.step < 0 ? null : probs,
            message: pr.step < 0 ? 'clean evaluation' : `restart ${pr.restart + 1}/${exp.attack.restarts} · step ${pr.step}/${pr.steps}`,
          });
        },
      });
      const res = await keptResult(await ctx.readF32(result.adversarial, model.n), {
        evaluations: result.evaluations, lostBySnapping: result.snapped?.lost ?? 0, warnings: warningsOf(result),
      });
      patchSingle({
        status: 'done', result: res, current: res.pixels, currentProbs: res.probs,
        message: `${result.evaluations} forward passes in ${(res.ms / 1000).toFixed(1)} s`,
      });
      // Not awaited: its GPU jobs queue behind this one.
      if (token === singleToken) void refreshCompare();
    } catch (e) {
      const stopped = (e as Error)?.name === 'AbortError' || abort.signal.aborted;
      const at = store().single.at;
      const where = at && at.step >= 0 ? ` at restart ${at.restart + 1}, step ${at.step}` : '';
      const kept = best as { x: Float32Array; restart: number; step: number } | null;
      if (stopped && kept) {
        // Stopping keeps the best point so far (snapped to 8 bits and checked again), not nothing.
        try {
          const res = await keptResult(kept.x, { evaluations: trace.length, lostBySnapping: 0, warnings: [] });
          patchSingle({
            status: 'stopped', result: res, current: res.pixels, currentProbs: res.probs,
            message: `stopped${where}: kept the best point so far (restart ${kept.restart + 1}, step ${kept.step})${res.success ? ', which reaches the goal' : ', which does not reach the goal yet'}`,
          });
        } catch (e2) {
          patchSingle({ status: 'stopped', message: `stopped${where}: the best point could not be checked again (${message(e2)})` });
        }
      } else {
        patchSingle({
          status: stopped ? 'stopped' : 'error',
          message: stopped ? `stopped${where}: no step was evaluated, so no result was kept` : message(e),
        });
      }
    } finally {
      ctx.release(pixels, textBuf, emb, result?.adversarial);
      if (singleAbort === abort) singleAbort = null;
    }
  });
}

/** Batch indices: `size` test images, one class after another (balanced), from position `from` of each class. */
export function balancedIndices(labels: ArrayLike<number>, classes: number, size: number, from: number): number[] {
  const per: number[][] = Array.from({ length: classes }, () => []);
  for (let i = 0; i < labels.length; i++) per[labels[i]]?.push(i);
  const out: number[] = [];
  for (let k = from; out.length < size; k++) {
    let added = false;
    for (let c = 0; c < classes && out.length < size; c++) {
      if (k < per[c].length) {
        out.push(per[c][k]);
        added = true;
      }
    }
    if (!added) break;
  }
  return out;
}

/** Attacks a batch of test images at once (the dataset's classes): clean vs robust accuracy. */
export async function runBatchAttack(): Promise<void> {
  const p = prepared, s = store(), ds = s.picker.value;
  const size = s.batchSize;
  if (!p || !ds) {
    patchBatchNow({ status: 'error', message: 'the model and the test split must be loaded first' });
    return;
  }
  const exp = useExperimentStore.getState().config;
  const names = [...ds.classes], K = names.length;
  const target = exp.attack.targetClass;
  let plan: PlannedAttack;
  try {
    if (target !== null && target >= K) throw new Error(`target class ${target} does not exist: the dataset has ${K} classes`);
    plan = plannedAttack(exp.attack, K, exp.seed, target !== null);
  } catch (e) {
    patchBatchNow({ status: 'error', message: message(e) });
    return;
  }
  const indices = balancedIndices(ds.labels, K, size, s.batchFrom);
  if (indices.length < size) {
    patchBatchNow({ status: 'error', message: `only ${indices.length} test images from position ${s.batchFrom} of each class: lower the start` });
    return;
  }
  stopAttack('batch');
  const abort = (batchAbort = new AbortController());
  const token = ++batchToken;
  const patchBatch = (q: Partial<BatchRun>) => { if (token === batchToken) patchBatchNow(q); };
  const [C, H, W] = p.info.inputDims, n = C * H * W, D = p.info.dim;
  const labels = Uint32Array.from(indices, (i) => ds.labels[i]);
  const pixelsHost = new Float32Array(size * n);
  indices.forEach((idx, b) => pixelsHost.set(datasetInput(ds, idx, p).pixels, b * n));
  patch({
    batch: {
      ...emptyBatch(size), status: 'waiting', message: `preparing the attack graphs for a batch of ${size}…`, describe: plan.describe,
      evaluations: 1 + exp.attack.restarts * (exp.attack.steps + 1),
    },
  });
  let texts: Float32Array;
  try {
    texts = await classEmbeddings(p, names);
  } catch (e) {
    patchBatch({ status: 'error', message: message(e) });
    return;
  }
  const t0 = performance.now();
  await serial(async () => {
    if (abort.signal.aborted) {
      patchBatch({ status: 'stopped', message: 'stopped before the first step' });
      return;
    }
    const { ctx } = p;
    let model: VisionAttackModel;
    try {
      model = await attackModel(p, size);
    } catch (e) {
      patchBatch({ status: 'error', message: message(e) });
      return;
    }
    const predsOf = (emb: Float32Array) => {
      const pr = probabilities(emb, texts, K, D, p.info.logitScale);
      return Array.from({ length: size }, (_, b) => argmax(pr, b * K, K));
    };
    let cleanPred: number[] = [];
    let last: Snapshot | null = null;
    const spy = observed(model, ctx, (snap) => { last = snap; });
    const trace: TracePoint[] = [];
    const pixels = ctx.upload('playground.batch', pixelsHost);
    const textBuf = ctx.upload('playground.batchTexts', texts);
    let result: AttackResult | undefined;
    const tilesOf = (x: Float32Array, preds: number[]): BatchTile[] => indices.map((index, b) => ({
      index, label: labels[b], cleanPred: cleanPred[b] ?? -1, advPred: preds[b], pixels: x.slice(b * n, (b + 1) * n),
    }));
    try {
      patchBatch({ status: 'running', message: 'clean evaluation…' });
      result = await runAttack(ctx, spy, { pixels, labels, texts: textBuf, classes: K, logitScale: p.info.logitScale },
        { ...plan.config, targets: target === null ? undefined : new Uint32Array(size).fill(target) }, {
          signal: abort.signal, progressEvery: 1,
          onProgress: (pr) => {
            trace.push(tracePoint(trace, pr));
            const snap = last as Snapshot | null;
            const preds = snap ? predsOf(snap.e) : [];
            if (pr.step < 0) cleanPred = preds;
            patchBatch({
              trace: trace.slice(), tiles: snap ? tilesOf(snap.x, preds) : [],
              cleanAccuracy: trace[0].robust,
              message: pr.step < 0 ? 'clean evaluation' : `restart ${pr.restart + 1}/${exp.attack.restarts} · step ${pr.step}/${pr.steps} · robust so far ${(100 * pr.robustAccuracy).toFixed(1)}%`,
            });
          },
        });
      const emb = ctx.buffer('playground.batchEmbeds', size * D * 4);
      try {
        await model.embed(result.adversarial, emb);
        const advPred = predsOf(await ctx.readF32(emb, size * D));
        const xs = await ctx.readF32(result.adversarial, size * n);
        patchBatch({
          status: 'done', tiles: tilesOf(Float32Array.from(xs, (v) => Math.round(v * 255) / 255), advPred),
          cleanAccuracy: result.cleanAccuracy, robustAccuracy: result.robustAccuracy, robust8bit: result.snapped?.robustAccuracy ?? null,
          successRate: result.successRate, ms: performance.now() - t0, warnings: warningsOf(result),
          message: `${result.evaluations} forward passes of ${size} images in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
        });
      } finally {
        ctx.release(emb);
      }
    } catch (e) {
      const stopped = (e as Error)?.name === 'AbortError' || abort.signal.aborted;
      patchBatch({ status: stopped ? 'stopped' : 'error', message: stopped ? 'stopped: no robust accuracy (the run did not finish)' : message(e) });
    } finally {
      ctx.release(pixels, textBuf, result?.adversarial);
      if (batchAbort === abort) batchAbort = null;
    }
  });
}

// ---------------------------------------------------------------------------------------------------------------
// PNG

/** The adversarial image as PNG: the verified 8-bit bytes, through a canvas (grey → R = G = B, alpha 255). */
export async function adversarialPng(): Promise<{ blob: Blob; name: string } | null> {
  const s = store(), r = s.single.result, img = s.image;
  if (!r || !img) return null;
  const [C, H, W] = img.dims;
  const canvas = new OffscreenCanvas(W, H);
  const g = canvas.getContext('2d');
  if (!g) throw new Error('no 2D canvas');
  const data = g.createImageData(W, H);
  const plane = H * W;
  for (let i = 0; i < plane; i++) {
    data.data[4 * i] = r.bytes[i];
    data.data[4 * i + 1] = r.bytes[C === 3 ? plane + i : i];
    data.data[4 * i + 2] = r.bytes[C === 3 ? 2 * plane + i : i];
    data.data[4 * i + 3] = 255;
  }
  g.putImageData(data, 0, 0);
  const blob = await canvas.convertToBlob({ type: 'image/png' });
  const attack = useExperimentStore.getState().config.attack;
  const base = img.origin === 'dataset' ? `${img.datasetId}-test-${img.index}` : img.name.replace(/\.[^.]*$/, '').replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 40) || 'image';
  return { blob, name: `${base}-${attack.type}-eps${Number((s.single.eps * 255).toFixed(2))}.png` };
}
