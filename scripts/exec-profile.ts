/**
 * Which kernels dominate our executor on a CLIP vision tower: per-dispatch GPU timestamps of one run, grouped by
 * kernel (entry point + op), beside the wall time of a whole run (the gap is per-dispatch overhead).
 *
 *   node --import tsx --import ./scripts/raw-loader.mjs scripts/exec-profile.ts --shape=tiny --batch=64 [--graph=forward|attack] [--top=20]
 */
import { GpuContext } from '../src/gpu/context';
import { shaderSources } from '../src/kernels/shaders';
import { GradientGraphCache } from '../src/onnx/autodiff/cache';
import { createExecSession, type ExecSession } from '../src/onnx/exec/session';
import type { SessionFeed } from '../src/onnx/run/session';
import { Rng } from '../src/util/random';
import { CLIP_SHAPES } from '../bench/clipShapes';
import { visionModel } from '../bench/clip';
import { scriptFlags, numberFlag } from './cli';

const flags = scriptFlags();
const shape = CLIP_SHAPES[flags.shape ?? 'tiny'];
const batch = numberFlag(flags, 'batch', 64);
const graph = flags.graph ?? 'forward';
const top = numberFlag(flags, 'top', 25);
const runs = numberFlag(flags, 'runs', 5);

const ctx = await GpuContext.create({ shaders: shaderSources });
const c = shape.config;
const dims = [batch, c.channels, c.imageSize, c.imageSize];
const pixels = ctx.upload('pixels', new Rng(1).uniform(batch * c.channels * c.imageSize * c.imageSize, 0, 1));

function kind(label: string): string {
  // "MatMul '/vision_model/encoder/layers.0/...' + Add '...' [main_c]" → "MatMul + Add [main_c]"
  return label.replace(/'[^']*'/g, '').replace(/\.contiguous/g, ' contiguous').replace(/\s+/g, ' ').trim();
}

async function wall(run: () => Promise<unknown>): Promise<number> {
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await run();
    await ctx.finish();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return t[t.length >> 1];
}

async function report(name: string, s: ExecSession, feeds: Record<string, SessionFeed>): Promise<void> {
  await s.run(feeds);
  const w = await wall(async () => {
    const o = await s.run(feeds);
    for (const v of Object.values(o)) v.dispose();
  });
  // Per dispatch, the minimum over `runs` profiled runs (the machine is shared: medians wander with the load).
  let prof = await s.profile(feeds);
  for (let i = 1; i < runs; i++) {
    const next = await s.profile(feeds);
    prof = prof.map((p, k) => ({ label: p.label, ns: Math.min(p.ns, next[k].ns) }));
  }
  const total = prof.reduce((a, p) => a + p.ns, 0) / 1e6;
  const groups = new Map<string, { n: number; ms: number }>();
  for (const p of prof) {
    const k = kind(p.label);
    const g = groups.get(k) ?? { n: 0, ms: 0 };
    g.n++;
    g.ms += p.ns / 1e6;
    groups.set(k, g);
  }
  if (flags.dispatches) for (const p of prof) console.log(`${(p.ns / 1e6).toFixed(3).padStart(9)} ms  ${p.label}`);
  console.log(`\n== ${name}: ${s.commandCount} commands (${prof.length} dispatches), ${s.pipelineCount} pipelines; wall median ${w.toFixed(1)} ms, GPU sum of per-dispatch minima ${total.toFixed(1)} ms`);
  for (const [k, g] of [...groups].sort((a, b) => b[1].ms - a[1].ms).slice(0, top)) {
    console.log(`${g.ms.toFixed(2).padStart(9)} ms ${((100 * g.ms) / total).toFixed(1).padStart(5)} %  ×${String(g.n).padStart(3)}  ${k}`);
  }
}

if (graph === 'forward') {
  const s = await createExecSession(ctx, visionModel(shape, batch), { batch, reuseOutputBuffers: true });
  await report(`${shape.name} forward, batch ${batch}`, s, { pixel_values: { gpuBuffer: pixels, dtype: 'float32', dims } });
} else {
  const pair = new GradientGraphCache().get(visionModel(shape), { wrt: ['pixel_values'], outputs: ['image_embeds'], batch });
  const fwd = await createExecSession(ctx, pair.forwardBytes(), { batch, reuseOutputBuffers: true, label: 'fwd' });
  const bwd = await createExecSession(ctx, pair.backwardBytes(), { batch, reuseOutputBuffers: true, label: 'bwd' });
  const feeds = { pixel_values: { gpuBuffer: pixels, dtype: 'float32' as const, dims } };
  await report(`${shape.name} attack forward (+saved), batch ${batch}`, fwd, feeds);
  const outs = await fwd.run(feeds);
  const bfeeds: Record<string, SessionFeed> = {};
  for (const name of bwd.inputNames) {
    const o = outs[name];
    if (o?.gpuBuffer) bfeeds[name] = { gpuBuffer: o.gpuBuffer, dtype: o.dtype as 'float32', dims: o.dims };
    else if (name === 'pixel_values') bfeeds[name] = feeds.pixel_values;
    else {
      const d = pair.shapes.get(name.replace(/^grad_/, ''))!.dims;
      bfeeds[name] = { gpuBuffer: ctx.upload(name, new Rng(2).normal(d.reduce((a, b) => a * b, 1))), dtype: 'float32', dims: d };
    }
  }
  await report(`${shape.name} attack backward, batch ${batch}`, bwd, bfeeds);
}
process.exit(0);
