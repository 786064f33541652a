/**
 * clip/tecoa-step: one TeCoA fine-tuning step of the vision tower — PGD-2 L∞ (ε = α = 1/255, random start) on the
 * zero-shot CE against 10 class embeddings, then the CE of the adversarial images, its weight gradients and one
 * AdamW update (lr 1e-5, weight decay 1e-4, global-norm clip 1) — the step of ../shared/device/pytorch_pgd_reference.py.
 *
 *   - 'ort-cpu': the project's own step, `FineTuneLoop.trainStep()` with `createTecoa` (src/methods), whose
 *     `FineTuneModel` runs onnxruntime-node's CPU EP in Node (weights fed from the host, gradients summed on the
 *     host, AdamW on the GPU). Class embeddings come from a frozen text tower (computed once, in the warm-up).
 *   - 'exec': the same step on our executor, everything on the GPU, written here because src/methods has no exec
 *     path yet: two gradient-graph pairs of the tower with its weights as graph inputs (one differentiating only
 *     the pixels, for the attack; one the weights, for the update), the zero-shot CE kernel for ∂CE/∂embeddings,
 *     the PGD kernels, and the AdamW kernel over one flat parameter buffer (per-tensor weight and gradient buffers
 *     copied to and from it in the same submission). One step = 8 submissions + 1 wait, no readbacks.
 *   - 'ort-webgpu': not run: src/methods has no WebGPU-EP path in Node, and that EP cannot take our GPU buffers
 *     (every step would move all weights and their gradients through the host); recorded as such.
 */
import type { GpuContext } from '../src/gpu/context';
import { PIXELS01, withPixelNormalization } from '../src/attacks/graph';
import { GradientGraphCache, type CachedGradientGraphs } from '../src/onnx/autodiff/cache';
import { clipWeightShapes } from '../src/onnx/clip/weights';
import { createExecSession, type ExecSession } from '../src/onnx/exec/session';
import { numel, type Model } from '../src/onnx/ir';
import type { SessionDType, SessionFeed, SessionOutput } from '../src/onnx/run/session';
import { promoteInitializers } from '../src/onnx/surgery';
import { createZeroShotWorkspace, encodeZeroShotLoss, releaseZeroShotWorkspace, type ZeroShotShape, type ZeroShotWorkspace } from '../src/kernels/zeroShot';
import { encodePgdRandomStart, encodePgdStep, type PgdShape } from '../src/kernels/pgd';
import { createGradNormBuffer, encodeAdamwStep } from '../src/kernels/optim';
import { FineTuneModel } from '../src/methods/model';
import { FineTuneLoop } from '../src/methods/loop';
import { defaultFineTuneConfig, withFineTuneConfig } from '../src/methods/config';
import type { BatchSource, FineTuneBatch } from '../src/methods/data';
import type { ClassPrompts } from '../src/methods/text';
import { Rng } from '../src/util/random';
import { timeWall, type BenchOptions, type BenchResult } from './harness';
import { benchConfig, clipConstants, tecoaFlopsPerImage, type ClipBenchShape } from './clipShapes';
import { adapterName, shapeParams, shapeWeights, visionModel, type ClipBenchPlan, type ClipEngine } from './clip';
import { engineDescription } from './ort';

export const TECOA_ATTACK_STEPS = 2;
const CLASSES = 10;
const EPS = 1 / 255;
const LOGIT_SCALE = 100;
const ADAMW = { lr: 1e-5, weightDecay: 1e-4, maxGradNorm: 1 };

interface Slot {
  name: string;
  dims: number[];
  offset: number;
  count: number;
  buffer: GPUBuffer;
}

/** The exec TeCoA step (see the module comment). */
export class ExecTecoaStep {
  private step = 0;

  private constructor(
    private readonly ctx: GpuContext,
    private readonly batch: number,
    private readonly attack: { pair: CachedGradientGraphs; fwd: ExecSession; bwd: ExecSession },
    private readonly train: { pair: CachedGradientGraphs; fwd: ExecSession; bwd: ExecSession },
    private readonly slots: Slot[],
    private readonly b: {
      params: GPUBuffer; grads: GPUBuffer; m: GPUBuffer; v: GPUBuffer; gradNorm: GPUBuffer;
      x0: GPUBuffer; x: GPUBuffer; eps: GPUBuffer; alpha: GPUBuffer; labels: GPUBuffer; texts: GPUBuffer;
    },
    private readonly ws: ZeroShotWorkspace,
    private readonly zs: ZeroShotShape,
    private readonly pgd: PgdShape,
    private readonly pixelDims: number[],
    private readonly total: number,
  ) {}

