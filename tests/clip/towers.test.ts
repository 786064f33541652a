/**
 * CLIP towers built by src/onnx/clip: both op patterns of the tiny model run in onnxruntime-node with the
 * transformers.js names and shapes, match the float64 reference, agree with each other, pool at the EOS position,
 * respect the causal mask, survive decode → encode, and take new weights by HF name.
 *
 * Tolerance (float32 graph vs float64 reference, outputs of magnitude ~1–5): |diff| ≤ 2e-5 + 2e-4·|ref|; observed
 * max |diff| ≈ 1e-6.
 */
import { describe, expect, it } from 'vitest';
import { buildClipTextModel, buildClipVisionModel, CAUSAL_MASK_NAME, type ClipPattern } from '../../src/onnx/clip/build';
import { clipDims, tinyClipConfig, withClipConfig, type ClipConfig } from '../../src/onnx/clip/config';
import { clipTextReference, clipVisionReference } from '../../src/onnx/clip/reference';
import { clipWeightShapes, extractClipWeights, initClipWeights } from '../../src/onnx/clip/weights';
import { cloneModel, type Model } from '../../src/onnx/ir';
import { simplify } from '../../src/onnx/passes';
import { decodeModel, encodeModel } from '../../src/onnx/proto';
import { inferShapes } from '../../src/onnx/shapes';
import { withNewWeights } from '../../src/onnx/surgery';
import { Rng, freshSeed } from '../../src/util/random';
import { validate } from '../../src/util/validate';
import { clipIds, maxDiff, runText, runVision, sameBytes, session } from './helpers';

const seed = freshSeed();
console.log(`clip towers test seed ${seed} (AOS_SEED=${seed} replays it)`);

const ATOL = 2e-5;
const RTOL = 2e-4;
const PATTERNS: ClipPattern[] = ['opset14', 'opset18'];

const cfg = (activation: ClipConfig['activation']): ClipConfig => withClipConfig(tinyClipConfig, { activation });

function pixelsFor(c: ClipConfig, rng: Rng, B: number): { pixels: Float32Array; dims: number[] } {
  const dims = [B, c.channels, c.imageSize, c.imageSize];
  return { pixels: rng.uniform(dims.reduce((a, b) => a * b, 1), -2, 2), dims };
}

function ops(m: Model): Set<string> {
  return new Set(m.graph.nodes.map((n) => n.op));
}

function expectOk(r: { ok: boolean; message: string }): void {
  expect(r.ok, r.message).toBe(true);
}

describe('CLIP weights', () => {
  it('are initialised like CLIP, per tensor from (seed, name), and checked against the config', () => {
    const c = cfg('quick_gelu');
    const w = initClipWeights(c, { seed });
    expect([...w.keys()]).toEqual([...clipWeightShapes(c).keys()]);
    for (const [name, dims] of clipWeightShapes(c)) expect(w.get(name)!.dims, name).toEqual(dims);
    const std = (name: string): number => {
      const v = w.get(name)!.data as Float32Array;
      let s = 0;
      for (const x of v) s += x * x;
      return Math.sqrt(s / v.length);
    };
    const D = 32, L = 2;
    expect(std('vision_model.encoder.layers.1.self_attn.q_proj.weight') / (D ** -0.5 * (2 * L) ** -0.5)).toBeCloseTo(1, 0);
    expect(std('text_model.encoder.layers.0.mlp.fc1.weight') / (2 * D) ** -0.5).toBeCloseTo(1, 0);
    expect(std('text_model.embeddings.token_embedding.weight') / 0.02).toBeCloseTo(1, 1);
    expect(std('vision_model.embeddings.class_embedding') / D ** -0.5).toBeCloseTo(1, 0);
    expect(Array.from(w.get('vision_model.pre_layrnorm.weight')!.data as Float32Array).every((x) => x === 1)).toBe(true);
    expect(Array.from(w.get('text_model.encoder.layers.0.self_attn.k_proj.bias')!.data as Float32Array).every((x) => x === 0)).toBe(true);
    expect((w.get('logit_scale')!.data as Float32Array)[0]).toBeCloseTo(c.logitScale, 6);
    // A different vocabulary changes only the token embedding.
    const w2 = initClipWeights(withClipConfig(c, { text: { vocabSize: 700 } }), { seed });
    for (const [name, t] of w2) if (name !== 'text_model.embeddings.token_embedding.weight') expect(sameBytes(t.data as Float32Array, w.get(name)!.data as Float32Array), name).toBe(true);
    // Wrong or missing tensors are named.
    const bad = new Map(w);
    bad.delete('vision_model.post_layernorm.bias');
    expect(() => buildClipVisionModel(c, bad)).toThrow(/post_layernorm\.bias/);
    bad.set('vision_model.post_layernorm.bias', w.get('vision_model.post_layernorm.bias')!);
    bad.set('visual_projection.weight', { dtype: 'float32', dims: [D, D + 1], data: new Float32Array(D * (D + 1)) });
    expect(() => buildClipVisionModel(c, bad)).toThrow(/visual_projection\.weight/);
    expect(() => buildClipTextModel(c, bad)).not.toThrow();
  });
});

