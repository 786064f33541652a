/**
 * methods/step: one fine-tuning step of each method (TeCoA, AoS, PMG-AFT, FARE with PGD-k like the others) on the
 * bundled tiny CLIP, measured side by side in one run
 * (alternating, so machine load hits both alike), on the engine `defaultEngine` picks for this adapter. Reports each
 * step's median wall time, GPU→CPU readbacks per step, and the AoS/TeCoA ratio against its pass-count bound
 * (1 + m)(k + 2)/(k + 1): AoS runs every one of its 1 + m views through the attack's k steps and two training passes,
 * TeCoA one view through k + 1. The target is a ratio ≤ 1.1 × that bound.
 *
 * Steps run in blocks of `STEPS_PER_READ` with the loop's metrics ring (`run({ metricsEvery })`): the metrics are read
 * once per block, as a script or a run without live progress reads them. `readbacksPerStep` counts every readback
 * (the ring's read included: 1 / STEPS_PER_READ when the step itself reads nothing); `stepReadbacks` excludes it.
 */
import type { GpuContext } from '../src/gpu/context';
import type { ImageDataset } from '../src/data/bundle';
import type { ClipFolderFiles } from '../src/onnx/clip/folder';
import { defaultFineTuneConfig, withFineTuneConfig, type MethodName } from '../src/methods/config';
import { FineTuneData } from '../src/methods/data';
import { fineTuneModelFor, loadClipFiles, tokenizerPrompts } from '../src/methods/load';
import { FineTuneLoop } from '../src/methods/loop';
import type { BenchOptions, BenchResult } from './harness';

const METHODS: readonly MethodName[] = ['tecoa', 'aos', 'pmg-aft', 'fare'];

/** Steps per metrics read by default (one block of the loop's metrics ring). */
const STEPS_PER_READ = 4;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/**
 * The measurement on given model files and training split (Node: bench.ts reads them from disk; the browser:
 * bench/browser/probe.ts fetches them from the dev server).
 */
export async function benchMethodSteps(ctx: GpuContext, files: ClipFolderFiles, train: ImageDataset, opts: BenchOptions = {}, o: { batch?: number; m?: number; k?: number; backend?: 'exec'; stepsPerRead?: number } = {}): Promise<BenchResult[]> {
  const B = o.batch ?? 16, m = o.m ?? 4, k = o.k ?? 2;
  const clip = loadClipFiles(files);
  const prompts = tokenizerPrompts(clip.tokenizer, train.classes);
  const loops = new Map<MethodName, FineTuneLoop>();
  for (const method of METHODS) {
    const config = withFineTuneConfig(defaultFineTuneConfig(method), { seed: 1, batchSize: B, steps: 1000, evalEvery: 0, attack: { eps: 8 / 255, steps: k }, aos: { augmentations: m }, fare: { attackSteps: k } });
    loops.set(method, FineTuneLoop.create(ctx, { config, model: await fineTuneModelFor(ctx, clip, config, o.backend), data: new FineTuneData(train, { seed: 1, hflip: false }), prompts }));
  }
  const warmup = opts.warmup ?? 2, runs = opts.runs ?? 7, S = o.stepsPerRead ?? STEPS_PER_READ;
  const times = new Map<MethodName, number[]>(METHODS.map((x) => [x, []]));
  const reads = new Map<MethodName, number[]>(METHODS.map((x) => [x, []]));
  for (let i = 0; i < warmup + runs; i++) {
    for (const [method, loop] of loops) {
      const r0 = ctx.stats.readbacks, t0 = performance.now();
      await loop.run({ steps: S, metricsEvery: S });
      await ctx.finish();
      if (i >= warmup) {
        times.get(method)!.push((performance.now() - t0) / S);
        reads.get(method)!.push((ctx.stats.readbacks - r0) / S);
      }
    }
  }
  const out: BenchResult[] = [];
  const med = (method: MethodName) => median(times.get(method)!);
  for (const method of METHODS) {
    const t = times.get(method)!;
    out.push({
      name: `methods/${method}-step`, params: { model: 'tiny-clip', batch: B, attackSteps: k, views: method === 'aos' ? 1 + m : 1, engine: loops.get(method)!.model.backend ?? 'onnxruntime' },
      timing: 'wall-clock', medianMs: med(method), minMs: Math.min(...t), runs: t.length,
      rates: { imagesPerSec: B / (med(method) / 1e3), readbacksPerStep: median(reads.get(method)!), stepReadbacks: median(reads.get(method)!) - 1 / S, stepsPerRead: S },
    });
  }
  const bound = ((1 + m) * (k + 2)) / (k + 1), ratio = med('aos') / med('tecoa');
  out.push({
    name: 'methods/aos-tecoa-ratio', params: { batch: B, m, attackSteps: k }, timing: 'wall-clock', medianMs: med('aos'), minMs: ratio, runs,
    rates: { ratio, passBound: bound, ratioOverBound: ratio / bound },
    note: `AoS step / TeCoA step = ${ratio.toFixed(2)} against the pass-count bound (1 + m)(k + 2)/(k + 1) = ${bound.toFixed(2)} (target ≤ 1.1 × bound); minMs holds the ratio`,
  });
  for (const loop of loops.values()) await loop.model.release();
  return out;
}
