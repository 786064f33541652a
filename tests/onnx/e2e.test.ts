/**
 * End to end: d(loss)/d(token-embedding perturbation) and d(loss)/d(weights) of tiny CLIP-text-tower-like models in
 * both exporter styles match finite differences; recomputation and shared constants give the same gradients; the
 * cache returns one pair per (model, differentiated set, batch).
 */
import { describe, expect, it } from 'vitest';
import { GradientGraphCache, hashModel } from '../../src/onnx/autodiff/cache';
import { buildGradientGraphs, type GradientOptions, type RecomputePolicy } from '../../src/onnx/autodiff/build';
import { buildClipTextModel, buildClipVisionModel } from '../../src/onnx/clip/build';
import { tinyClipConfig, withClipConfig } from '../../src/onnx/clip/config';
import { extractClipWeights, initClipWeights } from '../../src/onnx/clip/weights';
import { tensorFromNumbers, type Tensor } from '../../src/onnx/ir';
import { encodeModel } from '../../src/onnx/proto';
import { Rng, freshSeed } from '../../src/util/random';
import { gradCheck, type FloatType } from './gradcheck';
import { run, values } from './ort';
import { tinyClip } from './tiny-clip';

const seed = freshSeed();
const BATCH = 2;

/** BATCH rows of T token ids: random tokens, the EOS id (the largest) at position 3 + 2·row, padding 0 after it. */
function tokenIds(rng: Rng, T: number, eos: number): number[] {
  const ids: number[] = [];
  for (let row = 0; row < BATCH; row++) for (let t = 0; t < T; t++) ids.push(t < 3 + 2 * row ? rng.int(1, eos) : t === 3 + 2 * row ? eos : 0);
  return ids;
}

