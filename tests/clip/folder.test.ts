/**
 * The CLIP model folder: expected files and names, a tokenizer whose ids put EOS at the ArgMax, configs that parse
 * back (ours and the image preprocessor's), models that run on tokenized prompts and preprocessed images and match
 * the reference, writing to / reading from disk, and weights saved as safetensors driving an identical folder.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CLASS_SYNONYMS, PROMPT_TEMPLATES, fillTemplate } from '../../src/data/prompts';
import { normalizationConstants, normalize, parsePreprocessorConfig, preprocessImages } from '../../src/image/preprocess';
import { tinyClipConfig, vitB32Config, withClipConfig } from '../../src/onnx/clip/config';
import { assembleClipFolder, buildClipFolder, clipConfigFromJson, clipConfigJson } from '../../src/onnx/clip/folder';
import { readClipFolder, writeClipFolder } from '../../src/onnx/clip/node';
import { clipTextReference, clipVisionReference } from '../../src/onnx/clip/reference';
import { decodeSafetensors, encodeSafetensors } from '../../src/onnx/clip/safetensors';
import { extractClipWeights } from '../../src/onnx/clip/weights';
import { decodeModel } from '../../src/onnx/proto';
import { ClipTokenizer } from '../../src/text/tokenizer';
import { Rng, freshSeed } from '../../src/util/random';
import { validate } from '../../src/util/validate';
import { runText, runVision, sameBytes, session } from './helpers';

const seed = freshSeed();
console.log(`clip folder test seed ${seed} (AOS_SEED=${seed} replays it)`);

const CLASSES = ['T-shirt/top', 'Trouser', 'Sneaker', 'Bag', 'Ankle boot'];
const TEXTS = PROMPT_TEMPLATES.flatMap((t) => CLASSES.flatMap((c) => CLASS_SYNONYMS[c].map((s) => fillTemplate(t, s))));

describe('CLIP model folder', () => {
  it('has the transformers.js files, names and configs, and a tokenizer whose ArgMax is EOS', async () => {
    const { files, config, weights } = buildClipFolder(tinyClipConfig, { texts: TEXTS, seed, biasStd: 0.05 });
    expect(Object.keys(files).sort()).toEqual(['config.json', 'onnx/text_model.onnx', 'onnx/vision_model.onnx',
      'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json']);

    const tok = ClipTokenizer.fromJSON(files['tokenizer.json']);
    expect(tok.contextLength).toBe(tinyClipConfig.text.contextLength);
    expect(tok.eosIsMaxId).toBe(true);
    expect(config.text.vocabSize).toBe(tok.maxId + 1);
    expect(config.text.vocabSize).toBeLessThanOrEqual(tinyClipConfig.text.vocabSize);
    const prompts = ['a photo of a sneaker.', 'a blurry photo of a bag.', 'trousers', 'an unseen word: zebra crossing!'];
    const batch = tok.tokenize(prompts);
    const T = batch.contextLength;
    for (let b = 0; b < prompts.length; b++) {
      let arg = 0;
      for (let t = 1; t < T; t++) if (batch.inputIds[b * T + t] > batch.inputIds[b * T + arg]) arg = t;
      expect(arg).toBe(batch.eosPositions[b]);
      expect(Number(batch.inputIds[b * T + arg])).toBe(tok.special.eos.id);
      for (let t = 0; t < T; t++) expect(Number(batch.inputIds[b * T + t])).toBeLessThan(config.text.vocabSize);
    }

    const cfgJson = JSON.parse(files['config.json']);
    expect(cfgJson.model_type).toBe('clip');
    expect(cfgJson.text_config.vocab_size).toBe(config.text.vocabSize);
    expect(cfgJson.text_config.eos_token_id).toBe(tok.special.eos.id);
    expect(cfgJson.text_config.bos_token_id).toBe(tok.special.bos!.id);
    expect(cfgJson.vision_config).toMatchObject({ image_size: 28, patch_size: 7, num_channels: 1, hidden_size: 32, intermediate_size: 128 });
    expect(cfgJson.logit_scale).toBeCloseTo(tinyClipConfig.logitScale, 5);
    expect(clipConfigFromJson(files['config.json'])).toEqual(config);
    expect(JSON.parse(files['tokenizer_config.json']).model_max_length).toBe(T);

    const pre = parsePreprocessorConfig(files['preprocessor_config.json']);
    expect(pre.cropSize).toEqual({ height: 28, width: 28 });
    expect(pre.size).toEqual({ shortestEdge: 28 });
    expect(normalizationConstants(pre)).toEqual({ mean: [0.5], std: [0.5] });

    // The ONNX towers: names and the config's dims, and they run on real tokenizer ids and preprocessed images.
    const v = decodeModel(files['onnx/vision_model.onnx']);
    const t = decodeModel(files['onnx/text_model.onnx']);
    expect(v.graph.inputs.map((x) => [x.name, x.dims])).toEqual([['pixel_values', ['batch', 1, 28, 28]]]);
    expect(t.graph.inputs.map((x) => [x.name, x.dims])).toEqual([['input_ids', ['batch', T]]]);
    expect(v.graph.outputs.map((x) => x.name)).toEqual(['image_embeds', 'last_hidden_state']);
    expect(t.graph.outputs.map((x) => x.name)).toEqual(['text_embeds', 'last_hidden_state']);
    expect(t.graph.initializers.get('text_model.embeddings.token_embedding.weight')!.dims).toEqual([config.text.vocabSize, 32]);

    const te = await runText(await session(files['onnx/text_model.onnx']), batch.inputIds, [prompts.length, T]);
    const rt = clipTextReference(config, weights, batch.inputIds, prompts.length);
    expect(Array.from(rt.eosPositions)).toEqual(Array.from(batch.eosPositions));
    const r1 = validate(te.text_embeds.data, rt.textEmbeds, 2e-5, 2e-4, 'folder text_embeds');
    expect(r1.ok, r1.message).toBe(true);

    const rng = new Rng(seed);
    const imgs = [0, 1].map(() => ({ width: 40, height: 32, channels: 1 as const, data: Uint8Array.from(rng.uniform(40 * 32, 0, 256), Math.floor) }));
    const px = preprocessImages(imgs, pre);
    const x = normalize(px.data, px.dims, normalizationConstants(pre));
    const ie = await runVision(await session(files['onnx/vision_model.onnx']), x, px.dims);
    const rv = clipVisionReference(config, weights, x, 2);
    const r2 = validate(ie.image_embeds.data, rv.imageEmbeds, 2e-5, 2e-4, 'folder image_embeds');
    expect(r2.ok, r2.message).toBe(true);
  });

  it('writes to and reads from a directory; safetensors weights rebuild the same folder', async () => {
    const { files, config, weights } = buildClipFolder(tinyClipConfig, { texts: TEXTS, seed, pattern: 'opset18' });
    const dir = await mkdtemp(join(tmpdir(), 'aos-clip-'));
    try {
      await writeClipFolder(dir, files);
      expect((await readdir(dir)).sort()).toEqual(['config.json', 'onnx', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json']);
      expect((await readdir(join(dir, 'onnx'))).sort()).toEqual(['text_model.onnx', 'vision_model.onnx']);
      const back = await readClipFolder(dir);
      for (const k of Object.keys(files) as Array<keyof typeof files>) {
        const [a, b] = [back[k], files[k]];
        if (typeof b === 'string') expect(a).toBe(b);
        else expect(Buffer.from(a as Uint8Array).equals(Buffer.from(b)), k).toBe(true);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    // Weights → safetensors → weights, then a folder from those weights (and the same tokenizer) is byte-identical.
    const st = decodeSafetensors(encodeSafetensors(weights, { format: 'pt' }));
    expect(st.metadata).toEqual({ format: 'pt' });
    expect([...st.tensors.keys()].sort()).toEqual([...weights.keys()].sort());
    const again = buildClipFolder(config, { tokenizer: files['tokenizer.json'], weights: st.tensors, pattern: 'opset18', seed });
    for (const k of ['onnx/vision_model.onnx', 'onnx/text_model.onnx', 'tokenizer.json', 'preprocessor_config.json'] as const) {
      expect(Buffer.from(again.files[k]).equals(Buffer.from(files[k])), k).toBe(true);
    }
    // The weights read back out of the ONNX files are the same tensors.
    const fromOnnx = new Map([...extractClipWeights(decodeModel(files['onnx/vision_model.onnx'])), ...extractClipWeights(decodeModel(files['onnx/text_model.onnx']))]);
    for (const [name, t] of fromOnnx) expect(sameBytes(t.data as Float32Array, weights.get(name)!.data as Float32Array), name).toBe(true);
    // assembleClipFolder is the files of buildClipFolder.
    const files2 = assembleClipFolder(tinyClipConfig, { texts: TEXTS, seed, pattern: 'opset18' });
    expect(Buffer.from(files2['onnx/text_model.onnx']).equals(Buffer.from(files['onnx/text_model.onnx']))).toBe(true);
  });

  it('is written by scripts/clip/build-clip.ts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aos-clip-script-'));
    try {
      const root = fileURLToPath(new URL('../..', import.meta.url));
      const log = execFileSync(process.execPath, ['--import', 'tsx', 'scripts/clip/build-clip.ts', '--preset', 'tiny', '--out', dir,
        '--pattern', 'opset18', '--seed', '7', '--save-weights'], { encoding: 'utf8', cwd: root });
      expect(log).toMatch(/CLIP tiny \(opset18, quick_gelu\)/);
      expect((await readdir(dir)).sort()).toEqual(['config.json', 'model.safetensors', 'onnx', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json']);
      const files = await readClipFolder(dir);
      const v = decodeModel(files['onnx/vision_model.onnx']);
      expect(v.opsetImport[0].version).toBe(18);
      const st = decodeSafetensors(new Uint8Array(await readFile(join(dir, 'model.safetensors'))));
      const w = st.tensors.get('visual_projection.weight')!;
      expect(sameBytes(v.graph.initializers.get('visual_projection.weight')!.data as Float32Array, w.data as Float32Array)).toBe(true);
      expect(clipConfigFromJson(files['config.json']).text.vocabSize).toBe(ClipTokenizer.fromJSON(files['tokenizer.json']).maxId + 1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reads HF CLIPConfig files and rejects unusable inputs', () => {
    // An HF-style config for ViT-B/32 (missing fields take HF defaults) parses to the preset.
    const hf = clipConfigJson(withClipConfig(vitB32Config));
    expect(clipConfigFromJson(hf)).toEqual(vitB32Config);
    expect(clipConfigFromJson({ text_config: {}, vision_config: {}, logit_scale_init_value: 2.6592 })).toEqual(vitB32Config);
    expect(() => clipConfigFromJson({ text_config: { hidden_act: 'relu' } })).toThrow(/hidden_act/);
    expect(() => buildClipFolder(tinyClipConfig, {})).toThrow(/texts/);
    expect(() => buildClipFolder(tinyClipConfig, { texts: ['a cat'], imageMean: [0.1, 0.2, 0.3] })).toThrow(/1 channel/);
    expect(() => buildClipFolder(withClipConfig(tinyClipConfig, { text: { vocabSize: 515 } }), { texts: TEXTS, tokenizerVocabSize: 600, vocabSize: 'config' })).toThrow(/does not fit/);
    expect(() => buildClipFolder(withClipConfig(tinyClipConfig, { imageSize: 30 }), { texts: TEXTS })).toThrow(/multiple of patchSize/);
  });
});
