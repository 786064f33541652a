/**
 * Re-creates one image's adversarial example from a results cell, in the engine Worker: the run's committed model
 * (public/results/models, each file fetched and checked against the sha256 the page vouched for with the results
 * file: src/methods/resultsModels.ts), the bundled test image at the cell's index, the class prompts and the attack
 * settings of the protocol (src/attacks/protocol.ts) — APGD-CE alone (its first stage) or the whole cascade —
 * on a batch of one image. The table attacked batches of the survivors, and each batch's seed depends on its
 * position, so the random start here differs from the table's: a re-created outcome may disagree with the stored
 * one near the decision boundary (the page shows both).
 */
import { evaluateZeroShot, runAttack, type AttackResult } from '../attacks/attack';
import { VisionAttackModel } from '../attacks/model';
import { topWrongClasses, type ProtocolConfig } from '../attacks/protocol';
import { sha256Hex } from '../data/bundle';
import { normalizationConstants, parsePreprocessorConfig } from '../image/preprocess';
import { splitBatch } from '../methods/data';
import type { ResultsModel } from '../methods/resultsModels';
import { CLIP_TEXT_ONNX, CLIP_VISION_ONNX, clipConfigFromJson, type ClipFolderFiles } from '../onnx/clip/folder';
import { mixSeed } from '../train/data';
import { ClipEmbedder } from '../train/zeroshot';
import type { DataController } from './data';
import type { GpuController } from './engine';

export type RecreateStages = 'apgd-ce' | 'cascade';

export interface RecreateRequest {
  /** The run's committed model, as the page matched it to the results file (`modelForRun`). */
  model: ResultsModel;
  set: string;
  eps: number;
  /** Image index in the split (bit index of the cell). */
  index: number;
  protocol: ProtocolConfig;
  stages: RecreateStages;
}

export interface RecreatePrediction {
  pred: number;
  probs: number[];
}

export interface RecreateResult {
  runId: string;
  set: string;
  eps: number;
  index: number;
  classes: string[];
  trueClass: number;
  /** [channels, height, width] and the 8-bit images (clean; adversarial: null when the clean image was already wrong). */
  dims: [number, number, number];
  cleanImage: Uint8Array;
  advImage: Uint8Array | null;
  clean: RecreatePrediction;
  adversarial: RecreatePrediction | null;
  /** The attacks run, in words, each with whether it broke the image. */
  stages: { name: string; broke: boolean; evaluations: number }[];
  /** 1 = still right after every attack run (8-bit snapped), as the table's bit. */
  robust: boolean;
  /** Largest change in 8-bit levels. */
  linf255: number;
  ms: number;
}

/** A model file is read up to this size (the committed ones are ~1.3 MB). */
const MAX_MODEL_FILE_BYTES = 64 * 1024 * 1024;

const baseUrl = (): string => {
  const base = (import.meta.env?.BASE_URL as string | undefined) ?? '/';
  return base.endsWith('/') ? base : `${base}/`;
};

/** The body, refused as soon as it passes `max` bytes (a server may send no or a wrong Content-Length). */
async function readAtMost(res: Response, max: number, name: string): Promise<Uint8Array> {
  const reader = res.body?.getReader();
  if (!reader) throw new Error(`${name}: the response has no body`);
  const out = new Uint8Array(max);
  let at = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (at + value.byteLength > max) {
      await reader.cancel();
      throw new Error(`${name}: refused — more than the ${max} bytes the manifest lists`);
    }
    out.set(value, at);
    at += value.byteLength;
  }
  return at === max ? out : out.slice(0, at);
}

