/**
 * The fine-tuning model on our executor ('exec': weights as per-tensor GPU buffers) against onnxruntime-node
 * ('node-cpu'), from the same weights: vision and text embeddings, input gradients and the accumulated weight
 * gradients of both towers agree, before and after an optimiser update (which must reach the executor's weights);
 * on the executor the weight gradients are accumulated on the GPU (no readback).
 */
import { describe, expect, it } from 'vitest';
import { FineTuneModel } from '../../src/methods/model';
import { initClipWeights } from '../../src/onnx/clip/weights';
import { Rng, freshSeed } from '../../src/util/random';
import { validate } from '../../src/util/validate';
import { withGpu } from '../helpers/gpu';
import { CONSTANTS, cfg } from './setup';

const seed = freshSeed();

describe(`FineTuneModel on exec vs onnxruntime-node (AOS_SEED=${seed})`, () => {
  it('embeddings, input gradients and weight gradients agree; updates reach the executor', async () => {
    await withGpu(async (ctx) => {
      const rng = new Rng(seed);
      const weights = initClipWeights(cfg, { seed: seed % 1000, biasStd: 0.02 });
      const make = (backend: 'exec' | 'node-cpu') => FineTuneModel.create(ctx, {
        config: cfg, weights, constants: CONSTANTS, train: { vision: true, text: true }, optimizer: { kind: 'adamw', weightDecay: 0, maxGradNorm: 1 }, backend,
      });
      const ort = await make('node-cpu'), exec = await make('exec');
      expect(exec.backend).toBe('exec');
      const B = 3, T = cfg.text.contextLength;
      const pixels = rng.uniform(B * exec.pixelsPerImage, 0, 1);
      const ids = BigInt64Array.from({ length: B * T }, (_, i) => BigInt(i % T === T - 1 ? cfg.text.vocabSize - 1 : rng.int(1, cfg.text.vocabSize - 2)));
      const close = (a: ArrayLike<number>, b: ArrayLike<number>, what: string) => {
        const scale = Math.max(...Array.from(b, Math.abs), 1e-12);
        const r = validate(a, b, 1e-4 * scale, 1e-3, what);
        expect(r.ok, r.message).toBe(true);
      };
      for (const step of [1, 2]) {
        const g = rng.normal(B * cfg.projectionDim);
        const per: Record<string, Float32Array | undefined> = {};
        for (const [name, m] of [['ort', ort], ['exec', exec]] as const) {
          m.zeroGrad();
          const v = await m.visionForward(pixels, B, { keep: true });
          per[`${name}.ve`] = v.embeds;
          per[`${name}.vg`] = await m.visionBackward(v.state!, g, { pixels: true, weights: true });
          const t = await m.textForward(ids, B, undefined, { keep: true });
          per[`${name}.te`] = t.embeds;
          per[`${name}.tg`] = await m.textBackward(t.state!, g, { delta: true, weights: true });
          per[`${name}.wv`] = await m.tower('vision').gradients();
          per[`${name}.wt`] = await m.tower('text').gradients();
        }
        for (const k of ['ve', 'vg', 'te', 'tg', 'wv', 'wt']) close(per[`exec.${k}`]!, per[`ort.${k}`]!, `step ${step} ${k}`);
        await ort.update(step, { vision: 1e-2, text: 1e-2 });
        await exec.update(step, { vision: 1e-2, text: 1e-2 });
      }
      // On the executor, weight gradients stay on the GPU: a weights-only backward reads nothing back.
      exec.zeroGrad();
      const v = await exec.visionForward(pixels, B, { keep: true });
      const before = ctx.stats.readbacks;
      await exec.visionBackward(v.state!, rng.normal(B * cfg.projectionDim), { weights: true });
      expect(ctx.stats.readbacks - before, 'readbacks of a weights-only backward on the executor').toBe(0);
      expect(exec.tower('vision').deviceGradients, 'the gradient is in the GPU accumulator').toBeDefined();
      // The attack's pixel gradient can go straight into a GPU buffer: no readback, the same values.
      const g2 = rng.normal(B * cfg.projectionDim), n = B * exec.pixelsPerImage;
      const into = ctx.buffer('test.pixelGrad', n * 4);
      for (const m of [exec, ort]) {
        const f1 = await m.visionForward(pixels, B, { keep: true });
        const r0 = ctx.stats.readbacks;
        await m.visionBackward(f1.state!, g2, { pixelsInto: into });
        if (m === exec) expect(ctx.stats.readbacks - r0, 'readbacks of a pixel gradient into a GPU buffer').toBe(0);
        const f2 = await m.visionForward(pixels, B, { keep: true });
        close(await ctx.readF32(into, n), (await m.visionBackward(f2.state!, g2, { pixels: true }))!, `pixelsInto ${m.backend}`);
      }
      ctx.release(into);
      // The prompt attack's δ as a GPU buffer and its gradient into one: the same values as host arrays, and on the
      // executor no readback for the gradient.
      const pd = B * T * exec.textWidth, delta = rng.normal(pd, 0.1), gT = rng.normal(B * cfg.projectionDim);
      const deltaBuf = ctx.upload('test.delta', delta), deltaGrad = ctx.buffer('test.deltaGrad', pd * 4);
      for (const m of [exec, ort]) {
        const onHost = await m.textForward(ids, B, delta, { keep: true });
        const onGpu = await m.textForward(ids, B, deltaBuf, { keep: true });
        close(onGpu.embeds, onHost.embeds, `text embeds, δ on the GPU, ${m.backend}`);
        const r0 = ctx.stats.readbacks;
        await m.textBackward(onGpu.state!, gT, { deltaInto: deltaGrad });
        if (m === exec) expect(ctx.stats.readbacks - r0, 'readbacks of a δ gradient into a GPU buffer').toBe(0);
        close(await ctx.readF32(deltaGrad, pd), (await m.textBackward(onHost.state!, gT, { delta: true }))!, `deltaInto ${m.backend}`);
      }
      ctx.release(deltaBuf, deltaGrad);
      await ort.release();
      await exec.release();
    });
  });
});
