/**
 * `npm run bench`: prints one JSON document with the adapter and the median time of each case.
 * Flags: --only=NAME[,NAME] (case prefixes), --quick (fewer sizes and runs), --dawn=FLAG (Dawn create() flag),
 * --clip=SHAPE[,SHAPE] (CLIP cases: tiny, mid, vit-b32; default by adapter), --engines=E[,E] (CLIP cases: exec,
 * ort-cpu, ort-webgpu; default all that run here), --max-seconds=S (CLIP cases: time budget per combination; default
 * 20 on software adapters, 30 on hardware), --methods-engine=exec (methods cases on our executor instead of the
 * adapter's default: on lavapipe the GPU-session path and its readbacks), --out=FILE (also write the JSON there, after every case).
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { GpuContext } from '../src/gpu/context';
import { shaderSources } from '../src/kernels/shaders';
import type { BenchOptions, BenchResult } from './harness';
import { benchAdamw, benchGram, benchMatmul, benchPgd, benchZeroShot } from './kernels';
import { benchSubspace } from './subspace';
import { adapterName, benchClipForward, benchClipPgd, planClipBench, type ClipBenchPlan } from './clip';
import { benchClipTecoa } from './tecoa';
import { benchMethodSteps } from './methods';
import { readClipFolder } from '../src/onnx/clip/node';
import { loadSplitFromDir } from '../src/data/node';
import { benchResponsiveness } from './responsiveness';

const args = process.argv.slice(2);
const flag = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split('=').slice(1).join('=');
const quick = args.includes('--quick');
const only = flag('only')?.split(',') ?? [];
const dawnFlags = args.filter((a) => a.startsWith('--dawn=')).map((a) => a.slice('--dawn='.length));
const selected = (name: string) => only.length === 0 || only.some((o) => name.startsWith(o));

// The CLIP cases share one plan (shapes, batches, engines), made on first use; its skip notes are recorded once.
let clipPlan: ClipBenchPlan | undefined;
async function withClipPlan(ctx: GpuContext, f: (plan: ClipBenchPlan) => Promise<BenchResult[]>): Promise<BenchResult[]> {
  const notes: BenchResult[] = [];
  if (!clipPlan) {
    const maxSeconds = flag('max-seconds');
    clipPlan = await planClipBench(ctx, { quick, shapesFlag: flag('clip'), enginesFlag: flag('engines'), maxSeconds: maxSeconds ? Number(maxSeconds) : undefined });
    notes.push(...clipPlan.skipped);
  }
  return [...notes, ...(await f(clipPlan))];
}

type Case = { name: string; run: (ctx: GpuContext, opts: BenchOptions) => Promise<BenchResult[]> };

const cases: Case[] = [
  {
    name: 'matmul',
    run: (ctx, opts) => {
      const software = ctx.adapter.isFallbackAdapter || /llvmpipe|swiftshader/i.test(ctx.adapter.description + ctx.adapter.architecture);
      const sizes = quick ? [256, 512] : software ? [256, 512, 1024] : [1024, 2048, 4096];
      return benchMatmul(ctx, sizes, opts);
    },
  },
  { name: 'gram', run: benchGram },
  { name: 'zeroShot', run: benchZeroShot },
  { name: 'pgd', run: benchPgd },
  { name: 'adamw', run: benchAdamw },
  { name: 'subspace', run: (ctx, opts) => benchSubspace(ctx, opts) },
  { name: 'clip-forward', run: (ctx, opts) => withClipPlan(ctx, (plan) => benchClipForward(ctx, plan, opts)) },
  { name: 'clip-pgd10', run: (ctx, opts) => withClipPlan(ctx, (plan) => benchClipPgd(ctx, plan, opts)) },
  { name: 'clip-tecoa', run: (ctx, opts) => withClipPlan(ctx, (plan) => benchClipTecoa(ctx, plan, opts)) },
  {
    name: 'methods', run: async (ctx, opts) => {
      const engine = flag('methods-engine');
      if (engine !== undefined && engine !== 'exec') throw new RangeError(`--methods-engine=${engine}: only 'exec' (default: the adapter's engine)`);
      const files = await readClipFolder('public/models/tiny-clip'), train = (await loadSplitFromDir('fashion-mnist', 'train')).data;
      return benchMethodSteps(ctx, files, train, opts, { backend: engine });
    },
  },
  // The page's main thread in Chromium (Playwright, the built app): needs no Node GPU context.
  { name: 'responsiveness', run: async () => benchResponsiveness() },
];

async function main() {
  const ctx = await GpuContext.create({ shaders: shaderSources, dawnFlags, label: 'bench' });
  const opts: BenchOptions = quick ? { warmup: 1, runs: 3 } : { warmup: 2, runs: 7 };
  const results: BenchResult[] = [];
  const out = flag('out');
  const doc = (complete: boolean) => ({
    date: new Date().toISOString(),
    adapter: { ...ctx.adapter, features: undefined, limits: undefined },
    adapterName: adapterName(ctx),
    limits: { maxStorageBufferBindingSize: ctx.limits.maxStorageBufferBindingSize, maxBufferSize: ctx.limits.maxBufferSize },
    features: ctx.adapter.features,
    host: { node: process.version, platform: `${process.platform}-${process.arch}`, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? '', memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1) },
    quick,
    args,
    complete,
    results,
  });
  for (const c of cases) {
    if (!selected(c.name)) continue;
    results.push(...(await c.run(ctx, opts)));
    ctx.disposeBuffers();
    // Written after every case, so a run stopped at a time limit still leaves what it measured.
    if (out) writeFileSync(out, JSON.stringify(doc(false), null, 2) + '\n');
  }
  const text = JSON.stringify(doc(true), null, 2);
  console.log(text);
  if (out) writeFileSync(out, text + '\n');
  ctx.destroy();
}

main().then(
  // Exit explicitly: onnxruntime-node's WebGPU EP, once used, can keep the process alive for many seconds.
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