  static async create(ctx: GpuContext, vision: Model, o: { batch: number; weightNames: string[]; constants: { mean: number[]; std: number[] }; dim: number; pixels: Float32Array; texts: Float32Array; labels: Uint32Array }): Promise<ExecTecoaStep> {
    const B = o.batch;
    const model = withPixelNormalization(vision, o.constants);
    const names = o.weightNames;
    const cache = new GradientGraphCache(2);
    // Attack pair: the weights are plain graph inputs (not differentiated), so the backward computes ∂/∂pixels only.
    const promoted = promoteInitializers(model, names);
    const aPair = cache.get(promoted.model, { wrt: [PIXELS01], outputs: ['image_embeds'], batch: B });
    // Training pair: ∂/∂weights (their initial values come back in initialValues).
    const tPair = cache.get(model, { wrt: names, outputs: ['image_embeds'], batch: B });
    const open = (m: Model, label: string) => createExecSession(ctx, m, { reuseOutputBuffers: true, label });
    const attack = { pair: aPair, fwd: await open(aPair.forward, 'bench.tecoa.attack.forward'), bwd: await open(aPair.backward, 'bench.tecoa.attack.backward') };
    const train = { pair: tPair, fwd: await open(tPair.forward, 'bench.tecoa.train.forward'), bwd: await open(tPair.backward, 'bench.tecoa.train.backward') };

    const slots: Slot[] = [];
    let total = 0;
    for (const name of names) {
      const t = promoted.values.get(name)!;
      const data = t.data as Float32Array;
      const count = numel(t.dims);
      slots.push({ name, dims: [...t.dims], offset: total, count, buffer: ctx.upload(`bench.tecoa.w.${name}`, data) });
      total += count;
    }
    const flat = new Float32Array(total);
    for (const s of slots) flat.set(promoted.values.get(s.name)!.data as Float32Array, s.offset);
    const n = o.pixels.length / B;
    const b = {
      params: ctx.upload('bench.tecoa.params', flat),
      grads: ctx.buffer('bench.tecoa.grads', total * 4),
      m: ctx.upload('bench.tecoa.m', new Float32Array(total)),
      v: ctx.upload('bench.tecoa.v', new Float32Array(total)),
      gradNorm: createGradNormBuffer(ctx, 'bench.tecoa.gradNorm'),
      x0: ctx.upload('bench.tecoa.x0', o.pixels),
      x: ctx.buffer('bench.tecoa.x', o.pixels.byteLength),
      eps: ctx.upload('bench.tecoa.eps', new Float32Array(B).fill(EPS)),
      alpha: ctx.upload('bench.tecoa.alpha', new Float32Array(B).fill(EPS)),
      labels: ctx.upload('bench.tecoa.labels', o.labels),
      texts: ctx.upload('bench.tecoa.texts', o.texts),
    };
    const zs: ZeroShotShape = { batch: B, classes: o.texts.length / o.dim, dim: o.dim, logitScale: LOGIT_SCALE, textGrad: false };
    const ws = createZeroShotWorkspace(ctx, zs, 'bench.tecoa.zs');
    const pixelDims = [...aPair.shapes.get(PIXELS01)!.dims as number[]];
    return new ExecTecoaStep(ctx, B, attack, train, slots, b, ws, zs, { batch: B, n, norm: 'linf', box: true }, pixelDims, total);
  }

  private weightFeeds(): Record<string, SessionFeed> {
    const f: Record<string, SessionFeed> = {};
    for (const s of this.slots) f[s.name] = { gpuBuffer: s.buffer, dtype: 'float32', dims: s.dims };
    return f;
  }

