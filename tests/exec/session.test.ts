/**
 * The executor as a session: errors at build time naming unsupported ops, GPU-buffer feeds and outputs, one submit
 * and no readbacks per run, pipelines cached by shader text across sessions, memory reuse that keeps graph
 * outputs intact, fusion on/off agreement, reused output buffers; and the element-wise generator's self-checks
 * (with a deliberately broken helper shown to fail).
 */
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/onnx/builder';
import { buildClipVisionModel } from '../../src/onnx/clip/build';
import { tinyClipConfig } from '../../src/onnx/clip/config';
import { initClipWeights } from '../../src/onnx/clip/weights';
import { createEngineSession, createExecSession, unsupportedExecOps } from '../../src/onnx/exec';
import { outputToF32 } from '../../src/onnx/run/session';
import { execChecks } from '../../src/onnx/exec/elementwise.check';
import { tensorFromNumbers, type Tensor } from '../../src/onnx/ir';
import { encodeModel } from '../../src/onnx/proto';
import { runCheck } from '../../src/selftest/checks';
import { shaderSources } from '../../src/kernels/shaders';
import { Rng, freshSeed } from '../../src/util/random';
import { validate } from '../../src/util/validate';
import { withGpu } from '../helpers/gpu';
import { runExec, runOrt } from './helpers';

const seed = freshSeed();
console.log(`exec session test seed ${seed} (AOS_SEED=${seed} replays it)`);

/** y = softmax(relu(x·W + b)) with intermediate h exposed; a chain of temporaries after it. */
function chainModel(rng: Rng) {
  const b = new GraphBuilder({ opset: 18 });
  const x = b.input('x', 'float32', ['batch', 8]);
  const w = b.init('W', tensorFromNumbers('float32', rng.uniform(8 * 16), [8, 16]));
  const bias = b.init('b', tensorFromNumbers('float32', rng.uniform(16), [16]));
  const h = b.op('Relu', [b.add(b.matmul(x, w), bias)], {}, { outputs: ['h'] });
  let t = h;
  for (let i = 0; i < 6; i++) t = b.op('Tanh', [b.matmul(b.softmax(t), b.init(`W${i}`, tensorFromNumbers('float32', rng.uniform(16 * 16), [16, 16])))]);
  b.op('Identity', [t], {}, { outputs: ['y'] });
  b.output('y', 'float32', ['batch', 16]);
  b.output('h', 'float32', ['batch', 16]);
  return b.model();
}