/** Fetches each file of the committed model; refuses a size or sha256 other than the manifest's. */
export async function fetchCommittedModel(model: ResultsModel, signal?: AbortSignal): Promise<ClipFolderFiles> {
  const out: Record<string, Uint8Array | string> = {};
  for (const f of model.files) {
    if (f.bytes > MAX_MODEL_FILE_BYTES) throw new Error(`${f.url}: listed at ${f.bytes} bytes, over the ${MAX_MODEL_FILE_BYTES}-byte cap`);
    const res = await fetch(baseUrl() + f.url, { signal, credentials: 'same-origin' });
    if (!res.ok) throw new Error(`${f.url}: HTTP ${res.status} ${res.statusText}`.trim());
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (declared > f.bytes) throw new Error(`${f.url}: the server sends ${declared} bytes, the manifest lists ${f.bytes}`);
    const bytes = await readAtMost(res, f.bytes, f.url);
    const sha = await sha256Hex(bytes);
    if (bytes.length !== f.bytes || sha !== f.sha256) {
      throw new Error(`${f.url}: refused — ${bytes.length} bytes with sha256 ${sha.slice(0, 12)}…, but the results file records ${f.bytes} bytes with sha256 ${f.sha256.slice(0, 12)}… for run ${model.run}`);
    }
    out[f.name] = f.name.endsWith('.onnx') ? bytes : new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  }
  for (const need of [CLIP_VISION_ONNX, CLIP_TEXT_ONNX, 'config.json', 'tokenizer.json', 'tokenizer_config.json', 'preprocessor_config.json']) {
    if (!(need in out)) throw new Error(`the committed model of ${model.run} has no ${need}`);
  }
  return out as unknown as ClipFolderFiles;
}

