/**
 * Browser side of `bench/browser/engines.spec.ts`: in the page (imported through the Vite dev server), times the
 * attack model's graphs on our executor and on onnxruntime-web's WebGPU EP, both on the page's own GPUDevice
 * (SwiftShader in headless Chromium): one forward (`image_embeds`) and runAttack PGD-10 L∞, as bench/clip.ts does in
 * Node. Wall clock around each run + onSubmittedWorkDone, median after one warm-up.
 */
import { runAttack } from '../../src/attacks/attack';
import { VisionAttackModel } from '../../src/attacks/model';
import { createGpuController } from '../../src/engine/engine';
import { GradientGraphCache } from '../../src/onnx/autodiff/cache';
import { buildClipVisionModel } from '../../src/onnx/clip/build';
import { withClipConfig, tinyClipConfig, type ClipConfig } from '../../src/onnx/clip/config';
import { initClipWeights } from '../../src/onnx/clip/weights';
import { createEngineSession } from '../../src/onnx/exec/select';
import { Rng } from '../../src/util/random';
import { fetchReader, loadSplit, parseManifest } from '../../src/data/bundle';
import { benchMethodSteps } from '../methods';

// The bench page's own GPU controller (one per page load).
const gpu = createGpuController();
const gpuContext = () => gpu.gpuContext();

export interface BrowserBenchRow {
  case: string;
  shape: string;
  batch: number;
  engine: 'exec' | 'onnxruntime-web-webgpu';
  medianMs: number;
  minMs: number;
  runs: number;
}

const SHAPES: Record<string, ClipConfig> = {
  tiny: tinyClipConfig,
  mid: withClipConfig(tinyClipConfig, { imageSize: 32, channels: 3, patchSize: 8, vision: { width: 64, layers: 4, heads: 4, mlpRatio: 4 }, projectionDim: 64 }),
};

async function time(run: () => Promise<void>, finish: () => Promise<void>, runs: number, maxMs: number): Promise<{ medianMs: number; minMs: number; runs: number }> {
  await run();
  await finish();
  const t: number[] = [];
  const start = performance.now();
  for (let i = 0; i < runs && (i === 0 || performance.now() - start < maxMs); i++) {
    const t0 = performance.now();
    await run();
    await finish();
    t.push(performance.now() - t0);
  }
  const s = [...t].sort((a, b) => a - b);
  return { medianMs: s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2, minMs: s[0], runs: t.length };
}

export async function adapterInfo(): Promise<Record<string, unknown>> {
  const ctx = await gpuContext();
  return { ...ctx.adapter, limits: undefined };
}

/** One (case, engine) combination: 'forward' (one session run) or 'pgd10' (runAttack PGD-10 L∞). */
export async function benchOne(o: { shape: string; batch: number; engine: 'exec' | 'onnxruntime'; case: 'forward' | 'pgd10'; runs: number; maxMs: number }): Promise<BrowserBenchRow> {
  const ctx = await gpuContext();
  const cfg = SHAPES[o.shape];
  const weights = initClipWeights(cfg, { seed: 1 });
  const n = cfg.channels * cfg.imageSize * cfg.imageSize, B = o.batch;
  const rng = new Rng(7);
  const pixels = ctx.upload('bb.pixels', rng.uniform(B * n, 0, 1));
  const finish = () => ctx.finish();
  const engine = o.engine;
  const label = engine === 'exec' ? 'exec' : 'onnxruntime-web-webgpu';
  try {
    if (o.case === 'forward') {
      const s = await createEngineSession(ctx, buildClipVisionModel(cfg, weights, { batch: B, lastHiddenState: false }), { engine, batch: B, label: `bb.${engine}` });
      const dims = [B, cfg.channels, cfg.imageSize, cfg.imageSize];
      try {
        const t = await time(async () => {
          const out = await s.run({ pixel_values: { gpuBuffer: pixels, dtype: 'float32', dims } }, ['image_embeds']);
          for (const v of Object.values(out)) v.dispose();
        }, finish, o.runs, o.maxMs);
        return { case: 'forward', shape: o.shape, batch: B, engine: label, ...t };
      } finally {
        await s.release();
      }
    }
    const classes = 10;
    const model = await VisionAttackModel.create(ctx, buildClipVisionModel(cfg, weights, { lastHiddenState: false }), {
      batch: B, constants: { mean: new Array(cfg.channels).fill(0.5), std: new Array(cfg.channels).fill(0.25) }, engine, cache: new GradientGraphCache(2),
    });
    const texts = ctx.upload('bb.texts', rng.normal(classes * cfg.projectionDim));
    const labels = Uint32Array.from({ length: B }, (_, b) => b % classes);
    let seed = 0;
    try {
      const t = await time(async () => {
        const r = await runAttack(ctx, model, { pixels, labels, texts, classes, logitScale: 100 },
          { method: 'pgd', norm: 'linf', eps: 1 / 255, alpha: 1 / 255 / 4, steps: 10, loss: 'ce', seed: ++seed }, { progressEvery: 0 });
        ctx.release(r.adversarial);
      }, finish, o.runs, o.maxMs);
      return { case: 'pgd10', shape: o.shape, batch: B, engine: label, ...t };
    } finally {
      await model.release();
      ctx.release(texts);
    }
  } finally {
    ctx.release(pixels);
  }
}

/**
 * `npm run bench`'s methods case in the page (bench/browser/methods.spec.ts): one fine-tuning step of each method
 * on the bundled tiny CLIP, side by side, on our executor and the page's GPUDevice — the same code as in Node
 * (bench/methods.ts) with the model and training split fetched from the dev server.
 */
export async function benchMethods(o: { batch: number; m: number; k: number; runs: number; warmup: number; stepsPerRead: number }): Promise<unknown[]> {
  const ctx = await gpuContext();
  const base = '/models/tiny-clip/';
  const text = async (f: string) => { const r = await fetch(base + f); if (!r.ok) throw new Error(`${f}: HTTP ${r.status}`); return r.text(); };
  const bytes = async (f: string) => { const r = await fetch(base + f); if (!r.ok) throw new Error(`${f}: HTTP ${r.status}`); return new Uint8Array(await r.arrayBuffer()); };
  const files = {
    'config.json': await text('config.json'), 'tokenizer.json': await text('tokenizer.json'), 'tokenizer_config.json': await text('tokenizer_config.json'),
    'preprocessor_config.json': await text('preprocessor_config.json'), 'onnx/vision_model.onnx': await bytes('onnx/vision_model.onnx'), 'onnx/text_model.onnx': await bytes('onnx/text_model.onnx'),
  };
  const read = fetchReader('/data/');
  const manifest = parseManifest(JSON.parse(new TextDecoder().decode(await read('manifest.json'))));
  const train = await loadSplit(manifest, 'fashion-mnist', 'train', read);
  return benchMethodSteps(ctx, files, train, { runs: o.runs, warmup: o.warmup }, { batch: o.batch, m: o.m, k: o.k, backend: 'exec', stepsPerRead: o.stepsPerRead });
}
