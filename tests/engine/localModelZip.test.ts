/**
 * src/engine/localModelZip.ts: a model .zip picked in the Model panel becomes the files of a folder the model loader
 * reads like any picked folder (the tiny CLIP fixture zipped by the Runs panel's writer loads with the same sha256s);
 * a zip among other files, a zip over the cap (refused from its size, before reading) and a damaged zip are refused.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { localModelSource, localOriginLabel, type PathedFile } from '../../src/engine/localModel';
import { expandModelZip } from '../../src/engine/localModelZip';
import { ModelLoadError } from '../../src/models/errors';
import { loadClipModel } from '../../src/models/load';
import { writeModelZip } from '../../src/models/modelZip';
import { sha256Sync } from '../../src/models/sha256';

const DIR = 'public/fixtures/tiny-clip';
const walk = (dir: string, prefix = ''): string[] =>
  readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? walk(join(dir, n), `${prefix}${n}/`) : [`${prefix}${n}`]));
const fixture = (): Record<string, Uint8Array> => Object.fromEntries(walk(DIR).map((n) => [n, new Uint8Array(readFileSync(join(DIR, n)))]));
const pathed = (path: string, bytes: Uint8Array): PathedFile => ({ path, file: new File([bytes as Uint8Array<ArrayBuffer>], path.split('/').pop()!) });

describe('a model zip in the Model panel', () => {
  it('unpacks into a folder named after the zip that the model loader reads with the fixture’s sha256s', async () => {
    const files = fixture();
    const zip = await writeModelZip(files, 'aos-workbench/run-step2');
    const out = await expandModelZip([pathed('run-step2.zip', zip)]);
    expect(out.zip).toBe('run-step2.zip');
    expect(out.files.map((f) => f.path).sort()).toEqual(Object.keys(files).map((n) => `run-step2/${n}`).sort());
    expect(out.notes.join(' ')).toContain('verified against the sha256 in its manifest');
    expect(localOriginLabel(out.files)).toMatch(/^run-step2\/ \(/);
    const loaded = await loadClipModel(localModelSource(out.files), { requireGradients: false });
    for (const f of loaded.files) expect(f.sha256, f.name).toBe(sha256Sync(files[f.name]));
    // A zip without the .zip name is recognised from its first bytes.
    expect((await expandModelZip([pathed('download', zip)])).files).toHaveLength(Object.keys(files).length);
  });

  it('a folder zipped by hand (a top folder inside, no manifest) loads with a note that nothing was verified', async () => {
    const files = fixture();
    const zip = zipSync(Object.fromEntries(Object.entries(files).map(([n, b]) => [`tiny-clip/${n}`, b])));
    const out = await expandModelZip([pathed('tiny-clip.zip', zip)]);
    expect(out.notes.join(' ')).toMatch(/no aos-model-manifest\.json: its files' sha256 were not verified/);
    const loaded = await loadClipModel(localModelSource(out.files), { requireGradients: false });
    for (const f of loaded.files) expect(f.sha256, f.name).toBe(sha256Sync(files[f.name]));
  });

  it('leaves picked folder files as they are', async () => {
    const files = [pathed('tiny-clip/config.json', new Uint8Array([123, 125]))];
    expect(await expandModelZip(files)).toEqual({ files, notes: [], zip: null });
  });

  it('refuses a zip among other files, a zip over the cap before reading it, and a damaged zip', async () => {
    const zip = await writeModelZip({ 'config.json': '{}' }, 'm');
    await expect(expandModelZip([pathed('m.zip', zip), pathed('config.json', new Uint8Array(2))])).rejects.toThrow(/loaded on its own/);
    const big = { path: 'big.zip', file: new File([new Uint8Array(4 << 20)], 'big.zip') };
    big.file.arrayBuffer = () => { throw new Error('read before the size check'); };
    const e = await expandModelZip([big], { maxEntries: 8, maxEntryBytes: 1 << 20, maxTotalBytes: 1 << 20 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ModelLoadError);
    expect((e as ModelLoadError).code).toBe('too-large');
    await expect(expandModelZip([pathed('cut.zip', zip.subarray(0, 40))])).rejects.toThrow(/cut\.zip: not a zip file, or one cut off/);
  });
});