  /** Forward, CE (∂/∂embeddings into ws.gradImages), backward fetching `fetch`. Outputs are the session's own buffers. */
  private async lossAndBackward(g: { pair: CachedGradientGraphs; fwd: ExecSession; bwd: ExecSession }, fetch: string[]): Promise<Record<string, SessionOutput>> {
    const feeds: Record<string, SessionFeed> = { [PIXELS01]: { gpuBuffer: this.b.x, dtype: 'float32', dims: this.pixelDims }, ...this.weightFeeds() };
    const out = await g.fwd.run(feeds);
    await this.ctx.run('bench.tecoa.ce', (rec) => encodeZeroShotLoss(rec, { images: out.image_embeds.gpuBuffer!, texts: this.b.texts, labels: this.b.labels }, this.ws, this.zs));
    const bf: Record<string, SessionFeed> = {};
    for (const n of g.pair.savedNames) bf[n] = { gpuBuffer: out[n].gpuBuffer!, dtype: out[n].dtype as SessionDType, dims: out[n].dims };
    for (const n of g.pair.forwardInputsUsed) bf[n] = feeds[n];
    bf[g.pair.gradInputs.image_embeds] = { gpuBuffer: this.ws.gradImages, dtype: 'float32', dims: [this.batch, this.zs.dim] };
    return g.bwd.run(bf, fetch);
  }

  /** One training step (submitted; the caller waits with ctx.finish()). */
  async run(): Promise<void> {
    const step = ++this.step, b = this.b, ctx = this.ctx;
    await ctx.run('bench.tecoa.start', (rec) => encodePgdRandomStart(rec, b.x, b.x0, b.eps, this.pgd, { seed: 7, step }));
    const gPix = this.attack.pair.gradOutputs[PIXELS01];
    for (let k = 0; k < TECOA_ATTACK_STEPS; k++) {
      const g = await this.lossAndBackward(this.attack, [gPix]);
      await ctx.run('bench.tecoa.pgd', (rec) => encodePgdStep(rec, b.x, b.x0, g[gPix].gpuBuffer!, b.eps, b.alpha, this.pgd));
    }
    const gradNames = this.slots.map((s) => this.train.pair.gradOutputs[s.name]);
    const g = await this.lossAndBackward(this.train, gradNames);
    await ctx.run('bench.tecoa.adamw', (rec) => {
      this.slots.forEach((s, i) => rec.copy(g[gradNames[i]].gpuBuffer!, 0, b.grads, s.offset * 4, s.count * 4));
      encodeAdamwStep(rec, { params: b.params, grads: b.grads, m: b.m, v: b.v, gradNorm: b.gradNorm }, this.total, step, ADAMW);
      for (const s of this.slots) rec.copy(b.params, s.offset * 4, s.buffer, 0, s.count * 4);
    });
  }

  /** Mean CE of the last evaluated batch (for checks). */
  async lastLoss(): Promise<number> {
    return (await this.ctx.readF32(this.ws.summary, 1))[0];
  }

  async release(): Promise<void> {
    for (const s of [this.attack.fwd, this.attack.bwd, this.train.fwd, this.train.bwd]) await s.release();
    releaseZeroShotWorkspace(this.ctx, this.ws);
    this.ctx.release(...Object.values(this.b), ...this.slots.map((s) => s.buffer));
  }
}

/** Fixed synthetic batches (random pixels, labels b mod 10): the step's cost does not depend on the data. */
function syntheticSource(channels: number, size: number, pixels: Float32Array, labels: Uint32Array): BatchSource {
  return {
    classes: Array.from({ length: CLASSES }, (_, i) => `class ${i}`),
    channels, height: size, width: size,
    batch(_step: number, images: number, views: number): FineTuneBatch {
      if (views !== 1 || images !== labels.length) throw new RangeError(`bench source: ${images} × ${views} asked, ${labels.length} × 1 held`);
      return { images, views, pixels, labels, imageLabels: labels, indices: Int32Array.from(labels, (_, i) => i) };
    },
  };
}

/** One prompt per class: [BOS, class token, EOS, EOS…] with EOS the highest id (the text tower pools at ArgMax). */
function syntheticPrompts(vocab: number, T: number): ClassPrompts {
  const ids = new BigInt64Array(CLASSES * T).fill(BigInt(vocab - 1));
  for (let c = 0; c < CLASSES; c++) {
    ids[c * T] = BigInt(vocab - 2);
    ids[c * T + 1] = BigInt(c % (vocab - 2));
  }
  return { classes: CLASSES, perClass: 1, contextLength: T, ids, texts: Array.from({ length: CLASSES }, (_, c) => [`class ${c}`]) };
}

