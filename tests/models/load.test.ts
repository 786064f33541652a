/**
 * The loader on good folders: the committed fixture through every source (directory, URL base over 127.0.0.1,
 * picked / dropped File objects, an in-memory map) with sizes, progress and sha256; precision variants (fp16
 * upcast, onnxruntime-style dynamic 8-bit dequantised) listed and chosen; the combined model.onnx split into towers
 * (or refused when the towers are entangled); hub URL forms; the TypeScript SHA-256.
 */
import { createHash } from 'node:crypto';
import * as ort from 'onnxruntime-node';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ModelLoadError, PRECISIONS, filesSource, loadClipModel, mapSource, planModelLoad, resolveModelBase, sha256Hex, sha256Sync,
  type LoadProgress,
} from '../../src/models';
import { tinyClipFixture } from '../../src/models/fixtures.node';
import { towerInputGradientNode } from '../../src/models/gradient.node';
import { directorySource } from '../../src/models/source.node';
import { extractClipWeights } from '../../src/onnx/clip/weights';
import { Rng, freshSeed } from '../../src/util/random';
import { FIXTURE_DIR, FIXTURE_NAMES, bytesOf, combineTowers, fixtureFiles, fixtureModel, quantizeDynamic, serve, toFloat16, type TestServer } from './helpers';

const seed = freshSeed();
const B = 2;
const PROMPTS = ['a photo of a sneaker.', 'a blurry photo of a bag.'];

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function run(bytes: Uint8Array, feeds: Record<string, ort.Tensor>): Promise<Record<string, Float32Array>> {
  const s = await ort.InferenceSession.create(bytes);
  try {
    const out = await s.run(Object.fromEntries(Object.entries(feeds).filter(([k]) => s.inputNames.includes(k))));
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
  } finally {
    await s.release();
  }
}

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}

function inputs(rng: Rng) {
  const pixels = rng.uniform(B * 28 * 28, -1, 1);
  return {
    pixel_values: new ort.Tensor('float32', pixels, [B, 1, 28, 28]),
    pixels,
  };
}

