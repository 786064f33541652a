/**
 * CLIP vision-tower cases, each through our WGSL executor and through onnxruntime-node on the same machine:
 *   - clip/forward: image_embeds of a batch (one session run);
 *   - clip/pgd10: `runAttack` PGD-10 L∞ (ε = 1/255, α = ε/4, CE against 10 class embeddings, random start,
 *     progressEvery 0): a clean forward, 10 × (forward + backward to the pixels), a final forward;
 *   - clip/tecoa-step: see ./tecoa.ts.
 * Engines: 'exec' (our executor on the bench's adapter), 'ort-cpu' (onnxruntime-node's CPU EP through
 * src/onnx/run), 'ort-webgpu' (onnxruntime-node's bundled WebGPU EP, when it can be selected here: ./ort.ts).
 * Shapes (./clipShapes.ts): ViT-B/32 on hardware adapters, small ones on software adapters (where ViT-B/32 is
 * recorded as skipped, with the reason). Wall clock around each run (+ ctx.finish()), median after warm-up; rates:
 * images/s and TFLOP/s of the matrix products.
 */
import type { GpuContext } from '../src/gpu/context';
import { isSoftwareAdapter as isSoftware } from '../src/gpu/device';
import { runAttack } from '../src/attacks/attack';
import { VisionAttackModel } from '../src/attacks/model';
import { GradientGraphCache } from '../src/onnx/autodiff/cache';
import { buildClipVisionModel } from '../src/onnx/clip/build';
import { clipWeightShapes, initClipWeights, type ClipWeights } from '../src/onnx/clip/weights';
import { createExecSession } from '../src/onnx/exec/session';
import { createSession, type OnnxSession } from '../src/onnx/run/session';
import { numel, type Model } from '../src/onnx/ir';
import { encodeModel } from '../src/onnx/proto';
import { Rng } from '../src/util/random';
import { timeWall, type BenchOptions, type BenchResult } from './harness';
import { CLIP_SHAPES, benchConfig, clipConstants, largestTensorBytes, pgdFlopsPerImage, visionFlops, type ClipBenchShape } from './clipShapes';
import { OrtWebgpuAttackModel, WEBGPU_EP, engineDescription, loadOrtNode, ortWebgpuProblem, type OrtSession } from './ort';

export type ClipEngine = 'exec' | 'ort-cpu' | 'ort-webgpu';
export const CLIP_ENGINES: readonly ClipEngine[] = ['exec', 'ort-cpu', 'ort-webgpu'];

export interface ClipBenchPlan {
  shapes: ClipBenchShape[];
  /** Batches of the forward and PGD cases, per shape. */
  batches: (shape: ClipBenchShape) => number[];
  /** Batch of the TeCoA step, per shape (undefined: skipped, with a note in `skipped`). */
  tecoaBatch: (shape: ClipBenchShape) => number | undefined;
  engines: ClipEngine[];
  /** Notes recorded as results (skipped shapes and engines, with the reason). */
  skipped: BenchResult[];
  /** Per (case, shape, batch, engine): stop repeating after this many seconds of timed runs. */
  maxSeconds: number;
}

export function isSoftwareAdapter(ctx: GpuContext): boolean {
  return isSoftware(ctx.adapter);
}

/** e.g. "llvmpipe: Mesa 25.0.7 (LLVM 15.0.6) (mesa software, software adapter)". */
export function adapterName(ctx: GpuContext): string {
  const a = ctx.adapter;
  const kind = [a.vendor, a.architecture].filter(Boolean).join(' ');
  return `${a.description || a.device || 'unknown adapter'} (${[kind, isSoftwareAdapter(ctx) ? 'software adapter' : ''].filter(Boolean).join(', ')})`;
}

function skip(name: string, params: BenchResult['params'], note: string): BenchResult {
  return { name, params, timing: 'wall-clock', medianMs: NaN, minMs: NaN, runs: 0, note };
}

/**
 * Which shapes, batches and engines run here. `shapesFlag` (--clip=tiny,mid,vit-b32) and `enginesFlag`
 * (--engines=exec,ort-cpu,ort-webgpu) override the defaults: ViT-B/32 at batch 64 and 256 (TeCoA 128) on hardware
 * adapters; on software adapters tiny at 64 and 256 and mid at 64 (TeCoA: 128 and 64), only tiny with --quick.
 */
