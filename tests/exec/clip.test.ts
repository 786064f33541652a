/**
 * End to end on the tiny CLIP towers (src/onnx/clip, both op patterns): the executor's forward outputs, and the
 * forward + backward graphs from GradientGraphCache (w.r.t. pixel values / a token-embedding perturbation and a few
 * weights), agree with onnxruntime-node.
 *
 * Tolerance: |diff| ≤ 1e-4 + 1e-3·|ref| for forward outputs and gradients (float32 on both sides; the graphs chain
 * ~100–300 ops, summation orders differ, Erf is approximated to 1.5e-7). Observed max |diff| is printed per check.
 */
import { describe, expect, it } from 'vitest';
import { GradientGraphCache } from '../../src/onnx/autodiff/cache';
import { buildClipTextModel, buildClipVisionModel, type ClipPattern } from '../../src/onnx/clip/build';
import { tinyClipConfig, withClipConfig, type ClipActivation } from '../../src/onnx/clip/config';
import { extractClipWeights, initClipWeights } from '../../src/onnx/clip/weights';
import { createExecSession } from '../../src/onnx/exec';
import { tensorFromNumbers, type Model, type Tensor } from '../../src/onnx/ir';
import type { SessionFeed } from '../../src/onnx/run/session';
import { Rng, freshSeed } from '../../src/util/random';
import { validate, type ValidateResult } from '../../src/util/validate';
import { withGpu } from '../helpers/gpu';
import { clipIds } from '../clip/helpers';
import { runExec, runOrt } from './helpers';

const seed = freshSeed();
console.log(`exec clip test seed ${seed} (AOS_SEED=${seed} replays it)`);

const ATOL = 1e-4;
const RTOL = 1e-3;
const B = 2;
const VERBOSE = !!process.env.EXEC_VERBOSE;

const CASES: { pattern: ClipPattern; activation: ClipActivation; recompute: 'none' | 'all' | 'cheap'; shareConstants: boolean }[] = [
  { pattern: 'opset14', activation: 'quick_gelu', recompute: 'none', shareConstants: false },
  { pattern: 'opset18', activation: 'gelu', recompute: 'none', shareConstants: false },
  // The backward recomputes the forward (every forward op runs in it too) and reads the forward's constants as inputs.
  { pattern: 'opset14', activation: 'gelu', recompute: 'all', shareConstants: true },
  { pattern: 'opset18', activation: 'quick_gelu', recompute: 'cheap', shareConstants: false },
];

function towers(pattern: ClipPattern, activation: ClipActivation, s: number) {
  const cfg = withClipConfig(tinyClipConfig, { activation });
  const w = initClipWeights(cfg, { seed: s, biasStd: 0.1 });
  return {
    cfg,
    vision: buildClipVisionModel(cfg, w, { pattern }),
    text: buildClipTextModel(cfg, w, { pattern }),
  };
}

function inputs(tower: 'vision' | 'text', cfg: ReturnType<typeof towers>['cfg'], rng: Rng): Record<string, Tensor> {
  if (tower === 'vision') {
    const dims = [B, cfg.channels, cfg.imageSize, cfg.imageSize];
    return { pixel_values: tensorFromNumbers('float32', rng.uniform(dims.reduce((a, b) => a * b, 1), -2, 2), dims) };
  }
  const T = cfg.text.contextLength;
  const { ids } = clipIds(rng, B, T, cfg.text.vocabSize);
  return { input_ids: { dtype: 'int64', dims: [B, T], data: ids } };
}

function compareAll(got: Record<string, { data: ArrayLike<number> }>, ref: Record<string, { data: ArrayLike<number> }>, names: string[], what: string): ValidateResult[] {
  return names.map((n) => {
    const r = got[n] ? validate(got[n].data, ref[n].data, ATOL, RTOL, `${what} ${n}`) : validate([], ref[n].data, ATOL, RTOL, `${what} ${n} missing`);
    if (VERBOSE) console.log(r.message);
    return r;
  });
}

function expectOk(rs: ValidateResult[]): void {
  const bad = rs.filter((r) => !r.ok);
  expect(bad.map((r) => r.message).join('\n'), bad.map((r) => r.message).join('\n')).toBe('');
}