describe('CLIP tower graphs', () => {
  it('use the transformers.js names, dims, opsets and op patterns', () => {
    const c = cfg('quick_gelu');
    const w = initClipWeights(c, { seed });
    const d = clipDims(c);
    for (const pattern of PATTERNS) {
      const v = buildClipVisionModel(c, w, { pattern });
      const t = buildClipTextModel(c, w, { pattern });
      const opset = pattern === 'opset14' ? 14 : 18;
      for (const m of [v, t]) expect(m.opsetImport).toEqual([{ domain: '', version: opset }]);
      expect(v.graph.inputs).toEqual([{ name: 'pixel_values', dtype: 'float32', dims: ['batch', 1, 28, 28] }]);
      expect(v.graph.outputs).toEqual([
        { name: 'image_embeds', dtype: 'float32', dims: ['batch', 32] },
        { name: 'last_hidden_state', dtype: 'float32', dims: ['batch', d.visionSeq, 32] },
      ]);
      expect(t.graph.inputs).toEqual([{ name: 'input_ids', dtype: 'int64', dims: ['batch', 16] }]);
      expect(t.graph.outputs.map((o) => [o.name, o.dims])).toEqual([['text_embeds', ['batch', 32]], ['last_hidden_state', ['batch', 16, 32]]]);
      // Every HF-named weight is an initializer holding exactly the given tensor.
      for (const [name, tensor] of [...extractClipWeights(v), ...extractClipWeights(t)]) {
        expect(tensor.data).toBe(w.get(name)!.data);
      }
      expect(extractClipWeights(v).size + extractClipWeights(t).size).toBe(w.size - 1); // all but logit_scale
      const all = new Set([...ops(v), ...ops(t)]);
      if (pattern === 'opset14') {
        for (const op of ['ReduceMean', 'Pow', 'Sqrt', 'Div', 'MatMul', 'Transpose', 'Gather', 'Range', 'ArgMax']) expect(all).toContain(op);
        for (const op of ['LayerNormalization', 'Gemm', 'GatherND']) expect(all).not.toContain(op);
      } else {
        for (const op of ['LayerNormalization', 'Gemm', 'GatherND', 'ArgMax']) expect(all).toContain(op);
        for (const op of ['ReduceMean', 'Pow', 'Range']) expect(all).not.toContain(op);
      }
      expect(ops(v)).toContain('Conv');
      expect(v.graph.nodes.find((n) => n.op === 'Conv')!.name).toBe('/vision_model/embeddings/patch_embedding/Conv');
      expect(buildClipVisionModel(c, w, { pattern, lastHiddenState: false }).graph.outputs.map((o) => o.name)).toEqual(['image_embeds']);
    }
  });

  for (const activation of ['quick_gelu', 'gelu'] as const) {
    it(`match the float64 reference in both patterns (${activation})`, async () => {
      const c = cfg(activation);
      const w = initClipWeights(c, { seed, biasStd: 0.1 });
      const rng = new Rng(seed ^ 0x5eed);
      const B = 3;
      const { pixels, dims } = pixelsFor(c, rng, B);
      const { ids } = clipIds(rng, B, c.text.contextLength, c.text.vocabSize);
      const rv = clipVisionReference(c, w, pixels, B);
      const rt = clipTextReference(c, w, ids, B);
      const outs: Record<string, Record<string, Float32Array>> = {};
      for (const pattern of PATTERNS) {
        const v = await runVision(await session(buildClipVisionModel(c, w, { pattern })), pixels, dims);
        const t = await runText(await session(buildClipTextModel(c, w, { pattern })), ids, [B, c.text.contextLength]);
        expect(v.image_embeds.dims).toEqual([B, c.projectionDim]);
        expect(v.last_hidden_state.dims).toEqual([B, clipDims(c).visionSeq, c.vision.width]);
        expect(t.text_embeds.dims).toEqual([B, c.projectionDim]);
        expect(t.last_hidden_state.dims).toEqual([B, c.text.contextLength, c.text.width]);
        expectOk(validate(v.image_embeds.data, rv.imageEmbeds, ATOL, RTOL, `${pattern} image_embeds`));
        expectOk(validate(v.last_hidden_state.data, rv.lastHiddenState, ATOL, RTOL, `${pattern} vision last_hidden_state`));
        expectOk(validate(t.text_embeds.data, rt.textEmbeds, ATOL, RTOL, `${pattern} text_embeds`));
        expectOk(validate(t.last_hidden_state.data, rt.lastHiddenState, ATOL, RTOL, `${pattern} text last_hidden_state`));
        outs[pattern] = { image: v.image_embeds.data, text: t.text_embeds.data };
      }
      // The two patterns agree with each other more tightly than with the reference.
      expectOk(validate(outs.opset14.image, outs.opset18.image, 1e-5, 1e-5, 'opset14 vs opset18 image_embeds'));
      expectOk(validate(outs.opset14.text, outs.opset18.text, 1e-5, 1e-5, 'opset14 vs opset18 text_embeds'));
    });
  }

  it('match the reference with onnxruntime graph optimisations on (fusions) and with a fixed batch', async () => {
    const c = cfg('gelu');
    const w = initClipWeights(c, { seed: seed + 1, biasStd: 0.1 });
    const rng = new Rng(seed ^ 0xf00d);
    const B = 2;
    const { pixels, dims } = pixelsFor(c, rng, B);
    const { ids } = clipIds(rng, B, c.text.contextLength, c.text.vocabSize);
    const rv = clipVisionReference(c, w, pixels, B);
    const rt = clipTextReference(c, w, ids, B);
    for (const pattern of PATTERNS) {
      for (const batch of ['batch', B] as const) {
        const vm = buildClipVisionModel(c, w, { pattern, batch });
        const tm = buildClipTextModel(c, w, { pattern, batch });
        expect(vm.graph.inputs[0].dims![0]).toBe(batch);
        const v = await runVision(await session(vm, 'all'), pixels, dims);
        const t = await runText(await session(tm, 'all'), ids, [B, c.text.contextLength]);
        expectOk(validate(v.image_embeds.data, rv.imageEmbeds, ATOL, RTOL, `${pattern} batch ${batch} image_embeds (optimised)`));
        expectOk(validate(t.text_embeds.data, rt.textEmbeds, ATOL, RTOL, `${pattern} batch ${batch} text_embeds (optimised)`));
      }
    }
  });

  it('pool the text tower at the EOS position (the ArgMax of input_ids)', async () => {
    const c = cfg('quick_gelu');
    const w = initClipWeights(c, { seed: seed + 2, biasStd: 0.1 });
    const rng = new Rng(seed ^ 0xe05);
    const T = c.text.contextLength, V = c.text.vocabSize, B = 4;
    const { ids, eos } = clipIds(rng, B, T, V);
    // Short prompts so that every row has tokens after its EOS, and one row with EOS at the last position.
    ids.fill(0n);
    for (let b = 0; b < B; b++) {
      eos[b] = b === B - 1 ? T - 1 : 1 + rng.int(0, T - 4);
      ids[b * T] = BigInt(V - 2);
      for (let t = 1; t < T; t++) ids[b * T + t] = BigInt(rng.int(0, V - 2));
      ids[b * T + eos[b]] = BigInt(V - 1);
    }
    expect(Array.from(clipTextReference(c, w, ids, B).eosPositions)).toEqual(eos);
    for (const pattern of PATTERNS) {
      const s = await session(buildClipTextModel(c, w, { pattern }));
      const base = (await runText(s, ids, [B, T])).text_embeds.data;
      const after = ids.slice();
      const before = ids.slice();
      for (let b = 0; b < B; b++) {
        for (let t = eos[b] + 1; t < T; t++) after[b * T + t] = BigInt(rng.int(0, V - 2));
        const at = b * T + rng.int(0, eos[b]);
        before[at] = BigInt((Number(before[at]) + 1 + rng.int(0, V - 3)) % (V - 1)); // another id below EOS
      }
      for (let b = 0; b < B; b++) expect(Number(before[b * T + eos[b]])).toBe(V - 1);
      const a = (await runText(s, after, [B, T])).text_embeds.data;
      const p = (await runText(s, before, [B, T])).text_embeds.data;
      const P = c.projectionDim;
      for (let b = 0; b < B; b++) {
        expect(maxDiff(a, base, b * P, (b + 1) * P), `${pattern} row ${b}: tokens after EOS must not matter`).toBeLessThanOrEqual(1e-6);
        expect(maxDiff(p, base, b * P, (b + 1) * P), `${pattern} row ${b}: a token before EOS must matter`).toBeGreaterThan(1e-4);
      }
      // Moving EOS moves the pooling position: the embedding changes.
      const moved = ids.slice();
      moved[eos[0]] = 5n;
      moved[eos[0] + 1] = BigInt(V - 1);
      const m = (await runText(s, moved, [B, T])).text_embeds.data;
      expect(maxDiff(m, base, 0, P)).toBeGreaterThan(1e-4);
    }
  });

  it('take shorter or symbolic text sequence lengths (position embedding and mask sliced to the input)', async () => {
    const c = cfg('gelu');
    const w = initClipWeights(c, { seed: seed + 7, biasStd: 0.1 });
    const rng = new Rng(seed ^ 0x5e9);
    const B = 3, T = c.text.contextLength, V = c.text.vocabSize, S = 7;
    // Prompts short enough that EOS falls within the first S tokens; the padded tail differs by length only.
    const full = new BigInt64Array(B * T);
    for (let b = 0; b < B; b++) {
      const eos = 1 + rng.int(0, S - 1);
      for (let t = 0; t < T; t++) full[b * T + t] = t === 0 ? BigInt(V - 2) : t === eos ? BigInt(V - 1) : BigInt(rng.int(0, V - 2));
    }
    const short = new BigInt64Array(B * S);
    for (let b = 0; b < B; b++) short.set(full.subarray(b * T, b * T + S), b * S);
    const ref = clipTextReference(c, w, short, B, S);
    for (const pattern of PATTERNS) {
      const fixedFull = (await runText(await session(buildClipTextModel(c, w, { pattern })), full, [B, T])).text_embeds.data;
      const sym = buildClipTextModel(c, w, { pattern, sequence: 'sequence' });
      expect(sym.graph.inputs[0].dims).toEqual(['batch', 'sequence']);
      expect(sym.graph.outputs[1].dims).toEqual(['batch', 'sequence', c.text.width]);
      const symSession = await session(sym);
      const symShort = await runText(symSession, short, [B, S]);
      const symFull = (await runText(symSession, full, [B, T])).text_embeds.data;
      const fixedShort = await runText(await session(buildClipTextModel(c, w, { pattern, sequence: S })), short, [B, S]);
      expect(symShort.last_hidden_state.dims).toEqual([B, S, c.text.width]);
      expectOk(validate(symShort.text_embeds.data, ref.textEmbeds, ATOL, RTOL, `${pattern} symbolic sequence, length ${S}`));
      expectOk(validate(symShort.last_hidden_state.data, ref.lastHiddenState, ATOL, RTOL, `${pattern} symbolic sequence last_hidden_state`));
      expectOk(validate(fixedShort.text_embeds.data, ref.textEmbeds, ATOL, RTOL, `${pattern} fixed sequence ${S}`));
      // Causal mask + EOS pooling: the embedding does not depend on how far the prompt is padded.
      expectOk(validate(symShort.text_embeds.data, fixedFull, 1e-5, 1e-5, `${pattern} length ${S} vs ${T}`));
      expectOk(validate(symFull, fixedFull, 1e-6, 1e-6, `${pattern} symbolic vs fixed at length ${T}`));
      const info = inferShapes(sym, { dims: { batch: B, sequence: S } });
      expect(info.get('text_embeds')!.dims).toEqual([B, c.projectionDim]);
      expect(info.get('last_hidden_state')!.dims).toEqual([B, S, c.text.width]);
    }
    expect(() => buildClipTextModel(c, w, { sequence: T + 1 })).toThrow(/sequence/);
  });

  it('apply the causal mask: hidden state at t ignores tokens after t (and a model without the mask is caught)', async () => {
    const c = cfg('gelu');
    const w = initClipWeights(c, { seed: seed + 3, biasStd: 0.1 });
    const rng = new Rng(seed ^ 0xca5a1);
    const T = c.text.contextLength, V = c.text.vocabSize, D = c.text.width;
    const { ids } = clipIds(rng, 1, T, V);
    const t0 = rng.int(2, T - 2);
    const changed = ids.slice();
    for (let t = t0 + 1; t < T; t++) changed[t] = BigInt(rng.int(0, V));
    const check = async (model: Model): Promise<{ prefix: number; suffix: number }> => {
      const s = await session(model);
      const a = (await runText(s, ids, [1, T])).last_hidden_state.data;
      const b = (await runText(s, changed, [1, T])).last_hidden_state.data;
      return { prefix: maxDiff(a, b, 0, (t0 + 1) * D), suffix: maxDiff(a, b, (t0 + 1) * D, T * D) };
    };
    // Reference, float64: exactly unchanged up to t0.
    const ra = clipTextReference(c, w, ids, 1).lastHiddenState;
    const rb = clipTextReference(c, w, changed, 1).lastHiddenState;
    expect(maxDiff(ra, rb, 0, (t0 + 1) * D)).toBe(0);
    expect(maxDiff(ra, rb, (t0 + 1) * D, T * D)).toBeGreaterThan(1e-3);
    for (const pattern of PATTERNS) {
      const model = buildClipTextModel(c, w, { pattern });
      const ok = await check(model);
      expect(ok.prefix, `${pattern}: positions ≤ ${t0}`).toBeLessThanOrEqual(1e-6);
      expect(ok.suffix).toBeGreaterThan(1e-3);
      // Broken variant: the same graph with an all-zero mask lets later tokens leak into earlier positions.
      const broken = cloneModel(model);
      broken.graph.initializers.set(CAUSAL_MASK_NAME, { dtype: 'float32', dims: [T, T], data: new Float32Array(T * T) });
      expect((await check(broken)).prefix).toBeGreaterThan(1e-3);
    }
  });

  it('decode back from bytes, re-encode to the same bytes and run identically', async () => {
    const c = cfg('quick_gelu');
    const w = initClipWeights(c, { seed: seed + 4, biasStd: 0.1 });
    const rng = new Rng(seed ^ 0xdec0de);
    const { pixels, dims } = pixelsFor(c, rng, 2);
    const { ids } = clipIds(rng, 2, c.text.contextLength, c.text.vocabSize);
    for (const pattern of PATTERNS) {
      for (const [tower, model] of [['vision', buildClipVisionModel(c, w, { pattern })], ['text', buildClipTextModel(c, w, { pattern })]] as const) {
        const bytes = encodeModel(model);
        const decoded = decodeModel(bytes);
        expect(decoded.metadata).toEqual({ 'aos.clip.tower': tower, 'aos.clip.pattern': pattern });
        const again = encodeModel(decoded);
        expect(again.length).toBe(bytes.length);
        expect(Buffer.compare(Buffer.from(again), Buffer.from(bytes))).toBe(0);
        const run = async (b: Uint8Array) => (tower === 'vision'
          ? (await runVision(await session(b), pixels, dims)).image_embeds.data
          : (await runText(await session(b), ids, [2, c.text.contextLength])).text_embeds.data);
        const x = await run(bytes), y = await run(again);
        expect(Array.from(y)).toEqual(Array.from(x));
        // The decoded model's weights are the HF-named initializers, equal to the originals.
        const back = extractClipWeights(decoded);
        for (const [name, t] of back) expect(sameBytes(t.data as Float32Array, w.get(name)!.data as Float32Array), name).toBe(true);
      }
    }
  });

  it('take new weights by HF name (withNewWeights) and go through shape inference and simplify', async () => {
    const c = cfg('quick_gelu');
    const w1 = initClipWeights(c, { seed: seed + 5, biasStd: 0.1 });
    const w2 = initClipWeights(c, { seed: seed + 6, biasStd: 0.1 });
    const rng = new Rng(seed ^ 0x5a4);
    const B = 2;
    const { pixels, dims } = pixelsFor(c, rng, B);
    const { ids } = clipIds(rng, B, c.text.contextLength, c.text.vocabSize);
    for (const pattern of PATTERNS) {
      const v1 = buildClipVisionModel(c, w1, { pattern });
      const t1 = buildClipTextModel(c, w1, { pattern });
      const swappedV = withNewWeights(v1, extractClipWeights(buildClipVisionModel(c, w2, { pattern })));
      const swappedT = withNewWeights(t1, extractClipWeights(buildClipTextModel(c, w2, { pattern })));
      const wantV = (await runVision(await session(buildClipVisionModel(c, w2, { pattern })), pixels, dims)).image_embeds.data;
      const wantT = (await runText(await session(buildClipTextModel(c, w2, { pattern })), ids, [B, c.text.contextLength])).text_embeds.data;
      expect(Array.from((await runVision(await session(swappedV), pixels, dims)).image_embeds.data)).toEqual(Array.from(wantV));
      expect(Array.from((await runText(await session(swappedT), ids, [B, c.text.contextLength])).text_embeds.data)).toEqual(Array.from(wantT));

      // The IR's shape inference resolves every tensor with the batch fixed; simplify keeps the outputs.
      for (const m of [v1, t1]) {
        const info = inferShapes(m, { dims: { batch: B } });
        for (const o of m.graph.outputs) expect(info.get(o.name)!.dims).toEqual(o.dims!.map((x) => (x === 'batch' ? B : x)));
      }
      const keep = new Set([...extractClipWeights(v1).keys(), ...extractClipWeights(t1).keys()]);
      const sv = simplify(v1, { dims: { batch: B }, keep });
      const st = simplify(t1, { dims: { batch: B }, keep });
      const before = (await runVision(await session(v1), pixels, dims)).image_embeds.data;
      const beforeT = (await runText(await session(t1), ids, [B, c.text.contextLength])).text_embeds.data;
      expectOk(validate((await runVision(await session(sv), pixels, dims)).image_embeds.data, before, 1e-6, 1e-6, `${pattern} simplified vision`));
      expectOk(validate((await runText(await session(st), ids, [B, c.text.contextLength])).text_embeds.data, beforeT, 1e-6, 1e-6, `${pattern} simplified text`));
      for (const name of keep) expect(sv.graph.initializers.has(name) || st.graph.initializers.has(name), name).toBe(true);
    }
  });
});
