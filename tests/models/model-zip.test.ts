/**
 * The model .zip (src/models/modelZip.ts): a folder written and read back is the same folder, and hostile zips are
 * refused with a message naming what is wrong — before inflating where the central directory already tells (too
 * many entries, declared sizes over the caps, paths outside the folder, duplicates), while inflating where it lies
 * (a bomb whose declared size is small), and after (a file that does not match the manifest's sha256).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { ModelLoadError } from '../../src/models/errors';
import { MODEL_MANIFEST, readModelZip, writeModelZip, type ModelZipLimits } from '../../src/models/modelZip';

const FIXTURE = 'public/fixtures/tiny-clip';
const FOLDER = ['config.json', 'preprocessor_config.json', 'tokenizer.json', 'onnx/vision_model.onnx', 'onnx/text_model.onnx'];
const folder = (): Record<string, Uint8Array> => Object.fromEntries(FOLDER.map((n) => [n, new Uint8Array(readFileSync(join(FIXTURE, n)))]));

const SMALL: ModelZipLimits = { maxEntries: 8, maxEntryBytes: 1 << 20, maxTotalBytes: 3 << 20 };

async function refusal(zip: Uint8Array, limits?: ModelZipLimits): Promise<ModelLoadError> {
  const e = await readModelZip(zip, 'model.zip', limits).then(() => null, (x: unknown) => x);
  expect(e, 'the zip was accepted').toBeInstanceOf(ModelLoadError);
  expect((e as ModelLoadError).code).toBe('bad-archive');
  return e as ModelLoadError;
}

const le32 = (b: Uint8Array, o: number, v: number) => new DataView(b.buffer, b.byteOffset).setUint32(o, v, true);

/** Offsets of the local header and central-directory header of the entry named `name`. */
function headersOf(zip: Uint8Array, name: string): { local: number; central: number } {
  const want = new TextEncoder().encode(name);
  const at = (sig: number, nameAt: number) => {
    for (let o = 0; o + nameAt + want.length <= zip.length; o++) {
      if (new DataView(zip.buffer, zip.byteOffset).getUint32(o, true) === sig && want.every((c, i) => zip[o + nameAt + i] === c)
        && new DataView(zip.buffer, zip.byteOffset).getUint16(o + (sig === 0x04034b50 ? 26 : 28), true) === want.length) return o;
    }
    throw new Error(`no ${name}`);
  };
  return { local: at(0x04034b50, 30), central: at(0x02014b50, 46) };
}

/** Rewrites an entry's uncompressed size in both headers (the lie of a zip bomb). */
function declareSize(zip: Uint8Array, name: string, size: number): void {
  const h = headersOf(zip, name);
  le32(zip, h.local + 22, size);
  le32(zip, h.central + 24, size);
}

describe('model zip: round trip', () => {
  it('writes the folder with a manifest and reads back the same bytes, every sha256 verified', async () => {
    const files = folder();
    const zip = await writeModelZip(files, 'aos-workbench/test-step3');
    const back = await readModelZip(zip, 'model.zip');
    expect([...back.files.keys()].sort()).toEqual([...FOLDER].sort());
    for (const n of FOLDER) expect(Buffer.from(back.files.get(n)!).equals(Buffer.from(files[n])), n).toBe(true);
    expect(back.manifest?.name).toBe('aos-workbench/test-step3');
    expect(back.manifest?.files.map((f) => f.path).sort()).toEqual([...FOLDER].sort());
    expect(back.notes.join(' ')).toContain('verified');
  });

  it('a zip without a manifest (a folder zipped by hand, directories included) loads with a note', async () => {
    const f = folder();
    const zip = zipSync({ 'onnx/': new Uint8Array(0), ...Object.fromEntries(Object.entries(f).map(([k, v]) => [k, [v, { level: 1 }]])) });
    const back = await readModelZip(zip, 'hand.zip');
    expect(back.manifest).toBeNull();
    expect(back.files.size).toBe(FOLDER.length);
    expect(back.notes.join(' ')).toMatch(/no aos-model-manifest\.json.*not verified/);
  });
});