export async function planClipBench(ctx: GpuContext, o: { quick: boolean; shapesFlag?: string; enginesFlag?: string; maxSeconds?: number }): Promise<ClipBenchPlan> {
  const software = isSoftwareAdapter(ctx);
  const skipped: BenchResult[] = [];
  let names: string[];
  if (o.shapesFlag) {
    names = o.shapesFlag.split(',').filter(Boolean);
    for (const n of names) if (!CLIP_SHAPES[n]) throw new RangeError(`--clip: unknown shape '${n}' (known: ${Object.keys(CLIP_SHAPES).join(', ')})`);
  } else if (software) {
    names = o.quick ? ['tiny'] : ['tiny', 'mid'];
    const tflop = (256 * pgdFlopsPerImage(CLIP_SHAPES['vit-b32'].config, PGD_STEPS)) / 1e12;
    skipped.push(skip('clip/*', { shape: 'vit-b32' }, `skipped: software adapter (${adapterName(ctx)}); one ViT-B/32 PGD-10 at batch 256 is ${tflop.toFixed(0)} TFLOP, hours at a few GFLOP/s — smaller shapes run instead (--clip=vit-b32 forces it)`));
  } else {
    names = ['vit-b32'];
  }
  const maxBinding = ctx.limits.maxStorageBufferBindingSize ?? 134217728;
  const limit = Math.min(maxBinding, ctx.limits.maxBufferSize ?? maxBinding);
  const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
  const limitText = `this adapter's maxStorageBufferBindingSize / maxBufferSize (${mib(limit)})`;
  const shapes: ClipBenchShape[] = [];
  const batches = new Map<string, number[]>();
  const tecoa = new Map<string, number | undefined>();
  for (const n of names) {
    const s = CLIP_SHAPES[n];
    const wanted = s.name === 'mid' ? [64] : o.quick ? [64] : [64, 256];
    const fits = wanted.filter((b) => largestTensorBytes(s.config, b) <= limit);
    for (const b of wanted) {
      if (!fits.includes(b)) skipped.push(skip('clip/forward+pgd10', { shape: n, batch: b }, `skipped: its largest tensor (${mib(largestTensorBytes(s.config, b))}) exceeds ${limitText}`));
    }
    // The TeCoA step keeps the tower's parameters in one flat buffer (AdamW over all of them at once), both engines.
    const tb = s.name === 'mid' ? 64 : 128;
    const params = 4 * [...clipWeightShapes(s.config, 'vision').values()].reduce((a, d) => a + numel(d), 0);
    const tecoaFits = params <= limit && largestTensorBytes(s.config, tb) <= limit;
    if (!tecoaFits) skipped.push(skip('clip/tecoa-step', { shape: n, batch: tb }, `skipped: its flat parameters (${mib(params)}) or largest tensor (${mib(largestTensorBytes(s.config, tb))}) exceed ${limitText}`));
    if (!fits.length && !tecoaFits) continue;
    shapes.push(s);
    batches.set(n, fits);
    tecoa.set(n, tecoaFits ? tb : undefined);
  }
  let engines: ClipEngine[] = o.enginesFlag ? (o.enginesFlag.split(',').filter(Boolean) as ClipEngine[]) : [...CLIP_ENGINES];
  for (const e of engines) if (!CLIP_ENGINES.includes(e)) throw new RangeError(`--engines: unknown engine '${e}' (known: ${CLIP_ENGINES.join(', ')})`);
  if (engines.includes('ort-webgpu')) {
    const problem = await ortWebgpuProblem();
    if (problem) {
      engines = engines.filter((e) => e !== 'ort-webgpu');
      skipped.push(skip('clip/*', { engine: 'ort-webgpu' }, `skipped: ${problem}`));
    }
  }
  return { shapes, batches: (s) => batches.get(s.name) ?? [], tecoaBatch: (s) => tecoa.get(s.name), engines, skipped, maxSeconds: o.maxSeconds ?? (software ? 20 : 30) };
}

/** Random-init vision weights of a shape (cached: ViT-B/32 takes seconds to draw). */
const weightCache = new Map<string, ClipWeights>();
export function shapeWeights(s: ClipBenchShape): ClipWeights {
  let w = weightCache.get(s.name);
  if (!w) {
    w = initClipWeights(benchConfig(s), { seed: 1 });
    weightCache.set(s.name, w);
  }
  return w;
}

export function visionModel(s: ClipBenchShape, batch?: number): Model {
  return buildClipVisionModel(benchConfig(s), shapeWeights(s), { batch, lastHiddenState: false });
}

export function shapeParams(s: ClipBenchShape, batch: number, engine: ClipEngine): BenchResult['params'] {
  const c = s.config;
  return { shape: s.name, batch, engine, image: `${c.channels}x${c.imageSize}x${c.imageSize}`, patch: c.patchSize, width: c.vision.width, layers: c.vision.layers };
}

function rates(batch: number, flopsPerImage: number, ms: number): Record<string, number> {
  return { imagesPerSec: batch / (ms / 1e3), tflops: (batch * flopsPerImage) / (ms * 1e9) };
}

/** Runs `body` for every (shape, batch, engine); a failure becomes a recorded note, never a silent gap. */
async function eachCombination(
  ctx: GpuContext, plan: ClipBenchPlan, name: string, batches: (s: ClipBenchShape) => number[],
  body: (s: ClipBenchShape, batch: number, engine: ClipEngine) => Promise<BenchResult>,
): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  for (const s of plan.shapes) {
    for (const batch of batches(s)) {
      for (const engine of plan.engines) {
        try {
          out.push(await body(s, batch, engine));
        } catch (e) {
          out.push(skip(name, shapeParams(s, batch, engine), `failed: ${(e as Error)?.message ?? e}`));
        }
        ctx.disposeBuffers();
      }
    }
  }
  return out;
}