describe(`executor on the tiny CLIP towers vs onnxruntime-node (AOS_SEED=${seed})`, () => {
  CASES.forEach(({ pattern, activation, recompute, shareConstants }, k) => {
    if (k < 2) it(`forward: vision and text towers (${pattern}, ${activation})`, async () => {
      const s = (seed + 17 * k) >>> 0;
      const rng = new Rng(s);
      const t = towers(pattern, activation, s);
      await withGpu(async (ctx) => {
        const rs: ValidateResult[] = [];
        for (const tower of ['vision', 'text'] as const) {
          const model: Model = t[tower];
          const feeds = inputs(tower, t.cfg, rng);
          const ref = await runOrt(model, feeds);
          const got = await runExec(ctx, model, feeds, { batch: B, label: `${tower}-${pattern}` });
          rs.push(...compareAll(got, ref, Object.keys(ref), `${tower} ${pattern}`));
        }
        expectOk(rs);
      });
    });

    it(`forward + backward graphs from GradientGraphCache (${pattern}, ${activation}, recompute ${recompute}${shareConstants ? ', shared constants' : ''})`, async () => {
      const s = (seed + 31 * k + 5) >>> 0;
      const rng = new Rng(s);
      const t = towers(pattern, activation, s);
      const cache = new GradientGraphCache();
      await withGpu(async (ctx) => {
        const rs: ValidateResult[] = [];
        for (const tower of ['vision', 'text'] as const) {
          const model: Model = t[tower];
          const names = [...extractClipWeights(model).keys()];
          const pick = names.filter((n) => /patch_embedding|layers\.0\.self_attn\.q_proj\.weight|layers\.1\.mlp\.fc1|post_layernorm\.weight|final_layer_norm\.bias|projection|token_embedding/.test(n));
          const tok = model.graph.nodes.find((n) => n.op === 'Gather' && n.inputs[0].includes('token_embedding'))?.outputs[0];
          const pair = cache.get(model, {
            wrt: tower === 'vision' ? [...pick, 'pixel_values'] : pick,
            perturb: tower === 'text' ? [tok!] : [],
            outputs: [model.graph.outputs[0].name],
            batch: B,
            recompute,
            shareConstants,
          });
          const feeds: Record<string, Tensor> = { ...inputs(tower, t.cfg, rng), ...Object.fromEntries(pair.initialValues) };
          for (const p of Object.values(pair.perturbations)) {
            const info = pair.shapes.get(p)!;
            feeds[p] = tensorFromNumbers('float32', rng.uniform(info.dims.reduce((a, b) => a * b, 1), -0.01, 0.01), info.dims);
          }
          const fwdBytes = pair.forwardBytes(), bwdBytes = pair.backwardBytes();
          const fRef = await runOrt(fwdBytes, feeds);
          const fwd = await createExecSession(ctx, fwdBytes, { label: `${tower}-${pattern}-forward` });
          // Shared constants (shape tensors among them) are fixed when the backward session is built.
          const constants = new Map(pair.constantInputs.map((n) => [n, pair.forward.graph.initializers.get(n)!]));
          const bwd = await createExecSession(ctx, bwdBytes, { label: `${tower}-${pattern}-backward`, constants });
          try {
            // Forward: every output (embeddings and the saved activations), read back.
            const ff: Record<string, SessionFeed> = {};
            for (const n of fwd.inputNames) ff[n] = { dims: feeds[n].dims, data: feeds[n].data as Float32Array };
            const fOut = await fwd.run(ff);
            const fGot: Record<string, { data: Float32Array | Int32Array }> = {};
            for (const [n, o] of Object.entries(fOut)) {
              fGot[n] = { data: o.dtype === 'float32' ? await ctx.readF32(o.gpuBuffer!) : new Int32Array((await ctx.readU32(o.gpuBuffer!)).buffer) };
              fGot[n].data = fGot[n].data.subarray(0, o.dims.reduce((a, b) => a * b, 1));
            }
            rs.push(...compareAll(fGot, fRef, Object.keys(fRef), `${tower} ${pattern} forward`));
            // Backward on onnxruntime's forward tensors (both sides read the same inputs).
            const upstream: Record<string, Tensor> = {};
            for (const [o, g] of Object.entries(pair.gradInputs)) {
              const info = pair.shapes.get(o)!;
              upstream[g] = tensorFromNumbers('float32', rng.normal(info.dims.reduce((a, b) => a * b, 1)), info.dims);
            }
            const bFeeds: Record<string, Tensor> = { ...upstream };
            for (const n of pair.forwardInputsUsed) bFeeds[n] = feeds[n];
            for (const n of pair.constantInputs) bFeeds[n] = pair.forward.graph.initializers.get(n)!;
            for (const n of pair.savedNames) {
              const info = pair.shapes.get(n)!;
              const d = fRef[n].data;
              bFeeds[n] = info.dtype === 'int64'
                ? { dtype: 'int64', dims: info.dims, data: BigInt64Array.from(d, (v) => BigInt(v)) }
                : tensorFromNumbers('float32', d, info.dims);
            }
            const bRef = await runOrt(bwdBytes, bFeeds);
            const bGot = await runExec(ctx, bwdBytes, bFeeds, { label: `${tower}-${pattern}-backward-cpu`, constants });
            rs.push(...compareAll(bGot, bRef, Object.values(pair.gradOutputs), `${tower} ${pattern} backward`));
            // Chained on the GPU: the executor's forward outputs feed its backward as GPU buffers (no readback).
            const bf: Record<string, SessionFeed> = {};
            for (const n of bwd.inputNames) {
              if (fOut[n]) bf[n] = { dims: fOut[n].dims, gpuBuffer: fOut[n].gpuBuffer!, dtype: fOut[n].dtype as 'float32' | 'int32' };
              else if (bFeeds[n].dtype === 'int64') bf[n] = { dims: bFeeds[n].dims, data: bFeeds[n].data as BigInt64Array };
              else bf[n] = { dims: bFeeds[n].dims, data: bFeeds[n].data as Float32Array };
            }
            const readsBefore = ctx.stats.readbacks, submitsBefore = ctx.stats.submits;
            const bOut = await bwd.run(bf);
            expect(ctx.stats.submits - submitsBefore).toBe(1);
            expect(ctx.stats.readbacks - readsBefore).toBe(0);
            const chained: Record<string, { data: Float32Array }> = {};
            for (const [n, o] of Object.entries(bOut)) chained[n] = { data: (await ctx.readF32(o.gpuBuffer!)).subarray(0, o.dims.reduce((a, b) => a * b, 1)) };
            rs.push(...compareAll(chained, bRef, Object.values(pair.gradOutputs), `${tower} ${pattern} backward (chained on GPU)`));
            for (const o of [...Object.values(fOut), ...Object.values(bOut)]) o.dispose();
          } finally {
            await fwd.release();
            await bwd.release();
          }
        }
        expectOk(rs);
      });
    });
  });
});
