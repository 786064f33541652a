/**
 * Broken folders and refused loads, each with a clear message: truncated ONNX, not ONNX at all, ops the autodiff
 * cannot differentiate (unknown and known), wrong tensor names, missing tokenizer.json, sizes over the cap, non-https
 * URLs, refused or missing confirmation, broken tokenizer / preprocessor configs, HTTP errors and cut transfers.
 * URL cases go through a node:http server on 127.0.0.1.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ModelLoadError, loadClipModel, planModelLoad, urlSource, type ModelLoadErrorCode } from '../../src/models';
import { PreprocessorConfigError } from '../../src/image/preprocess';
import { TokenizerJsonError } from '../../src/text/tokenizer';
import { bytesOf, fixtureFiles, fixtureModel, insertBeforeOutput, renameTensor, serve, type TestServer } from './helpers';

const VISION = 'onnx/vision_model.onnx';
const TEXT = 'onnx/text_model.onnx';

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected the load to fail');
}

async function expectLoadError(p: Promise<unknown>, code: ModelLoadErrorCode, ...patterns: RegExp[]): Promise<ModelLoadError> {
  const e = await failure(p);
  expect(e, String(e)).toBeInstanceOf(ModelLoadError);
  expect((e as ModelLoadError).code, e.message).toBe(code);
  if (process.env.SHOW_MESSAGES) console.log(`[${(e as ModelLoadError).code}] ${e.message}`);
  for (const re of patterns) expect(e.message).toMatch(re);
  return e as ModelLoadError;
}

function withFile(name: string, bytes: Uint8Array | string | null): Map<string, Uint8Array> {
  const files = fixtureFiles();
  if (bytes === null) files.delete(name);
  else files.set(name, typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes);
  return files;
}

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('broken model files', () => {
  it('a truncated ONNX file', async () => {
    const v = fixtureFiles().get(VISION)!;
    const e = await expectLoadError(loadClipModel(withFile(VISION, v.slice(0, Math.floor(v.length * 0.6)))), 'truncated', /onnx\/vision_model\.onnx is truncated/, /incomplete/);
    expect(e.file).toBe(VISION);
    // Cut right after the graph (before opset_import): decodes, but is still reported as truncated.
    const t = fixtureFiles().get(TEXT)!;
    await expectLoadError(loadClipModel(withFile(TEXT, t.slice(0, 3))), 'truncated', /text_model\.onnx/);
  });

  it('files that are not ONNX at all', async () => {
    await expectLoadError(loadClipModel(withFile(VISION, '<!DOCTYPE html><html><body>Sign in</body></html>')), 'not-onnx', /HTML/, /vision_model\.onnx/);
    await expectLoadError(loadClipModel(withFile(VISION, 'version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 351000000\n')), 'not-onnx', /Git LFS pointer/);
    await expectLoadError(loadClipModel(withFile(TEXT, '{"error":"Repository not found"}')), 'not-onnx', /JSON/, /Repository not found/);
    await expectLoadError(loadClipModel(withFile(VISION, new Uint8Array(0))), 'not-onnx', /empty/);
    const noise = new Uint8Array(4096);
    for (let i = 0; i < noise.length; i++) noise[i] = (i * 2654435761) >>> 24;
    await expectLoadError(loadClipModel(withFile(VISION, noise)), 'not-onnx', /not an ONNX model/);
  });

  it('an op the autodiff cannot differentiate, and an unknown custom op', async () => {
    const round = bytesOf(insertBeforeOutput(fixtureModel('vision'), 'image_embeds', 'Round'));
    const e = await expectLoadError(loadClipModel(withFile(VISION, round)), 'undifferentiable', /no gradient rule/, /Round node '\/inserted\/Round'/, /requireGradients: false/);
    expect(e.file).toBe(VISION);
    const custom = bytesOf(insertBeforeOutput(fixtureModel('text'), 'text_embeds', 'FancyNorm', 'com.example'));
    await expectLoadError(loadClipModel(withFile(TEXT, custom)), 'undifferentiable', /FancyNorm/, /text_model\.onnx/);
    // Inference-only loads list them instead.
    const m = await loadClipModel(withFile(VISION, round), { requireGradients: false });
    expect(m.vision.unsupportedOps).toEqual(["Round node '/inserted/Round'"]);
    expect(m.text.unsupportedOps).toEqual([]);
  });

  it('wrong input and output names', async () => {
    const x = bytesOf(renameTensor(fixtureModel('vision'), 'pixel_values', 'images'));
    await expectLoadError(loadClipModel(withFile(VISION, x)), 'wrong-names', /expected vision tower pixel_values → image_embeds/, /no input 'pixel_values'/, /inputs are 'images' \(float32 \[batch, 1, 28, 28\]\)/);
    const y = bytesOf(renameTensor(fixtureModel('text'), 'text_embeds', 'pooler_output'));
    await expectLoadError(loadClipModel(withFile(TEXT, y)), 'wrong-names', /no output 'text_embeds'/, /'pooler_output'/);
    // The towers swapped: each file names what it has.
    const files = fixtureFiles();
    const v = files.get(VISION)!;
    files.set(VISION, files.get(TEXT)!);
    files.set(TEXT, v);
    await expectLoadError(loadClipModel(files), 'wrong-names', /onnx\/vision_model\.onnx: expected vision tower/, /'input_ids' \(int64/);
  });

  it('a missing tokenizer.json, and no ONNX files of the requested precision', async () => {
    await expectLoadError(loadClipModel(withFile('tokenizer.json', null)), 'missing-file', /tokenizer\.json is missing/, /transformers\.js layout/);
    await expectLoadError(loadClipModel(withFile(TEXT, null)), 'missing-file', /onnx\/vision_model\.onnx is there but onnx\/text_model\.onnx is missing/);
    await expectLoadError(loadClipModel(fixtureFiles(), { precision: 'fp16' }), 'missing-file', /no ONNX model for precision 'fp16'/, /Variants present: fp32/);
  });

  it('broken tokenizer and preprocessor configs raise their own error types', async () => {
    const t = await failure(loadClipModel(withFile('tokenizer.json', '{"model": {"type": "BPE", "vocab": []}}')));
    expect(t).toBeInstanceOf(TokenizerJsonError);
    expect(t.message).toMatch(/vocab/);
    const j = await failure(loadClipModel(withFile('tokenizer.json', '{"model":')));
    expect(j).toBeInstanceOf(TokenizerJsonError);
    const p = await failure(loadClipModel(withFile('preprocessor_config.json', '{"image_std": [0]}')));
    expect(p).toBeInstanceOf(PreprocessorConfigError);
    expect(p.message).toMatch(/image_std/);
  });
});

describe('URL loads: policy, caps, confirmation, transfers', () => {
  it('refuses non-https URLs (plain http only for 127.0.0.1 / localhost)', async () => {
    await expectLoadError(loadClipModel('http://example.com/models/clip/'), 'insecure-url', /must use https/, /http:\/\/example\.com/);
    await expectLoadError(loadClipModel('ftp://example.com/clip/'), 'insecure-url', /must use https/);
    await expectLoadError(loadClipModel('https://user:pw@example.com/clip/'), 'insecure-url', /credentials/);
    await expectLoadError(loadClipModel('not a url'), 'insecure-url', /neither a URL nor a hub repo id/);
    expect(urlSource('http://localhost:8080/m').label).toBe('http://localhost:8080/m/');
  });

  it('a size over the cap: before downloading (content-length) and while streaming (no length)', async () => {
    server = await serve(fixtureFiles());
    const e = await expectLoadError(loadClipModel(server.base, { maxBytes: 100_000 }), 'too-large', /over the size cap of 97\.7 KiB/, /raise maxBytes/);
    expect(e.message).toMatch(/text_model\.onnx 208\.9 KiB/);
    expect(server.requests.filter((r) => r.method === 'GET')).toEqual([]);
    await server.close();
    // No content-length anywhere: the cap stops the stream.
    const files = fixtureFiles();
    server = await serve(files, { noLength: new Set(files.keys()) });
    const plan = await planModelLoad(server.base);
    expect(plan.totalBytes).toBeNull();
    await expectLoadError(loadClipModel(server.base, { maxBytes: 200_000 }), 'too-large', /went over the size cap of 195\.3 KiB while reading onnx\/text_model\.onnx/, /gave no sizes in advance/);
    // Raising the cap loads it.
    const ok = await loadClipModel(server.base, { maxBytes: 400_000 });
    expect(ok.files.reduce((s, f) => s + f.bytes, 0)).toBeGreaterThan(300_000);
  });

  it('shared links need a confirm callback; a refusal downloads nothing', async () => {
    server = await serve(fixtureFiles());
    await expectLoadError(loadClipModel(server.base, { sharedLink: true }), 'confirm-required', /shared link/, /confirm/);
    expect(server.requests).toEqual([]);
    let shown: { files: number; total: number | null } | undefined;
    await expectLoadError(loadClipModel(server.base, {
      sharedLink: true,
      confirm: (plan) => {
        shown = { files: plan.files.length, total: plan.totalBytes };
        return false;
      },
    }), 'refused', /refused/, /nothing was downloaded/);
    expect(shown).toEqual({ files: 6, total: [...fixtureFiles().values()].reduce((s, b) => s + b.byteLength, 0) });
    expect(server.requests.every((r) => r.method === 'HEAD')).toBe(true);
    const ok = await loadClipModel(server.base, { sharedLink: true, confirm: async () => true });
    expect(ok.files.length).toBe(6);
  });

  it('HTTP errors, a missing file over HTTP, and a transfer cut short', async () => {
    server = await serve(fixtureFiles(), { status: new Map([['onnx/text_model.onnx', 500]]) });
    await expectLoadError(loadClipModel(server.base), 'http', /text_model\.onnx: HEAD .* answered 500/);
    await server.close();
    server = await serve(withFile('tokenizer.json', null));
    await expectLoadError(loadClipModel(server.base), 'missing-file', /tokenizer\.json is missing from http:\/\/127\.0\.0\.1:\d+\/models\/tiny\//);
    await server.close();
    server = await serve(fixtureFiles(), { truncate: new Map([[VISION, 50_000]]) });
    await expectLoadError(loadClipModel(server.base), 'truncated', /vision_model\.onnx/, /(broke off after|received) 48\.8 KiB/);
  });
});
