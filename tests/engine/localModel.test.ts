/**
 * src/engine/localModel.ts: local files (a picked folder, loose files, a drop's pathed files) as a model-loader
 * source, on the committed tiny CLIP fixture (public/fixtures/tiny-clip/), and the labels the Model panel shows.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  localFolderName, localModelKey, localModelSource, localOriginLabel, toPathedFiles, towerPrecisionLabel, variantsNote, type PathedFile,
} from '../../src/engine/localModel';
import { loadClipModel } from '../../src/models/load';
import { ModelLoadError } from '../../src/models/errors';

const DIR = 'public/fixtures/tiny-clip';

function walk(dir: string, prefix = ''): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? walk(join(dir, n), `${prefix}${n}/`) : [`${prefix}${n}`]));
}

/** The fixture as a drop would give it: 'tiny-clip/onnx/vision_model.onnx' etc. */
function fixtureFiles(edit: (path: string, bytes: Uint8Array) => Uint8Array = (_, b) => b, lastModified = 1_700_000_000_000): PathedFile[] {
  return walk(DIR).map((rel) => {
    const bytes = edit(rel, new Uint8Array(readFileSync(join(DIR, rel))));
    return { path: `tiny-clip/${rel}`, file: new File([bytes as Uint8Array<ArrayBuffer>], rel.split('/').pop()!, { lastModified }) };
  });
}

describe('local model files', () => {
  it('loads the fixture from a drop’s pathed files and from loose files (matched by name)', async () => {
    const pathed = fixtureFiles();
    const a = await loadClipModel(localModelSource(pathed), { requireGradients: false });
    expect(a.precision).toBe('fp32');
    expect(a.files.map((f) => f.name).sort()).toEqual(expect.arrayContaining(['onnx/vision_model.onnx', 'onnx/text_model.onnx', 'tokenizer.json', 'preprocessor_config.json']));
    expect(a.vision.unsupportedOps).toEqual([]);
    const loose = pathed.map((p) => p.file);
    const b = await loadClipModel(localModelSource(loose), { requireGradients: false });
    expect(b.files.map((f) => f.sha256)).toEqual(a.files.map((f) => f.sha256));
  });

  it('a folder missing a file and a truncated ONNX file give the loader’s messages', async () => {
    const missing = fixtureFiles().filter((f) => !f.path.endsWith('tokenizer.json'));
    await expect(loadClipModel(localModelSource(missing))).rejects.toThrow(/tokenizer\.json is missing/);
    const cut = fixtureFiles((p, b) => (p === 'onnx/vision_model.onnx' ? b.subarray(0, Math.floor(b.length / 2)) : b));
    const err = await loadClipModel(localModelSource(cut)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelLoadError);
    expect((err as ModelLoadError).code).toBe('truncated');
    expect((err as Error).message).toMatch(/onnx\/vision_model\.onnx is truncated/);
  });

  it('paths: a picked folder’s webkitRelativePath, loose names, backslashes; the folder name', () => {
    const f = new File(['x'], 'config.json');
    Object.defineProperty(f, 'webkitRelativePath', { value: 'clip/config.json' });
    expect(toPathedFiles([f, new File(['y'], 'tokenizer.json')]).map((p) => p.path)).toEqual(['clip/config.json', 'tokenizer.json']);
    expect(toPathedFiles([{ path: '.\\clip\\onnx\\a.onnx', file: f }])[0].path).toBe('clip/onnx/a.onnx');
    expect(localFolderName(['clip/config.json', 'clip/onnx/a.onnx'])).toBe('clip');
    expect(localFolderName(['clip/config.json', 'other/a.onnx'])).toBeNull();
    expect(localFolderName(['config.json'])).toBeNull();
    expect(localOriginLabel(fixtureFiles())).toMatch(/^tiny-clip\/ \(\d+ local files, [\d.]+ (KiB|MiB)\)$/);
  });

  it('the key follows name, size and modification time', () => {
    const k = localModelKey(fixtureFiles());
    expect(k.startsWith('local:')).toBe(true);
    expect(localModelKey(fixtureFiles())).toBe(k);
    expect(localModelKey(fixtureFiles(undefined, 1_700_000_000_001))).not.toBe(k);
    expect(localModelKey(fixtureFiles((p, b) => (p === 'config.json' ? new Uint8Array([...b, 32]) : b)))).not.toBe(k);
  });

  it('precision and variant labels', () => {
    expect(towerPrecisionLabel('fp32', [])).toBe('fp32');
    expect(towerPrecisionLabel('fp16', ['upcast float16 → float32'])).toBe('fp16 (file) → fp32 for the autodiff');
    const note = variantsNote({
      variants: [
        { precision: 'fp32', layout: 'towers', files: [], sizes: {}, bytes: 2048 },
        { precision: 'fp16', layout: 'combined', files: [], sizes: {}, bytes: 1024 },
      ],
      unsupported: [], incomplete: [{ precision: 'q8', present: 'onnx/vision_model_quantized.onnx', missing: 'onnx/text_model_quantized.onnx' }],
    }, 'fp32');
    expect(note).toBe('Precisions in the folder: fp32 2.0 KiB, fp16 (model.onnx) 1.0 KiB; loaded fp32. q8 incomplete: onnx/vision_model_quantized.onnx without onnx/text_model_quantized.onnx.');
  });
});