export async function benchClipForward(ctx: GpuContext, plan: ClipBenchPlan, opts: BenchOptions): Promise<BenchResult[]> {
  const adapter = adapterName(ctx);
  return eachCombination(ctx, plan, 'clip/forward', plan.batches, async (s, batch, engine) => {
    const c = s.config;
    const n = c.channels * c.imageSize * c.imageSize;
    const pixels = new Rng(11).uniform(batch * n, 0, 1);
    const model = visionModel(s, batch);
    const dims = [batch, c.channels, c.imageSize, c.imageSize];
    let run: () => Promise<void>;
    let release: () => Promise<void>;
    let finish: (() => Promise<void>) | undefined;
    if (engine === 'exec') {
      const session = await createExecSession(ctx, model, { batch, reuseOutputBuffers: true, label: `bench.clip.${s.name}` });
      const buf = ctx.upload('bench.clip.pixels', pixels);
      run = async () => {
        const out = await session.run({ pixel_values: { gpuBuffer: buf, dtype: 'float32', dims } }, ['image_embeds']);
        for (const v of Object.values(out)) v.dispose();
      };
      finish = () => ctx.finish();
      release = async () => {
        await session.release();
        ctx.release(buf);
      };
    } else if (engine === 'ort-cpu') {
      const session: OnnxSession = await createSession(ctx, encodeModel(model), { backend: 'node-cpu', label: `bench.clip.${s.name}` });
      run = async () => {
        const out = await session.run({ pixel_values: { data: pixels, dims } }, ['image_embeds']);
        for (const v of Object.values(out)) v.dispose();
      };
      release = () => session.release();
    } else {
      const ort = await loadOrtNode();
      const session: OrtSession = await ort.InferenceSession.create(encodeModel(model), { ...WEBGPU_EP });
      run = async () => {
        const out = await session.run({ pixel_values: new ort.Tensor('float32', pixels, dims) }, ['image_embeds']);
        for (const v of Object.values(out)) v.dispose();
      };
      release = () => session.release();
    }
    try {
      const t = await timeWall(run, { ...opts, finish, maxSeconds: plan.maxSeconds });
      const f = visionFlops(c).forward;
      return {
        name: 'clip/forward', params: { ...shapeParams(s, batch, engine), gflopPerImage: +(f / 1e9).toPrecision(4) }, ...t,
        rates: rates(batch, f, t.medianMs), note: await engineDescription(engine, adapter),
      };
    } finally {
      await release();
    }
  });
}

export const PGD_STEPS = 10;
const CLASSES = 10;

export async function benchClipPgd(ctx: GpuContext, plan: ClipBenchPlan, opts: BenchOptions): Promise<BenchResult[]> {
  const adapter = adapterName(ctx);
  const cache = new GradientGraphCache(2);
  return eachCombination(ctx, plan, 'clip/pgd10', plan.batches, async (s, batch, engine) => {
    const c = s.config;
    const n = c.channels * c.imageSize * c.imageSize;
    const rng = new Rng(12);
    const vision = visionModel(s);
    const constants = clipConstants(c.channels);
    const model = engine === 'ort-webgpu'
      ? (await OrtWebgpuAttackModel.create(ctx, vision, { batch, constants, cache })).asAttackModel()
      : await VisionAttackModel.create(ctx, vision, { batch, constants, engine: engine === 'exec' ? 'exec' : 'onnxruntime', cache });
    const pixels = ctx.upload('bench.pgd.pixels', rng.uniform(batch * n, 0, 1));
    const texts = ctx.upload('bench.pgd.texts', rng.normal(CLASSES * c.projectionDim));
    const labels = Uint32Array.from({ length: batch }, (_, b) => b % CLASSES);
    let seed = 0;
    try {
      const t = await timeWall(async () => {
        const r = await runAttack(ctx, model, { pixels, labels, texts, classes: CLASSES, logitScale: 100 },
          { method: 'pgd', norm: 'linf', eps: 1 / 255, alpha: 1 / 255 / 4, steps: PGD_STEPS, loss: 'ce', seed: ++seed }, { progressEvery: 0 });
        ctx.release(r.adversarial);
      }, { ...opts, finish: () => ctx.finish(), maxSeconds: plan.maxSeconds });
      const f = pgdFlopsPerImage(c, PGD_STEPS);
      return {
        name: 'clip/pgd10', params: { ...shapeParams(s, batch, engine), steps: PGD_STEPS, gflopPerImage: +(f / 1e9).toPrecision(4) }, ...t,
        rates: rates(batch, f, t.medianMs),
        note: `${await engineDescription(engine, adapter)}; runAttack PGD-10 = 12 forwards + 10 backwards to the pixels (PyTorch's reference loop: 10 + 10)`,
      };
    } finally {
      await model.release();
      ctx.release(pixels, texts);
    }
  });
}