describe('model zip: hostile input', () => {
  it('a bomb whose declared size is small stops while inflating', async () => {
    const zip = zipSync({ 'config.json': [new Uint8Array(8 << 20), { level: 9 }] });
    declareSize(zip, 'config.json', 1000);
    const e = await refusal(zip, SMALL);
    expect(e.message).toMatch(/config\.json' inflates to more than its declared 1000 B/);
  });

  it('an honest bomb (declared size over the cap) is refused from the central directory, per entry and in total', async () => {
    const one = zipSync({ 'tokenizer.json': [new Uint8Array(2 << 20), { level: 9 }] });
    expect((await refusal(one, SMALL)).message).toMatch(/tokenizer\.json' is 2\.0 MiB uncompressed, over the size cap of 1\.0 MiB/);
    const many = zipSync(Object.fromEntries(['a', 'b', 'c', 'd'].map((n) => [`${n}.bin`, [new Uint8Array(1 << 20), { level: 9 }]])));
    expect((await refusal(many, SMALL)).message).toMatch(/add up to more than 3\.0 MiB/);
  });

  it('too many entries are refused before any is read', async () => {
    const zip = zipSync(Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`f${i}.json`, new Uint8Array(1)])));
    expect((await refusal(zip, SMALL)).message).toContain('9 entries, over the limit of 8');
    const big = zipSync(Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`f${i}.json`, new Uint8Array(1)])));
    expect((await refusal(big)).message).toContain('65 entries, over the limit of 64');
  });

  it('paths outside the folder, absolute paths, backslashes and duplicates are refused', async () => {
    const cases: Array<[string, RegExp]> = [
      ['../evil.json', /points outside the folder/], ['onnx/../../evil.onnx', /points outside the folder/],
      ['/etc/passwd', /absolute path/], ['C:/Windows/x.dll', /absolute path/], ['onnx\\x.onnx', /backslashes/],
      ['a//b.json', /empty or '\.' path segment/], ['./config.json', /empty or '\.' path segment/],
    ];
    for (const [name, msg] of cases) {
      const e = await refusal(zipSync({ [name]: new Uint8Array(3) }));
      expect(e.message, name).toMatch(msg);
    }
    expect((await refusal(zipSync({ 'Config.json': new Uint8Array(1), 'config.json': new Uint8Array(1) }))).message).toMatch(/appears twice/);
    // An exact duplicate: the second entry renamed in both of its headers.
    const dup = zipSync({ 'a.json': new Uint8Array(1), 'b.json': new Uint8Array(2) });
    const h = headersOf(dup, 'b.json');
    dup[h.local + 30] = dup[h.central + 46] = 'a'.charCodeAt(0);
    expect((await refusal(dup)).message).toMatch(/'a\.json' appears twice/);
  });

  it('a file that does not match the manifest sha256, or a manifest that does not match the files, is refused', async () => {
    const zip = await writeModelZip(folder(), 'm');
    // The ONNX files are stored: flip a byte in the middle of the vision tower's data.
    const h = headersOf(zip, 'onnx/vision_model.onnx');
    zip[h.local + 30 + 'onnx/vision_model.onnx'.length + 5000] ^= 0xff;
    expect((await refusal(zip)).message).toMatch(/'onnx\/vision_model\.onnx' does not match its sha256 in the manifest/);

    const manifest = (files: unknown[]) => new TextEncoder().encode(JSON.stringify({ format: 'aos-workbench-model-zip-1', name: 'm', files }));
    const sha = '0'.repeat(64);
    const unlisted = zipSync({ [MODEL_MANIFEST]: manifest([{ path: 'a.json', bytes: 1, sha256: sha }]), 'a.json': new Uint8Array(1), 'b.json': new Uint8Array(1) });
    expect((await refusal(unlisted)).message).toMatch(/does not list 'b\.json'/);
    const absent = zipSync({ [MODEL_MANIFEST]: manifest([{ path: 'c.json', bytes: 1, sha256: sha }]), 'a.json': new Uint8Array(1) });
    expect((await refusal(absent)).message).toMatch(/lists 'c\.json', which is not in the zip/);
    const badHash = zipSync({ [MODEL_MANIFEST]: manifest([{ path: 'a.json', bytes: 1, sha256: 'xyz' }]), 'a.json': new Uint8Array(1) });
    expect((await refusal(badHash)).message).toMatch(/64-digit hex sha256/);
    const notJson = zipSync({ [MODEL_MANIFEST]: new TextEncoder().encode('{'), 'a.json': new Uint8Array(1) });
    expect((await refusal(notJson)).message).toMatch(/aos-model-manifest\.json: not JSON/);
  });

  it('a truncated or damaged zip is refused', async () => {
    const zip = await writeModelZip(folder(), 'm');
    expect((await refusal(zip.subarray(0, zip.length >> 1))).message).toMatch(/not a zip file, or one cut off/);
    expect((await refusal(new Uint8Array(0))).message).toMatch(/not a zip file/);
    // A deflated entry whose stream is cut short: the central directory still says the full size.
    const deflated = zipSync({ 'tokenizer.json': [new Uint8Array(readFileSync(join(FIXTURE, 'tokenizer.json'))), { level: 6 }] });
    const h = headersOf(deflated, 'tokenizer.json');
    const start = h.local + 30 + 'tokenizer.json'.length;
    deflated.fill(0xff, start + 20, start + 60);
    expect((await refusal(deflated)).message).toMatch(/tokenizer\.json' (is not valid deflate data|inflates to)/);
    // The local header's offset pointing past the data.
    const moved = zipSync({ 'a.json': new Uint8Array(4) });
    le32(moved, headersOf(moved, 'a.json').central + 42, moved.length - 30);
    expect((await refusal(moved)).message).toMatch(/local header is missing|runs past/);
  });

  it('encrypted entries and other compression methods are refused', async () => {
    const enc = zipSync({ 'a.json': new Uint8Array(4) });
    const h = headersOf(enc, 'a.json');
    enc[h.central + 8] |= 1;
    expect((await refusal(enc)).message).toMatch(/'a\.json' is encrypted/);
    const lzma = zipSync({ 'a.json': new Uint8Array(4) });
    new DataView(lzma.buffer).setUint16(headersOf(lzma, 'a.json').central + 10, 14, true);
    expect((await refusal(lzma)).message).toMatch(/compression method 14/);
  });

  it('random damage to a valid zip is either read or refused with a ModelLoadError, never anything else', async () => {
    const base = zipSync({ 'config.json': [new Uint8Array(readFileSync(join(FIXTURE, 'config.json'))), { level: 6 }], 'b.bin': new Uint8Array(64) });
    let seed = Number(process.env.AOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
    console.log(`model-zip mutants: AOS_SEED=${seed}`);
    const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (let i = 0; i < 300; i++) {
      const m = base.slice();
      for (let k = 0; k < 1 + Math.floor(rand() * 4); k++) m[Math.floor(rand() * m.length)] = Math.floor(rand() * 256);
      const r = await readModelZip(m, 'm.zip', SMALL).then(() => null, (e: unknown) => e);
      if (r !== null) expect(r, `mutant ${i}: ${String(r)}`).toBeInstanceOf(ModelLoadError);
    }
  });
});
