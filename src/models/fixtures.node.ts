/**
 * Node only: the tiny CLIP model folder committed under public/fixtures/tiny-clip/ (transformers.js layout, about
 * 360 KB), which the browser tests load through the same URL path a hub model uses (Vite serves public/).
 *
 *   node --import tsx src/models/fixtures.node.ts            # rewrites public/fixtures/tiny-clip/
 *
 * The folder is the CLIP builder's tiny preset (28×28 grey images, 7×7 patches, width 32, 2 layers, 2 heads) with
 * seeded weights and a tokenizer trained on the bundled prompt templates × Fashion-MNIST class names.
 */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { CLASS_SYNONYMS, PROMPT_TEMPLATES, fillTemplate } from '../data/prompts';
import { tinyClipConfig } from '../onnx/clip/config';
import { buildClipFolder, type ClipFolder } from '../onnx/clip/folder';
import { writeClipFolder } from '../onnx/clip/node';

export const TINY_CLIP_FIXTURE_SEED = 20240601;
/** Relative to the repository root; served at /fixtures/tiny-clip/ by Vite. */
export const TINY_CLIP_FIXTURE_DIR = 'public/fixtures/tiny-clip';

const FASHION = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

/** The fixture folder, in memory. */
export function tinyClipFixture(): ClipFolder {
  const texts = PROMPT_TEMPLATES.flatMap((t) => FASHION.flatMap((c) => CLASS_SYNONYMS[c].map((s) => fillTemplate(t, s))));
  return buildClipFolder(tinyClipConfig, {
    texts, tokenizerVocabSize: 600, seed: TINY_CLIP_FIXTURE_SEED, biasStd: 0.05, name: 'aos-workbench/tiny-clip-fixture',
  });
}

/** Writes the fixture folder under `root` (default: this repository); returns the paths written. */
export async function writeTinyClipFixture(root = fileURLToPath(new URL('../..', import.meta.url))): Promise<string[]> {
  return writeClipFolder(join(root, TINY_CLIP_FIXTURE_DIR), tinyClipFixture().files);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const written = await writeTinyClipFixture();
  for (const p of written) console.log(p);
}