function softmax(logits: Float32Array, from: number, classes: number): number[] {
  const row = Array.from(logits.subarray(from, from + classes));
  const m = Math.max(...row);
  const e = row.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

const argmax = (p: number[]) => p.reduce((best, v, i) => (v > p[best] ? i : best), 0);
const toBytes = (x: Float32Array) => Uint8Array.from(x, (v) => Math.round(Math.min(1, Math.max(0, v)) * 255));

export type ResultsAttackController = ReturnType<typeof createResultsAttackController>;

/** The Results panel's compute in the engine (no state of its own: the GPU and the bundled splits are its deps'). */
export function createResultsAttackController(deps: { gpu: GpuController; data: DataController }) {
  return {
    recreateAdversarial: (req: RecreateRequest, onProgress?: (text: string) => void, signal?: AbortSignal) => recreateAdversarial(deps, req, onProgress, signal),
  };
}

/** The protocol's attack(s) on one image of a results cell, on the run's committed model. */
async function recreateAdversarial(deps: { gpu: GpuController; data: DataController }, req: RecreateRequest, onProgress?: (text: string) => void, signal?: AbortSignal): Promise<RecreateResult> {
  const t0 = performance.now();
  const [dataset, split, ...rest] = req.set.split('/');
  if (!dataset || !split || rest.length) throw new Error(`${req.set} does not name a bundled split`);
  if (!(req.eps > 0 && req.eps <= 1)) throw new RangeError(`ε must be in (0, 1], got ${req.eps}`);
  onProgress?.(`fetching the committed model of ${req.model.run} and checking its sha256…`);
  const files = await fetchCommittedModel(req.model, signal);
  const data = await deps.data.getSplit(dataset, split);
  if (!Number.isInteger(req.index) || req.index < 0 || req.index >= data.count) throw new RangeError(`image ${req.index} is not in ${req.set} (${data.count} images)`);
  const { pixels, labels } = splitBatch(data, req.index, 1);
  const config = clipConfigFromJson(files['config.json']);
  if (config.channels !== data.channels || config.imageSize !== data.height || config.imageSize !== data.width) {
    throw new Error(`the model reads ${config.channels}×${config.imageSize}×${config.imageSize} images, ${req.set} has ${data.channels}×${data.height}×${data.width}`);
  }
  const constants = normalizationConstants(parsePreprocessorConfig(files['preprocessor_config.json']), config.channels);
  const logitScale = Math.exp(config.logitScale);
  const ctx = await deps.gpu.gpuContext();
  onProgress?.('building the model (attack graph, class prompts)…');
  const embedder = await ClipEmbedder.create(ctx, files);
  const released: GPUBuffer[] = [];
  let model: VisionAttackModel | undefined;
  try {
    const C = data.classes.length;
    const texts = ctx.upload('recreate.texts', Float32Array.from(await embedder.classEmbeddings(data.classes)));
    released.push(texts);
    model = await VisionAttackModel.create(ctx, files[CLIP_VISION_ONNX], { batch: 1, constants });
    const px = ctx.upload('recreate.clean', pixels);
    released.push(px);
    const inputs = { pixels: px, labels, texts, classes: C, logitScale };
    const z = await evaluateZeroShot(ctx, model, inputs);
    const cleanProbs = softmax(z.logits, 0, C);
    const base = {
      runId: req.model.run, set: req.set, eps: req.eps, index: req.index, classes: [...data.classes], trueClass: labels[0],
      dims: [data.channels, data.height, data.width] as [number, number, number], cleanImage: toBytes(pixels), clean: { pred: argmax(cleanProbs), probs: cleanProbs },
    };
    if (!z.correct[0]) return { ...base, advImage: null, adversarial: null, stages: [], robust: false, linf255: 0, ms: performance.now() - t0 };

    const p = req.protocol, epsKey = Math.round(req.eps * 255 * 1000);
    const e255 = +(req.eps * 255).toFixed(2);
    const plan: { name: string; run: () => Promise<AttackResult> }[] = [];
    const attack = (cfg: Parameters<typeof runAttack>[3]) => runAttack(ctx, model!, inputs, { ...cfg, snap8bit: true }, { signal, progressEvery: 1 });
    if (p.apgdSteps > 0) {
      plan.push({ name: `APGD-CE ${p.apgdSteps} steps × ${p.apgdRestarts} restart${p.apgdRestarts > 1 ? 's' : ''}, ε = ${e255}/255`, run: () => attack({ method: 'apgd', loss: 'ce', norm: 'linf', eps: req.eps, steps: p.apgdSteps, restarts: p.apgdRestarts, seed: mixSeed(p.seed, 1, epsKey, 0) }) });
    }
    if (req.stages === 'cascade') {
      if (p.targets > 0 && p.targetedSteps > 0) {
        const ranked = topWrongClasses(z.logits.subarray(0, C), labels, C, p.targets);
        ranked.forEach((t, k) => plan.push({
          name: `APGD-T towards class ${t[0]} (${data.classes[t[0]]}), ${p.targetedSteps} steps`,
          run: () => attack({ method: 'apgd', loss: 'dlr', norm: 'linf', eps: req.eps, steps: p.targetedSteps, restarts: 1, targets: Uint32Array.of(t[0]), seed: mixSeed(p.seed, 2, k, epsKey, 0) }),
        }));
      }
      if (p.squareQueries > 0) plan.push({ name: `Square ${p.squareQueries} queries`, run: () => attack({ method: 'square', loss: 'margin', norm: 'linf', eps: req.eps, steps: p.squareQueries, seed: mixSeed(p.seed, 3, epsKey, 0) }) });
    }
    const stages: RecreateResult['stages'] = [];
    let kept: Float32Array | null = null;
    let robust = true;
    for (const s of plan) {
      onProgress?.(`${s.name}…`);
      const r = await s.run();
      try {
        const broke = r.snapped!.robustCorrect[0] === 0;
        stages.push({ name: s.name, broke, evaluations: r.evaluations });
        // The image shown: the first that broke it, else the first stage's strongest point.
        if (broke || !kept) kept = await ctx.readF32(r.adversarial, model.n);
        if (broke) { robust = false; break; }
      } finally {
        ctx.release(r.adversarial);
      }
    }
    if (!kept) return { ...base, advImage: null, adversarial: null, stages, robust: true, linf255: 0, ms: performance.now() - t0 };
    const adv = ctx.upload('recreate.adv', kept);
    released.push(adv);
    const za = await evaluateZeroShot(ctx, model, { ...inputs, pixels: adv });
    const advProbs = softmax(za.logits, 0, C);
    const advImage = toBytes(kept);
    let linf255 = 0;
    for (let i = 0; i < advImage.length; i++) linf255 = Math.max(linf255, Math.abs(advImage[i] - base.cleanImage[i]));
    return { ...base, advImage, adversarial: { pred: argmax(advProbs), probs: advProbs }, stages, robust, linf255, ms: performance.now() - t0 };
  } finally {
    ctx.release(...released);
    await model?.release().catch(() => undefined);
    await embedder.release().catch(() => undefined);
  }
}
