/**
 * A model slot of the playground (the model under attack, or the compare slot's fine-tuned one): the folder's files
 * validated by the model loader, the text tower's session, the vision tower prepared for attacks per batch size, and
 * the prompt-ensembled class embeddings per class list. GPU work goes through the playground's one job queue.
 */
import { VisionAttackModel } from '../../attacks';
import { promptEnsemble, PROMPT_TEMPLATES } from '../../data/prompts';
import type { GpuContext } from '../../gpu/context';
import { normalizationConstants, type ClipPreprocessorConfig } from '../../image/preprocess';
import { loadClipModel, type LoadedClipModel } from '../../models/load';
import { clipConfigFromJson } from '../../onnx/clip/folder';
import { createEngineSession } from '../../onnx/exec/select';
import { outputToF32, type OnnxSession } from '../../onnx/run/session';
import type { AttackEngineKind, AttackModelInfo } from '../../state/attack';
import type { ModelSummary } from '../../state/resources';
import type { GpuController } from '../engine';
import { yieldToPage } from '../yieldToPage';
import { engineModelFiles, type ModelFolder } from '../model';
import { classesKey, normalizeRows } from './scores';
import type { JobQueue } from './queue';

export interface Prepared {
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

function describePreprocessing(p: ClipPreprocessorConfig, dims: [number, number, number]): string {
  const size = 'shortestEdge' in p.size ? `shortest edge → ${p.size.shortestEdge}` : `→ ${p.size.width}×${p.size.height}`;
  const c = normalizationConstants(p, dims[0] === 1 ? 1 : 3);
  const f = (v: number[]) => v.map((x) => x.toFixed(3)).join(', ');
  return `${dims[0] === 1 ? 'grey' : 'RGB'} · resize ${size} (${p.resample}) · centre crop ${dims[2]}×${dims[1]} · normalise (x − [${f(c.mean)}]) / [${f(c.std)}] inside the graph`;
}

export async function buildPrepared(gpu: GpuController, key: string, summary: ModelSummary, folder: ModelFolder, engine: AttackEngineKind): Promise<Prepared> {
  const { files: f, preprocessorRead } = await engineModelFiles(folder, summary.kind);
  const notes: string[] = [];
  if (!preprocessorRead && summary.kind !== 'random-init') notes.push('No preprocessor_config.json was read: preprocessing follows config.json (CLIP defaults for its image size and channels).');
  const files = new Map<string, Uint8Array | string>(Object.entries(f));
  return buildFromFiles(gpu, key, files, { slot: 'base', kind: summary.kind, title: summary.title, origin: summary.origin, notes: [...summary.notes, ...notes] }, engine);
}

/** A model slot from a folder's files (config.json, tokenizer.json, preprocessor_config.json, both towers). */
export async function buildFromFiles(gpu: GpuController, key: string, files: Map<string, Uint8Array | string>,
  base: Pick<AttackModelInfo, 'slot' | 'kind' | 'title' | 'origin' | 'notes'>, engine: AttackEngineKind): Promise<Prepared> {
  const configJson = files.get('config.json');
  if (configJson === undefined) throw new Error('the model folder has no config.json');
  const config = clipConfigFromJson(typeof configJson === 'string' ? configJson : new TextDecoder().decode(configJson));
  const loaded = await loadClipModel(files, { requireGradients: true });
  const ctx = await gpu.gpuContext();
  const dims: [number, number, number] = [config.channels, config.imageSize, config.imageSize];
  const textBatch = PROMPT_TEMPLATES.length;
  const text = await createEngineSession(ctx, loaded.text.bytes, { engine, batch: textBatch, gpuOutputs: false, label: `attack playground text tower (${base.slot})` });
  const info: AttackModelInfo = {
    ...base, key, notes: [...base.notes, ...loaded.warnings], inputDims: dims, dim: config.projectionDim, logitScale: Math.exp(config.logitScale),
    preprocessing: describePreprocessing(loaded.preprocessor, dims), engine,
  };
  return { key, ctx, loaded, info, preprocessor: loaded.preprocessor, text, textBatch, attackModels: new Map(), classEmbeds: new Map() };
}

export async function releasePrepared(serial: JobQueue, p: Prepared): Promise<void> {
  await serial(async () => {
    await p.text.release().catch(() => undefined);
    for (const m of p.attackModels.values()) await (await m.catch(() => null))?.release().catch(() => undefined);
  });
}

/** The vision tower prepared for attacks at a batch size (built once per size). */
export function attackModel(p: Prepared, batch: number): Promise<VisionAttackModel> {
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

/** Prompt-ensembled class embeddings, normalised [K, D] (cached per class list). */
export function classEmbeddings(serial: JobQueue, p: Prepared, names: readonly string[]): Promise<Float32Array> {
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

/** image_embeds of host pixels [batch, C, H, W] (read back). */
export async function embedHost(p: Prepared, model: VisionAttackModel, pixels: Float32Array, batch: number): Promise<Float32Array> {
  const px = p.ctx.upload('playground.pixels', pixels);
  const emb = p.ctx.buffer('playground.embeds', batch * model.dim * 4);
  try {
    await model.embed(px, emb);
    return await p.ctx.readF32(emb, batch * model.dim);
  } finally {
    p.ctx.release(px, emb);
  }
}
