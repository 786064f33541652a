/**
 * The attack model on both engines: our executor (saved activations in the session's reused buffers, no copies per
 * step) gives the embeddings and input gradients onnxruntime-node gives, and refuses a backward whose forward's
 * activations were overwritten by a later forward (never a silently wrong gradient).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/context';
import { Rng, freshSeed } from '../../src/util/random';
import { validate } from '../../src/util/validate';
import { testContext, tinyTask, type TinyTask } from './setup';

const seed = freshSeed();
const BATCH = 3, CLASSES = 3;

describe(`attack model engines (AOS_SEED=${seed})`, () => {
  let ctx: GpuContext;
  let ort: TinyTask, exec: TinyTask;

  beforeAll(async () => {
    ctx = await testContext();
    ort = await tinyTask(ctx, seed, BATCH, CLASSES, 100, 'onnxruntime');
    exec = await tinyTask(ctx, seed, BATCH, CLASSES, 100, 'exec');
  });
  afterAll(async () => {
    await ort?.model.release();
    await exec?.model.release();
    ctx?.disposeBuffers();
  });

  async function gradient(t: TinyTask, up: GPUBuffer): Promise<{ e: Float32Array; g: Float32Array }> {
    const m = t.model;
    const embeds = ctx.buffer('test.e', BATCH * m.dim * 4), grad = ctx.buffer('test.g', BATCH * m.n * 4);
    const state = await m.forward(t.pixelsBuf, embeds);
    await m.backward(state, up, grad);
    const r = { e: await ctx.readF32(embeds, BATCH * m.dim), g: await ctx.readF32(grad, BATCH * m.n) };
    ctx.release(embeds, grad);
    return r;
  }

  it('exec and onnxruntime agree on embeddings and input gradients, step after step', async () => {
    const rng = new Rng(seed);
    for (let step = 0; step < 2; step++) {
      const up = ctx.upload('test.up', rng.normal(BATCH * exec.model.dim));
      const a = await gradient(ort, up), b = await gradient(exec, up);
      ctx.release(up);
      const scale = Math.max(...a.g.map(Math.abs));
      const ve = validate(b.e, a.e, 1e-5, 1e-4, `embeds step ${step}`);
      const vg = validate(b.g, a.g, 1e-4 * scale, 1e-3, `grad step ${step}`);
      expect(ve.ok, ve.message).toBe(true);
      expect(vg.ok, vg.message).toBe(true);
    }
  });

  it('a backward after another forward is refused on the executor', async () => {
    const m = exec.model;
    const embeds = ctx.buffer('test.e', BATCH * m.dim * 4), grad = ctx.buffer('test.g', BATCH * m.n * 4);
    const up = ctx.upload('test.up', new Float32Array(BATCH * m.dim).fill(1));
    const state = await m.forward(exec.pixelsBuf, embeds);
    await m.embed(exec.pixelsBuf, embeds);
    await expect(m.backward(state, up, grad)).rejects.toThrow(/another forward ran between/);
    // The next pair works again.
    await m.backward(await m.forward(exec.pixelsBuf, embeds), up, grad);
    ctx.release(embeds, grad, up);
  });
});