describe(`model loader (AOS_SEED=${seed})`, () => {
  it('loads the fixture from a directory, a URL base, picked or dropped files and a map, with sizes, progress and sha256', async () => {
    const disk = fixtureFiles();
    const sha = new Map([...disk].map(([k, v]) => [k, createHash('sha256').update(v).digest('hex')]));
    server = await serve(disk);
    const picked = FIXTURE_NAMES.map((n) => {
      const f = new File([disk.get(n)! as Uint8Array<ArrayBuffer>], n.split('/').pop()!);
      Object.defineProperty(f, 'webkitRelativePath', { value: `tiny-clip/${n}` });
      return f;
    });
    const dropped = FIXTURE_NAMES.map((n) => new File([disk.get(n)! as Uint8Array<ArrayBuffer>], n.split('/').pop()!));
    const sources = {
      directory: directorySource(FIXTURE_DIR), url: server.base, picked: filesSource(picked), dropped, map: mapSource(disk),
    };
    for (const [kind, src] of Object.entries(sources)) {
      const plan = await planModelLoad(src);
      expect(plan.variant).toMatchObject({ precision: 'fp32', layout: 'towers', files: ['onnx/vision_model.onnx', 'onnx/text_model.onnx'] });
      expect(Object.fromEntries(plan.files.map((f) => [f.name, f.size])), kind).toEqual(Object.fromEntries([...disk].map(([k, v]) => [k, v.byteLength])));
      expect(plan.totalBytes).toBe([...disk.values()].reduce((s, b) => s + b.byteLength, 0));
      const progress: LoadProgress[] = [];
      const m = await loadClipModel(src, { onProgress: (p) => progress.push(p) });
      expect(Object.fromEntries(m.files.map((f) => [f.name, f.sha256])), kind).toEqual(Object.fromEntries(sha));
      for (const f of m.files) {
        const mine = progress.filter((p) => p.file === f.name);
        expect(mine.at(-1), `${kind} ${f.name}`).toMatchObject({ loaded: f.bytes, total: f.bytes });
        for (let i = 1; i < mine.length; i++) expect(mine[i].loaded).toBeGreaterThanOrEqual(mine[i - 1].loaded);
      }
      expect(progress.at(-1)!.overallLoaded).toBe(plan.totalBytes);
      expect(m.warnings, kind).toEqual([]);
      // fp32 towers are handed on as the file's own bytes.
      expect(createHash('sha256').update(m.vision.bytes).digest('hex')).toBe(sha.get('onnx/vision_model.onnx'));
      expect(m.vision.steps).toEqual([]);
      expect(m.vision.input).toMatchObject({ name: 'pixel_values', dtype: 'float32', dims: ['batch', 1, 28, 28] });
      expect(m.text.output).toMatchObject({ name: 'text_embeds', dims: ['batch', 32] });
      expect(m.vision.unsupportedOps).toEqual([]);
      expect(m.text.unsupportedOps).toEqual([]);
      expect(m.tokenizer.contextLength).toBe(16);
      expect(m.preprocessor.cropSize).toEqual({ height: 28, width: 28 });
      expect(m.config?.vision).toMatchObject({ width: 32, layers: 2, heads: 2 });
    }
    expect(server.requests.some((r) => r.method === 'HEAD')).toBe(true);
  });

  it('the committed fixture holds the generator\'s weights', () => {
    const gen = tinyClipFixture();
    const committed = new Map([...extractClipWeights(fixtureModel('vision')), ...extractClipWeights(fixtureModel('text'))]);
    // logit_scale is in config.json, in neither tower.
    expect([...committed.keys()].sort()).toEqual([...gen.weights.keys()].filter((k) => k !== 'logit_scale').sort());
    const raw = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    for (const [k, t] of gen.weights) if (k !== 'logit_scale') expect(raw(committed.get(k)!.data as Float32Array).equals(raw(t.data as Float32Array)), k).toBe(true);
  });

  it('lists the precision variants present, upcasts fp16 and dequantises 8-bit files (onnxruntime dynamic quantisation)', async () => {
    const rng = new Rng(seed);
    const files = fixtureFiles();
    const v = fixtureModel('vision'), t = fixtureModel('text');
    files.set('onnx/vision_model_fp16.onnx', bytesOf(toFloat16(v)));
    files.set('onnx/text_model_fp16.onnx', bytesOf(toFloat16(t)));
    const q8o = { type: 'int8', perChannel: true, batch: B } as const, u8o = { type: 'uint8', perChannel: false, batch: B } as const;
    const q8 = { vision: quantizeDynamic(v, q8o), text: quantizeDynamic(t, q8o) };
    const u8 = { vision: quantizeDynamic(v, u8o), text: quantizeDynamic(t, u8o) };
    const fake = {
      q8: { vision: quantizeDynamic(v, { ...q8o, fakeQuant: true }), text: quantizeDynamic(t, { ...q8o, fakeQuant: true }) },
      uint8: { vision: quantizeDynamic(v, { ...u8o, fakeQuant: true }), text: quantizeDynamic(t, { ...u8o, fakeQuant: true }) },
    };
    files.set('onnx/vision_model_quantized.onnx', bytesOf(q8.vision));
    files.set('onnx/text_model_quantized.onnx', bytesOf(q8.text));
    files.set('onnx/vision_model_uint8.onnx', bytesOf(u8.vision));
    files.set('onnx/text_model_uint8.onnx', bytesOf(u8.text));
    files.set('onnx/model_q4.onnx', new Uint8Array(16));

    server = await serve(files);
    for (const src of [mapSource(files), server.base]) {
      const plan = await planModelLoad(src);
      expect(plan.listing.variants.map((x) => x.precision)).toEqual(['fp32', 'fp16', 'q8', 'uint8']);
      expect(plan.variant.precision).toBe('fp32');
      expect(plan.listing.variants.find((x) => x.precision === 'q8')!.bytes).toBe(files.get('onnx/vision_model_quantized.onnx')!.byteLength + files.get('onnx/text_model_quantized.onnx')!.byteLength);
      if (typeof src !== 'string') expect(plan.listing.unsupported.map((u) => u.file)).toEqual(['onnx/model_q4.onnx']);
    }
    expect(PRECISIONS).toEqual(['fp32', 'fp16', 'q8', 'int8', 'uint8']);

    const { pixels, pixel_values } = inputs(rng);
    const base = await loadClipModel(files);
    const ids = base.tokenizer.tokenize(PROMPTS);
    const feeds = { pixel_values, input_ids: new ort.Tensor('int64', ids.inputIds, [B, ids.contextLength]) };
    const ref = { vision: (await run(base.vision.bytes, feeds)).image_embeds, text: (await run(base.text.bytes, feeds)).text_embeds };

    const fp16 = await loadClipModel(files, { precision: 'fp16' });
    expect(fp16.precision).toBe('fp16');
    expect(fp16.vision.steps).toEqual(['upcast float16 → float32']);
    expect(fp16.vision.input.dtype).toBe('float32');
    expect(relErr((await run(fp16.vision.bytes, feeds)).image_embeds, ref.vision)).toBeLessThan(5e-3);
    expect(relErr((await run(fp16.text.bytes, feeds)).text_embeds, ref.text)).toBeLessThan(5e-3);

    for (const [precision, q] of [['q8', q8], ['uint8', u8]] as const) {
      const m = await loadClipModel(files, { precision });
      expect(m.vision.steps[0]).toMatch(/^dequantised (?=.*\b1 ConvInteger\b)(?=.*\b1[3-9] MatMulInteger\b)/);
      expect(m.text.steps[0]).toMatch(/^dequantised (?=.*\b1 Gather\+DequantizeLinear\b)(?=.*\b1[3-9] MatMulInteger\b)/);
      for (const tower of [m.vision, m.text]) {
        expect(tower.model.graph.nodes.filter((n) => /Integer|Quantize/.test(n.op))).toEqual([]);
        expect(tower.unsupportedOps).toEqual([]);
      }
      const deq = { vision: (await run(m.vision.bytes, feeds)).image_embeds, text: (await run(m.text.bytes, feeds)).text_embeds };
      const quant = { vision: (await run(bytesOf(q.vision), feeds)).image_embeds, text: (await run(bytesOf(q.text), feeds)).text_embeds };
      const exact = { vision: (await run(bytesOf(fake[precision].vision), feeds)).image_embeds, text: (await run(bytesOf(fake[precision].text), feeds)).text_embeds };
      for (const tower of ['vision', 'text'] as const) {
        // Exactly the float model with the 8-bit weights dequantised (float activations).
        expect(relErr(deq[tower], exact[tower]), `${precision} ${tower} vs dequantised weights in the float graph`).toBeLessThan(1e-5);
        // A few per cent from float32; onnxruntime's integer kernels also quantise activations (8-bit, per tensor).
        expect(relErr(deq[tower], ref[tower]), `${precision} ${tower} vs fp32`).toBeLessThan(0.08);
        expect(relErr(quant[tower], ref[tower]), `${precision} ${tower}: onnxruntime's integer kernels vs fp32`).toBeLessThan(0.5);
      }
      // Gradients flow through the dequantised tower (they cannot through DynamicQuantizeLinear).
      const upstream = rng.normal(B * 32);
      const g = await towerInputGradientNode(m.vision.bytes, { batch: B, data: pixels, upstream });
      const g32 = await towerInputGradientNode(base.vision.bytes, { batch: B, data: pixels, upstream });
      expect(relErr(g.grad, g32.grad), `${precision} input gradient vs fp32`).toBeLessThan(0.15);
    }
  });

  it('splits the combined onnx/model.onnx into towers, binding attention_mask to ones', async () => {
    const rng = new Rng(seed + 1);
    const files = fixtureFiles();
    files.delete('onnx/vision_model.onnx');
    files.delete('onnx/text_model.onnx');
    const combined = combineTowers(fixtureModel('vision'), fixtureModel('text'));
    files.set('onnx/model.onnx', bytesOf(combined));
    const m = await loadClipModel(files);
    expect(m.layout).toBe('combined');
    expect(m.vision.file).toBe('onnx/model.onnx');
    expect(m.text.steps).toEqual(['split from onnx/model.onnx', 'attention_mask bound to ones']);
    expect(m.vision.model.graph.inputs.map((x) => x.name)).toEqual(['pixel_values']);
    expect(m.text.model.graph.inputs.map((x) => x.name)).toEqual(['input_ids']);
    expect(m.vision.model.graph.outputs.map((x) => x.name)).toEqual(['image_embeds']);
    expect(m.warnings.join('\n')).toMatch(/split onnx\/model\.onnx into a vision tower \(\d+ nodes\) and a text tower/);
    expect(m.warnings.join('\n')).toMatch(/L2-normalises image_embeds and text_embeds \(CLIPModel outputs\); the split towers output them before the normalisation/);
    expect(m.warnings.join('\n')).toMatch(/attention_mask' bound to ones/);
    const { pixel_values } = inputs(rng);
    const ids = m.tokenizer.tokenize(PROMPTS);
    const all = await run(bytesOf(combined), {
      pixel_values, input_ids: new ort.Tensor('int64', ids.inputIds, [B, 16]),
      attention_mask: new ort.Tensor('int64', BigInt64Array.from(ids.inputIds, (_, i) => (i % 16 <= ids.eosPositions[Math.floor(i / 16)] ? 1n : 0n)), [B, 16]),
    });
    // The split towers give the separate towers' (un-normalised) embeddings; normalised, the combined model's.
    const vis = (await run(m.vision.bytes, { pixel_values })).image_embeds;
    const txt = (await run(m.text.bytes, { input_ids: new ort.Tensor('int64', ids.inputIds, [B, 16]) })).text_embeds;
    const base = await loadClipModel(fixtureFiles());
    expect(Array.from(vis)).toEqual(Array.from((await run(base.vision.bytes, { pixel_values })).image_embeds));
    const l2 = (a: Float32Array) => Array.from(a, (v, i) => v / Math.hypot(...a.subarray(i - (i % 32), i - (i % 32) + 32)));
    expect(relErr(l2(vis), all.image_embeds)).toBeLessThan(1e-6);
    expect(relErr(l2(txt), all.text_embeds)).toBeLessThan(1e-6);
    // The split towers differentiate.
    const g = await towerInputGradientNode(m.vision.bytes, { batch: B, data: rng.uniform(B * 784), upstream: rng.normal(B * 32) });
    expect(g.grad.some((x) => x !== 0)).toBe(true);

    files.set('onnx/model.onnx', bytesOf(combineTowers(fixtureModel('vision'), fixtureModel('text'), { entangle: true })));
    const e = await loadClipModel(files).catch((x: unknown) => x as ModelLoadError);
    expect(e).toBeInstanceOf(ModelLoadError);
    expect((e as ModelLoadError).code).toBe('combined-split');
    expect((e as ModelLoadError).message).toMatch(/image_embeds depends on 'input_ids' as well as pixel_values/);
    // A combined model without the embeddings outputs names what it has.
    const g2 = combineTowers(fixtureModel('vision'), fixtureModel('text'));
    g2.graph.outputs = g2.graph.outputs.filter((o) => o.name !== 'text_embeds');
    files.set('onnx/model.onnx', bytesOf(g2));
    await expect(loadClipModel(files)).rejects.toThrow(/missing output 'text_embeds'; its inputs are 'input_ids'/);
  });

  it('resolves hub repo ids and page URLs to folder URLs', () => {
    expect(resolveModelBase('Xenova/clip-vit-base-patch32')).toBe('https://huggingface.co/Xenova/clip-vit-base-patch32/resolve/main/');
    expect(resolveModelBase('Xenova/clip-vit-base-patch32@v2')).toBe('https://huggingface.co/Xenova/clip-vit-base-patch32/resolve/v2/');
    expect(resolveModelBase('https://huggingface.co/Xenova/clip-vit-base-patch32')).toBe('https://huggingface.co/Xenova/clip-vit-base-patch32/resolve/main/');
    expect(resolveModelBase('https://huggingface.co/Xenova/clip-vit-base-patch32/tree/main')).toBe('https://huggingface.co/Xenova/clip-vit-base-patch32/resolve/main/');
    expect(resolveModelBase('https://huggingface.co/Xenova/clip-vit-base-patch32/resolve/main/')).toBe('https://huggingface.co/Xenova/clip-vit-base-patch32/resolve/main/');
    expect(resolveModelBase('https://example.org/models/clip?x=1')).toBe('https://example.org/models/clip/');
  });

  it('an aborted load stops with its own code', async () => {
    const ac = new AbortController();
    ac.abort();
    const e = await loadClipModel(directorySource(FIXTURE_DIR), { signal: ac.signal }).catch((x: unknown) => x as ModelLoadError);
    expect((e as ModelLoadError).code).toBe('aborted');
  });

  it('SHA-256 in TypeScript matches node:crypto', async () => {
    const rng = new Rng(seed);
    for (const n of [0, 1, 3, 55, 56, 63, 64, 65, 119, 120, 1000, 70_001]) {
      const b = Uint8Array.from({ length: n }, () => rng.int(0, 256));
      const want = createHash('sha256').update(b).digest('hex');
      expect(sha256Sync(b), `length ${n}`).toBe(want);
      expect(await sha256Hex(b)).toBe(want);
    }
    expect(sha256Sync(new TextEncoder().encode('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

