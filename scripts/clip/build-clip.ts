/**
 * Writes a CLIP model folder in the transformers.js layout (config.json, preprocessor_config.json, tokenizer.json,
 * tokenizer_config.json, onnx/vision_model.onnx, onnx/text_model.onnx):
 *
 *   node --import tsx scripts/clip/build-clip.ts --preset tiny --out DIR
 *
 * Options:
 *   --preset tiny|vitb32        sizes (default tiny; vitb32 is ~600 MB of float32 weights and takes a while)
 *   --out DIR                   output folder (required)
 *   --pattern opset14|opset18   op pattern (default opset14)
 *   --seed N                    random CLIP-like init (default 0)
 *   --weights FILE              HF-named weights from a .safetensors file instead of random ones
 *   --save-weights              also write the weights as DIR/model.safetensors
 *   --texts FILE                tokenizer corpus, one text per line (default: the bundled prompt templates × class
 *                               synonyms)
 *   --vocab tokenizer|config    text vocabulary size from the tokenizer (default) or the preset (vitb32: 49408, for
 *                               realistic-size benchmarks; the tokenizer still uses only its own ids)
 *   --activation quick_gelu|gelu
 *   --batch N|NAME              fixed batch size or symbolic dim name (default 'batch')
 *   --sequence N|NAME           text sequence dim: fixed length ≤ context length (default: the context length) or
 *                               a symbolic name such as sequence_length (inputs of any length up to the context)
 *   --no-last-hidden-state      only image_embeds / text_embeds as outputs
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CLASS_SYNONYMS, PROMPT_TEMPLATES, fillTemplate } from '../../src/data/prompts';
import type { ClipPattern } from '../../src/onnx/clip/build';
import { tinyClipConfig, vitB32Config, withClipConfig, type ClipActivation } from '../../src/onnx/clip/config';
import { buildClipFolder } from '../../src/onnx/clip/folder';
import { writeClipFolder } from '../../src/onnx/clip/node';
import { decodeSafetensors, encodeSafetensors } from '../../src/onnx/clip/safetensors';
import { numel } from '../../src/onnx/ir';

function fail(msg: string): never {
  console.error(`build-clip: ${msg}`);
  process.exit(2);
}

const { values: a } = parseArgs({
  options: {
    preset: { type: 'string', default: 'tiny' },
    out: { type: 'string' },
    pattern: { type: 'string', default: 'opset14' },
    seed: { type: 'string', default: '0' },
    weights: { type: 'string' },
    'save-weights': { type: 'boolean', default: false },
    texts: { type: 'string' },
    vocab: { type: 'string', default: 'tokenizer' },
    activation: { type: 'string' },
    batch: { type: 'string', default: 'batch' },
    sequence: { type: 'string' },
    'no-last-hidden-state': { type: 'boolean', default: false },
  },
  strict: true,
});

const presets = { tiny: tinyClipConfig, vitb32: vitB32Config } as const;
const base = presets[a.preset as keyof typeof presets] ?? fail(`unknown --preset ${a.preset} (tiny or vitb32)`);
if (!a.out) fail('--out DIR is required');
if (a.pattern !== 'opset14' && a.pattern !== 'opset18') fail(`--pattern must be opset14 or opset18, got ${a.pattern}`);
if (a.vocab !== 'tokenizer' && a.vocab !== 'config') fail(`--vocab must be tokenizer or config, got ${a.vocab}`);
if (a.activation !== undefined && a.activation !== 'quick_gelu' && a.activation !== 'gelu') fail(`--activation must be quick_gelu or gelu, got ${a.activation}`);
const seed = Number(a.seed);
if (!Number.isInteger(seed)) fail(`--seed must be an integer, got ${a.seed}`);
const batch = /^\d+$/.test(a.batch!) ? Number(a.batch) : a.batch!;
const sequence = a.sequence === undefined ? undefined : /^\d+$/.test(a.sequence) ? Number(a.sequence) : a.sequence;

const config = withClipConfig(base, a.activation ? { activation: a.activation as ClipActivation } : {});
const texts = a.texts
  ? readFileSync(a.texts, 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '')
  : PROMPT_TEMPLATES.flatMap((t) => Object.values(CLASS_SYNONYMS).flatMap((syn) => syn.map((s) => fillTemplate(t, s))));
const weights = a.weights ? decodeSafetensors(new Uint8Array(readFileSync(a.weights))).tensors : undefined;

const t0 = performance.now();
const folder = buildClipFolder(config, {
  texts,
  weights,
  seed,
  pattern: a.pattern as ClipPattern,
  batch,
  sequence,
  lastHiddenState: !a['no-last-hidden-state'],
  vocabSize: a.vocab as 'tokenizer' | 'config',
  name: `aos-workbench/clip-${a.preset}`,
});
const written = await writeClipFolder(a.out!, folder.files);
if (a['save-weights']) {
  const path = join(a.out!, 'model.safetensors');
  writeFileSync(path, encodeSafetensors(folder.weights, { format: 'pt' }));
  written.push(path);
}
let params = 0;
for (const t of folder.weights.values()) params += numel(t.dims);
const c = folder.config;
console.log(`CLIP ${a.preset} (${a.pattern}, ${c.activation}): ${(params / 1e6).toFixed(2)} M parameters, vocab ${c.text.vocabSize}, `
  + `context ${c.text.contextLength}, ${c.imageSize}×${c.imageSize}×${c.channels} images, built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
for (const p of written) {
  const rel = p.slice(a.out!.length).replace(/^[/\\]/, '');
  const content = (folder.files as unknown as Record<string, string | Uint8Array>)[rel];
  const size = content === undefined ? readFileSync(p).length : typeof content === 'string' ? Buffer.byteLength(content) : content.length;
  console.log(`  ${p}  ${(size / 1024).toFixed(1)} KiB`);
}
