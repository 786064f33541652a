/**
 * Node-only helpers: write a CLIP model folder (folder.ts) to a directory and read one back.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ClipFolderFiles } from './folder';

const TEXT_FILES = ['config.json', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json'] as const;
const BINARY_FILES = ['onnx/vision_model.onnx', 'onnx/text_model.onnx'] as const;

/** Writes every file of the folder under `dir` (creating `dir` and `dir/onnx`); returns the paths written. */
export async function writeClipFolder(dir: string, files: ClipFolderFiles | Record<string, string | Uint8Array>): Promise<string[]> {
  const written: string[] = [];
  for (const [rel, content] of Object.entries(files)) {
    if (rel.split('/').some((p) => p === '..' || p === '')) throw new Error(`refusing to write '${rel}' outside the folder`);
    const path = join(dir, rel);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content);
    written.push(path);
  }
  return written;
}

/** Reads the files of a CLIP folder written by writeClipFolder (or any transformers.js CLIP folder with them). */
export async function readClipFolder(dir: string): Promise<ClipFolderFiles> {
  const out: Record<string, string | Uint8Array> = {};
  for (const rel of TEXT_FILES) out[rel] = await readFile(join(dir, rel), 'utf8');
  for (const rel of BINARY_FILES) {
    const b = await readFile(join(dir, rel));
    out[rel] = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  }
  return out as unknown as ClipFolderFiles;
}