describe(`end-to-end gradients of a tiny CLIP text tower (AOS_SEED=${seed})`, () => {
  const configs: { style: 'torchscript' | 'dynamo'; gelu: 'erf' | 'tanh'; dtype: FloatType }[] = [
    { style: 'torchscript', gelu: 'tanh', dtype: 'float64' },
    { style: 'torchscript', gelu: 'erf', dtype: 'float32' },
    { style: 'dynamo', gelu: 'tanh', dtype: 'float64' },
    { style: 'dynamo', gelu: 'erf', dtype: 'float32' },
  ];
  configs.forEach(({ style, gelu, dtype }, k) => {
    it(`${style} export, GELU via ${gelu}: inputs and weights match finite differences in ${dtype}`, async () => {
      const s = (seed + k * 0x9e3779b1) >>> 0;
      const probe = tinyClip(style, gelu, dtype, new Rng(s), BATCH);
      const r = await gradCheck({
        build: (dt, rng) => {
          const m = tinyClip(style, gelu, dt, rng, BATCH);
          return { model: m.model, feeds: m.feeds };
        },
        options: { wrt: probe.names.weights, perturb: [probe.names.tokenEmbeds], batch: BATCH },
        dtype,
      }, s);
      if (process.env.GRADCHECK_VERBOSE) console.log(style, gelu, r.message);
      expect(r.dtype).toBe(dtype);
      expect(r.ok, r.message).toBe(true);
      expect(r.checks.length).toBe(2 * (probe.names.weights.length + 1));
    });
  });

  // The CLIP towers of src/onnx/clip (HF layout, both export patterns): every weight, plus the pixels (vision) or a
  // token-embedding perturbation (text), against finite differences (float32: Conv and Erf have no float64 kernels).
  const towers: { tower: 'vision' | 'text'; pattern: 'opset14' | 'opset18'; activation: 'quick_gelu' | 'gelu' }[] = [
    { tower: 'vision', pattern: 'opset14', activation: 'quick_gelu' },
    { tower: 'text', pattern: 'opset18', activation: 'gelu' },
  ];
  towers.forEach(({ tower, pattern, activation }, k) => {
    it(`CLIP ${tower} tower (${pattern}, ${activation}): all weights and the ${tower === 'vision' ? 'pixels' : 'token embeddings'}`, async () => {
      const cfg = withClipConfig(tinyClipConfig, { activation });
      const s = (seed + 101 * (k + 1)) >>> 0;
      const weights = initClipWeights(cfg, { seed: s, biasStd: 0.1 });
      const model = tower === 'vision' ? buildClipVisionModel(cfg, weights, { pattern }) : buildClipTextModel(cfg, weights, { pattern });
      const names = [...extractClipWeights(model).keys()];
      const tok = model.graph.nodes.find((n) => n.op === 'Gather' && n.inputs[0].includes('token_embedding'))?.outputs[0];
      const T = cfg.text.contextLength, S = cfg.imageSize;
      const r = await gradCheck({
        build: (_dt, rng) => ({
          model,
          feeds: (tower === 'vision'
            ? { pixel_values: tensorFromNumbers('float32', rng.uniform(BATCH * cfg.channels * S * S, 0, 1), [BATCH, cfg.channels, S, S]) }
            : { input_ids: tensorFromNumbers('int64', tokenIds(rng, T, cfg.text.vocabSize - 1), [BATCH, T]) }) as Record<string, Tensor>,
        }),
        options: {
          wrt: tower === 'vision' ? [...names, 'pixel_values'] : names,
          perturb: tower === 'text' ? [tok!] : [],
          outputs: [model.graph.outputs[0].name],
          batch: BATCH,
        },
        dtype: 'float32',
        directions: 1,
      }, s);
      expect(r.ok, r.message).toBe(true);
      expect(r.checks.length).toBe(names.length + 1);
    });
  });

  it('folds every shape sub-graph away and saves only what the backward reads', () => {
    const { model, names } = tinyClip('torchscript', 'erf', 'float32', new Rng(seed), BATCH);
    const g = buildGradientGraphs(model, { wrt: names.weights, perturb: [names.tokenEmbeds], batch: BATCH });
    const ops = new Set(g.forward.graph.nodes.map((n) => n.op));
    for (const op of ['Shape', 'Range', 'Concat', 'Unsqueeze', 'ConstantOfShape', 'Less', 'Constant']) {
      expect(ops.has(op), `${op} left in the forward graph`).toBe(false);
    }
    expect(g.forward.graph.nodes.length).toBeLessThan(model.graph.nodes.length * 0.75);
    expect(g.perturbations).toEqual({ token_embeds: 'token_embeds_perturbation' });
    expect(g.wrt).toEqual([...names.weights, 'token_embeds_perturbation']);
    expect(Object.values(g.gradOutputs)).toEqual(g.wrt.map((w) => `grad_${w}`));
    expect(g.gradInputs).toEqual({ text_embeds: 'grad_text_embeds' });
    expect(g.backward.graph.inputs.map((v) => v.name)).toEqual([...g.savedNames, ...g.forwardInputsUsed, 'grad_text_embeds']);
    expect(g.forward.graph.outputs.map((v) => v.name)).toEqual(['text_embeds', ...g.savedNames]);
    expect(g.forward.graph.inputs.every((v) => v.dims!.every((d) => typeof d === 'number'))).toBe(true);
  });

  it('recomputation and shared constants give the same gradients with fewer saved activations', async () => {
    const rng = new Rng(seed + 7);
    const { model, feeds, names } = tinyClip('dynamo', 'tanh', 'float64', rng, BATCH);
    const base: GradientOptions = { wrt: names.weights.slice(0, 3), perturb: [names.tokenEmbeds], batch: BATCH };
    const upstream = Float64Array.from(rng.normal(BATCH * 6));
    const gradsFor = async (recompute: RecomputePolicy, shareConstants = false) => {
      const g = buildGradientGraphs(model, { ...base, recompute, shareConstants });
      const f: Record<string, Tensor> = { ...feeds, ...Object.fromEntries(g.initialValues) };
      const t = g.shapes.get('token_embeds_perturbation')!;
      f.token_embeds_perturbation = { dtype: t.dtype, dims: t.dims, data: new Float64Array(t.dims.reduce((a, b) => a * b, 1)) };
      const fwd = await run(g.forward, f);
      const bf: Record<string, Tensor> = { ...f, ...fwd, grad_text_embeds: { dtype: 'float64', dims: [BATCH, 6], data: upstream } };
      for (const c of g.constantInputs) bf[c] = g.forward.graph.initializers.get(c)!;
      const out = await run(g.backward, bf);
      return { saved: g.savedNames.length, grads: g.wrt.map((w) => Array.from(values(out[`grad_${w}`]))), g };
    };
    const none = await gradsFor('none');
    for (const policy of ['all', 'cheap'] as const) {
      const other = await gradsFor(policy);
      expect(other.saved).toBeLessThan(none.saved);
      if (policy === 'all') expect(other.saved).toBe(0);
      other.grads.forEach((gr, i) => gr.forEach((v, j) => expect(Math.abs(v - none.grads[i][j])).toBeLessThan(1e-9 * (1 + Math.abs(v)))));
    }
    const shared = await gradsFor('none', true);
    expect(shared.g.constantInputs.length).toBeGreaterThan(0);
    expect(shared.g.backward.graph.initializers.size).toBeLessThan(none.g.backward.graph.initializers.size);
  });

  it('caches one forward/backward pair per (model, differentiated set, outputs, batch)', () => {
    const { model, names } = tinyClip('dynamo', 'erf', 'float32', new Rng(seed), BATCH);
    const cache = new GradientGraphCache(4);
    const bytes = encodeModel(model);
    const a = cache.get(model, { wrt: names.weights.slice(0, 2), batch: 2 });
    expect(cache.get(model, { wrt: [...names.weights.slice(0, 2)].reverse(), batch: 2 })).toBe(a);
    expect(cache.get(model, { wrt: names.weights.slice(0, 2), batch: 3 })).not.toBe(a);
    expect(cache.get(model, { wrt: names.weights.slice(0, 3), batch: 2 })).not.toBe(a);
    // the same model as bytes has a different identity (bytes are hashed as bytes), but the IR hash is stable
    expect(hashModel(model)).toBe(hashModel(model));
    expect(cache.get(bytes, { wrt: names.weights.slice(0, 2), batch: 2 }).forwardBytes()).toBe(cache.get(bytes, { wrt: names.weights.slice(0, 2), batch: 2 }).forwardBytes());
    expect(cache.size).toBe(4);
    cache.get(model, { wrt: names.weights.slice(0, 1), batch: 2 });
    expect(cache.size).toBe(4); // least recently used dropped
    expect(a.forwardBytes().length).toBeGreaterThan(0);
    expect(a.backwardBytes()).toBe(a.backwardBytes());
  });
});