describe(`executor session (AOS_SEED=${seed})`, () => {
  it('rejects unsupported ops at build time, naming the op and the node', async () => {
    const b = new GraphBuilder({ opset: 18 });
    const x = b.input('x', 'float32', [2, 3]);
    b.op('Einsum', [x, x], { equation: 'ij,ij->i' }, { name: 'my_einsum', outputs: ['y'] });
    b.output('y', 'float32', [2]);
    const m = b.model();
    expect(unsupportedExecOps(m)).toEqual(["Einsum node 'my_einsum'"]);
    await withGpu(async (ctx) => {
      await expect(createExecSession(ctx, encodeModel(m))).rejects.toThrow(/unsupported op Einsum node 'my_einsum'/);
      const c = new GraphBuilder({ opset: 18 });
      const y = c.input('x', 'float32', [2]);
      c.op('Foo', [y], {}, { name: 'custom', domain: 'com.example', outputs: ['z'] });
      c.output('z', 'float32', [2]);
      await expect(createExecSession(ctx, c.model())).rejects.toThrow(/unsupported op com\.example\.Foo node 'custom'/);
      // A symbolic batch must be fixed.
      await expect(createExecSession(ctx, chainModel(new Rng(seed)))).rejects.toThrow(/batch/);
    });
  });

  it('takes GPU-buffer feeds, returns GPU outputs, one submit and no readback per run, pipelines compiled asynchronously and cached', async () => {
    const rng = new Rng(seed);
    const model = chainModel(rng);
    const B = 5;
    const xv = rng.uniform(B * 8);
    const ref = await runOrt(encodeModel({ ...model, graph: { ...model.graph, inputs: [{ name: 'x', dtype: 'float32', dims: [B, 8] }] } }),
      { x: tensorFromNumbers('float32', xv, [B, 8]) });
    await withGpu(async (ctx) => {
      const progress: Array<[number, number]> = [];
      const s = await createExecSession(ctx, model, { batch: B, label: 'chain', onCompileProgress: (done, total) => progress.push([done, total]) });
      // Every pipeline came from createComputePipelineAsync before the session was prepared, with progress.
      expect(ctx.pipelines.blockingCompiles, 'synchronous compiles').toBe(0);
      expect(progress[0]).toEqual([0, s.pipelineCount]);
      expect(progress.at(-1)).toEqual([s.pipelineCount, s.pipelineCount]);
      expect(s.inputNames).toEqual(['x']);
      expect(s.outputNames).toEqual(['y', 'h']);
      // Temporaries share buffers (liveness), while h (an early output) stays intact.
      const temps = s.plan.allocs.filter((a) => a.kind === 'temp').length;
      expect(s.plan.slots.length).toBeLessThan(temps);
      const xb = ctx.upload('x', xv);
      const before = { ...ctx.stats }, misses = ctx.pipelines.misses;
      const out = await s.run({ x: { gpuBuffer: xb, dtype: 'float32', dims: [B, 8] } });
      expect(ctx.stats.submits - before.submits).toBe(1);
      expect(ctx.stats.readbacks - before.readbacks).toBe(0);
      expect(ctx.pipelines.misses).toBe(misses);
      expect(ctx.pipelines.blockingCompiles, 'a run compiles nothing').toBe(0);
      for (const name of ['y', 'h']) {
        expect(out[name].gpuBuffer).toBeDefined();
        const r = validate(await ctx.readF32(out[name].gpuBuffer!, B * 16), ref[name].data, 1e-5, 1e-5, name);
        expect(r.ok, r.message).toBe(true);
        out[name].dispose();
      }
      // A second session of the same graph compiles nothing new.
      const s2 = await createExecSession(ctx, model, { batch: B, label: 'chain-2', fuse: true });
      expect(ctx.pipelines.misses).toBe(misses);
      expect(s2.pipelineCount).toBe(s.pipelineCount);
      // Feed errors name the input.
      await expect(s.run({ x: { data: new Float32Array(8), dims: [1, 8] } })).rejects.toThrow(/input 'x' has dims \[1,8\]; this session was built for \[5,8\]/);
      await expect(s.run({})).rejects.toThrow(/missing input 'x'/);
      await expect(s.run({ x: { gpuBuffer: xb, dtype: 'int32', dims: [B, 8] } })).rejects.toThrow(/needs a GPU feed of float32/);
      ctx.release(xb);
      await s.release();
      await s2.release();
    });
  });

  it('is selected per session next to onnxruntime behind the same interface', async () => {
    const rng = new Rng(seed + 2);
    const model = chainModel(rng);
    const x = rng.uniform(3 * 8);
    await withGpu(async (ctx) => {
      const outs: Float32Array[] = [];
      for (const engine of ['onnxruntime', 'exec'] as const) {
        const s = await createEngineSession(ctx, encodeModel(model), { engine, batch: 3, label: engine });
        const r = await s.run({ x: { dims: [3, 8], data: x } }, ['y']);
        outs.push(await outputToF32(ctx, r.y));
        r.y.dispose();
        await s.release();
      }
      const r = validate(outs[1], outs[0], 1e-5, 1e-5, 'exec vs onnxruntime engine');
      expect(r.ok, r.message).toBe(true);
    });
  });

  it('reuses its own output buffers when asked, and agrees with fusion off', async () => {
    const rng = new Rng(seed + 1);
    const model = buildClipVisionModel(tinyClipConfig, initClipWeights(tinyClipConfig, { seed, biasStd: 0.1 }), { pattern: 'opset14' });
    const feeds: Record<string, Tensor> = { pixel_values: tensorFromNumbers('float32', rng.uniform(2 * 28 * 28, -1, 1), [2, 1, 28, 28]) };
    await withGpu(async (ctx) => {
      const fused = await runExec(ctx, model, feeds, { batch: 2 });
      const plain = await runExec(ctx, model, feeds, { batch: 2, fuse: false });
      for (const k of Object.keys(fused)) {
        const r = validate(fused[k].data, plain[k].data, 1e-6, 1e-5, `fused vs unfused ${k}`);
        expect(r.ok, r.message).toBe(true);
      }
      const s = await createExecSession(ctx, model, { batch: 2, reuseOutputBuffers: true });
      const f = { pixel_values: { dims: [2, 1, 28, 28], data: feeds.pixel_values.data as Float32Array } };
      const a = await s.run(f);
      const b = await s.run(f, ['image_embeds']);
      expect(Object.keys(b)).toEqual(['image_embeds']);
      expect(b.image_embeds.gpuBuffer).toBe(a.image_embeds.gpuBuffer);
      expect(a.image_embeds.gpuBuffer).not.toBe(a.last_hidden_state.gpuBuffer);
      const r = validate(await ctx.readF32(b.image_embeds.gpuBuffer!, 2 * 32), fused.image_embeds.data, 0, 0, 'reused output');
      expect(r.ok, r.message).toBe(true);
      await s.release();
    });
  });

  it('element-wise generator self-checks pass, and a broken helper fails them', async () => {
    await withGpu(async (ctx) => {
      for (const [i, c] of execChecks.entries()) {
        const r = await runCheck(ctx, c, (seed + i) >>> 0);
        expect(r.ok, r.message).toBe(true);
      }
    });
    // Both branches of erf broken (a draw of few elements can fall entirely in either).
    const broken = shaderSources.exec_common.replace('0.3275911 * a', '0.4275911 * a').replace('1.1283791671 * x * s', '1.1383791671 * x * s');
    expect(broken).not.toBe(shaderSources.exec_common);
    await withGpu(async (ctx) => {
      const r = await runCheck(ctx, execChecks.find((c) => c.name === 'exec/elementwise-erf-sigmoid-tanh')!, seed);
      expect(r.ok, r.message).toBe(false);
    }, { exec_common: broken });
  });
});