export async function benchClipTecoa(ctx: GpuContext, plan: ClipBenchPlan, opts: BenchOptions): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  const adapter = adapterName(ctx);
  for (const s of plan.shapes) {
    const batch = plan.tecoaBatch(s);
    if (batch === undefined) continue;
    for (const engine of plan.engines) {
      try {
        out.push(await tecoaCase(ctx, s, batch, engine, plan, opts, adapter));
      } catch (e) {
        out.push({ name: 'clip/tecoa-step', params: shapeParams(s, batch, engine), timing: 'wall-clock', medianMs: NaN, minMs: NaN, runs: 0, note: `failed: ${(e as Error)?.message ?? e}` });
      }
      ctx.disposeBuffers();
    }
  }
  return out;
}

async function tecoaCase(ctx: GpuContext, s: ClipBenchShape, batch: number, engine: ClipEngine, plan: ClipBenchPlan, opts: BenchOptions, adapter: string): Promise<BenchResult> {
  const c = s.config, cfg = benchConfig(s);
  const params = { ...shapeParams(s, batch, engine), attackSteps: TECOA_ATTACK_STEPS, gflopPerImage: +(tecoaFlopsPerImage(c, TECOA_ATTACK_STEPS) / 1e9).toPrecision(4) };
  if (engine === 'ort-webgpu') {
    return { name: 'clip/tecoa-step', params, timing: 'wall-clock', medianMs: NaN, minMs: NaN, runs: 0, note: 'not available: src/methods has no onnxruntime-node WebGPU-EP path (that EP cannot take our GPU buffers; every step would move all weights and gradients through the host)' };
  }
  const rng = new Rng(13);
  const n = c.channels * c.imageSize * c.imageSize;
  const pixels = rng.uniform(batch * n, 0, 1);
  const labels = Uint32Array.from({ length: batch }, (_, b) => b % CLASSES);
  const constants = clipConstants(c.channels);
  let run: () => Promise<void>;
  let release: () => Promise<void>;
  let how: string;
  if (engine === 'exec') {
    const texts = rng.normal(CLASSES * c.projectionDim);
    const step = await ExecTecoaStep.create(ctx, visionModel(s), { batch, weightNames: [...clipWeightShapes(cfg, 'vision').keys()], constants, dim: c.projectionDim, pixels, texts, labels });
    run = () => step.run();
    release = () => step.release();
    how = 'bench-local exec step (bench/tecoa.ts: two gradient-graph pairs, CE/PGD/AdamW kernels, all on the GPU)';
  } else {
    const config = withFineTuneConfig(defaultFineTuneConfig('tecoa'), {
      towers: 'vision', batchSize: batch, lr: ADAMW.lr, weightDecay: ADAMW.weightDecay, maxGradNorm: ADAMW.maxGradNorm, warmupSteps: 0,
      steps: 1_000_000, augment: 'none', evalEvery: 0, attack: { eps: EPS, alpha: EPS, steps: TECOA_ATTACK_STEPS, randomStart: true }, prompts: { templates: 1, synonyms: 1 },
    });
    const model = await FineTuneModel.create(ctx, {
      config: cfg, weights: shapeWeights(s), constants, train: { vision: true, text: false },
      optimizer: { kind: 'adamw', weightDecay: ADAMW.weightDecay, maxGradNorm: ADAMW.maxGradNorm }, logitScale: Math.log(LOGIT_SCALE),
    });
    const loop = FineTuneLoop.create(ctx, { config, model, data: syntheticSource(c.channels, c.imageSize, pixels, labels), prompts: () => syntheticPrompts(cfg.text.vocabSize, cfg.text.contextLength) });
    run = async () => {
      await loop.trainStep();
    };
    release = () => model.release();
    how = "the project's step: FineTuneLoop.trainStep() with createTecoa (src/methods; weights fed from the host, gradients summed on the host, AdamW on the GPU)";
  }
  try {
    const t = await timeWall(run, { ...opts, finish: () => ctx.finish(), maxSeconds: plan.maxSeconds });
    const f = tecoaFlopsPerImage(c, TECOA_ATTACK_STEPS);
    return {
      name: 'clip/tecoa-step', params, ...t,
      rates: { imagesPerSec: batch / (t.medianMs / 1e3), tflops: (batch * f) / (t.medianMs * 1e9) },
      note: `${await engineDescription(engine, adapter)}; ${how}; PGD-2 (ε = α = 1/255) + CE + weight gradients + AdamW (lr 1e-5, wd 1e-4, clip 1), logit scale 100`,
    };
  } finally {
    await release();
  }
}

