import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseResults } from '../../src/methods/results';
import { modelForRun, parseResultsModels, protocolOf, validateResultsModels } from '../../src/methods/resultsModels';

const manifestText = readFileSync('public/results/models/manifest.json', 'utf8');
const committed = parseResults(readFileSync('results/reproduce-quick.json', 'utf8'));

describe('committed models of the results table (public/results/models)', () => {
  it('every file exists with the size and sha256 the manifest lists', () => {
    const m = parseResultsModels(manifestText);
    expect(m.models.length).toBeGreaterThan(0);
    for (const model of m.models) {
      for (const f of model.files) {
        const path = join('public', f.url);
        expect(statSync(path).size, path).toBe(f.bytes);
        expect(createHash('sha256').update(readFileSync(path)).digest('hex'), path).toBe(f.sha256);
      }
    }
  });

  it('one seed-0 model per table method, each vouched for by the committed results file', () => {
    const m = parseResultsModels(manifestText);
    const tableMethods = [...new Set(committed.runs.filter((r) => r.method !== 'none' && !r.method.includes('@')).map((r) => r.method))].sort();
    expect(m.models.map((x) => x.method).sort()).toEqual(tableMethods);
    for (const model of m.models) {
      expect(model.seed).toBe(0);
      const r = modelForRun(m, committed, model.run);
      expect(r.ok, r.ok ? '' : r.reason).toBe(true);
    }
  });

  it('refuses a model whose hash the results file does not record, and names what is wrong', () => {
    const m = parseResultsModels(manifestText);
    const run = m.models[0].run;
    const tampered = JSON.parse(manifestText);
    tampered.models[0].files.find((f: { name: string }) => f.name === 'onnx/vision_model.onnx').sha256 = '0'.repeat(64);
    const r = modelForRun(validateResultsModels(tampered), committed, run);
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.reason).toMatch(/vision_model\.onnx .* is not the one the results file records/);
    const other = modelForRun(m, committed, 'pretrained');
    expect(other.ok ? '' : other.reason).toMatch(/no committed model for run pretrained/);
    const noRecord = JSON.parse(manifestText);
    delete noRecord.models[0].files.find((f: { name: string }) => f.name === 'onnx/text_model.onnx').recorded;
    expect(modelForRun(validateResultsModels(noRecord), committed, run).ok).toBe(false);
  });

  it('the manifest is hostile input: fields checked, paths plain, sizes bounded', () => {
    const bad = (mut: (x: any) => void) => {
      const x = JSON.parse(manifestText);
      mut(x);
      return () => validateResultsModels(x);
    };
    expect(bad((x) => (x.models[1].files[0].url = '../../etc/passwd'))).toThrow(/\$\.models\[1\]\.files\[0\]\.url: expected a relative path/);
    expect(bad((x) => (x.models[0].files[2].url = 'https://evil.example/x'))).toThrow(/files\[2\]\.url/);
    expect(bad((x) => (x.models[0].files[4].bytes = 1e12))).toThrow(/files\[4\]\.bytes/);
    expect(bad((x) => x.models[0].files.pop())).toThrow(/\$\.models\[0\]\.files: no onnx\/text_model\.onnx/);
    expect(bad((x) => (x.models[0].extra = 1))).toThrow(/\$\.models\[0\]\.extra: unknown field/);
    expect(bad((x) => (x.version = 2))).toThrow(/\$\.version: unsupported version 2/);
    expect(() => parseResultsModels(' '.repeat(300 * 1024))).toThrow(/at most/);
  });

  it('reads the protocol the results file records, bounded', () => {
    const p = protocolOf(committed);
    expect(p.ok).toBe(true);
    if (p.ok) expect(p.protocol).toMatchObject({ apgdSteps: 20, apgdRestarts: 1, targets: 3, targetedSteps: 20, squareQueries: 100, seed: 0 });
    const hostile = structuredClone(committed);
    (hostile.provenance.config as { settings: { protocol: { apgdSteps: number } } }).settings.protocol.apgdSteps = 1e9;
    const r = protocolOf(hostile);
    expect(r.ok ? '' : r.reason).toMatch(/apgdSteps is not an integer in \[0, 10000\]/);
    const none = structuredClone(committed);
    none.provenance.config = {};
    expect(protocolOf(none).ok).toBe(false);
  });
});
