/**
 * Robust evaluation of a model folder (a tiny random-init CLIP built in memory): accuracies are fractions of the
 * counted images, the padded last chunk is ignored, robust ≤ clean, the per-sample worst case ≤ every attack, and
 * a larger ε never helps. Plus the mapping of the UI's experiment config onto the fine-tuning config.
 */
import { describe, expect, it } from 'vitest';
import { withGpu } from '../helpers/gpu';
import { buildClipFolder } from '../../src/onnx/clip';
import { evaluateRobust, maskingLines, robustTable } from '../../src/methods/evaluate';
import { MASKING_EXTENSION_EPS_255 } from '../../src/attacks/protocol';
import { runFromSets, validateResults, RESULTS_SCHEMA, RESULTS_VERSION } from '../../src/methods/results';
import { defaultFineTuneConfig, fromExperimentConfig, METHOD_NAMES, resolvedTowers } from '../../src/methods/config';
import { fineTuneSpec } from '../../src/experiment/fineTune';
import { leafPaths, valueAt } from '../../src/experiment/spec';
import { methodPromptSelection } from '../../src/methods/loop';
import { promptTexts } from '../../src/methods/text';
import { defaultConfig } from '../../src/experiment/config';
import { cfg, syntheticDataset, CLASSES } from './setup';

describe('robust evaluation', () => {
  it('clean ≥ each attack ≥ worst case; monotone in ε; padding ignored', async () => {
    await withGpu(async (ctx) => {
      const files = buildClipFolder(cfg, { texts: promptTexts(CLASSES).flat(), seed: 3, biasStd: 0.02 }).files;
      const data = syntheticDataset(5, 7);
      const res = await evaluateRobust(ctx, files, [{ dataset: 'synthetic', split: 'train', data }], {
        epsilons: [2 / 255, 32 / 255], batch: 4, limit: 7, seed: 1,
        attacks: [{ name: 'PGD-2', method: 'pgd', steps: 2, loss: 'ce' }, { name: 'APGD-2', method: 'apgd', steps: 2, loss: 'ce' }],
      });
      const r = res[0];
      expect(r.count).toBe(7);
      for (const v of [r.clean, ...r.robust.flatMap((e) => [e.worst, ...Object.values(e.attacks)])]) expect(Number.isInteger(Math.round(v * 7 * 1e6) / 1e6)).toBe(true);
      for (const e of r.robust) {
        for (const a of Object.values(e.attacks)) {
          expect(a).toBeLessThanOrEqual(r.clean);
          expect(e.worst).toBeLessThanOrEqual(a);
        }
      }
      expect(r.robust[1].worst).toBeLessThanOrEqual(r.robust[0].worst);
      expect(robustTable(res).split('\n')).toHaveLength(2 + 3);
    });
  });
});

describe('robust evaluation with the protocol', () => {
  it('per-image outcomes (robust ≤ clean, cumulative stages), masking verdict, a valid results run', async () => {
    await withGpu(async (ctx) => {
      const files = buildClipFolder(cfg, { texts: promptTexts(CLASSES).flat(), seed: 3, biasStd: 0.02 }).files;
      const data = syntheticDataset(6, 7);
      const epsilons = [4 / 255, 48 / 255];
      const res = await evaluateRobust(ctx, files, [{ dataset: 'synthetic', split: 'test', data }], {
        epsilons, batch: 4, limit: 7, seed: 2, attacks: [],
        protocol: { apgdSteps: 2, apgdRestarts: 1, targets: 2, targetedSteps: 2, squareQueries: 3, seed: 5 },
      });
      const r = res[0];
      expect(r.cleanCorrect).toHaveLength(7);
      expect(r.clean).toBe(r.cleanCorrect!.reduce((a, v) => a + v, 0) / 7);
      for (const e of r.robust) {
        expect(e.correct).toHaveLength(7);
        for (let i = 0; i < 7; i++) expect(e.correct![i]).toBeLessThanOrEqual(r.cleanCorrect![i]);
        expect(Object.keys(e.attacks)).toEqual(['APGD-CE', 'APGD-T', 'Square']);
        const v = Object.values(e.attacks);
        for (let j = 1; j < v.length; j++) expect(v[j]).toBeLessThanOrEqual(v[j - 1]);
        expect(e.worst).toBe(v[v.length - 1]);
      }
      expect(r.masking?.verdict).toMatch(/^(pass|suspect)$/);
      // The sweep is the grid, extended past its end (in order) only while more than 5 % survive.
      const sweep = r.masking!.report.sweep, extra = sweep.slice(epsilons.length);
      expect(sweep.slice(0, epsilons.length).map((x) => x.eps)).toEqual(epsilons);
      expect(extra.map((x) => x.eps)).toEqual(MASKING_EXTENSION_EPS_255.map((e) => e / 255).slice(0, extra.length));
      for (let i = epsilons.length - 1; i < sweep.length - 1; i++) expect(sweep[i].robustAccuracy).toBeGreaterThan(0.05);
      expect(maskingLines(res)[0]).toMatch(/synthetic\/test: masking check \*\*(pass|suspect)\*\*/);
      const run = runFromSets('m', 'none', null, res);
      expect(run.cells).toHaveLength(3);
      validateResults({
        schema: RESULTS_SCHEMA, version: RESULTS_VERSION, epsilons, headlineEps: epsilons[1], runs: [run], notes: maskingLines(res),
        provenance: { commit: 'unknown', adapter: ctx.adapter.description, createdAt: new Date().toISOString(), config: {}, seeds: [5], files: [] },
      });
    });
  });
});

describe('experiment config → fine-tuning config', () => {
  it('one vocabulary: the experiment\'s fineTune settings are the loop\'s, with the same names and defaults; towers and prompt set shared by every method', () => {
    const e = defaultConfig();
    for (const method of METHOD_NAMES) {
      // Every setting the UI holds maps to the same path of the loop's config, with the same default.
      const d = defaultFineTuneConfig(method), mapped = fromExperimentConfig({ ...e, fineTune: { ...e.fineTune, method } }).config;
      for (const p of leafPaths(fineTuneSpec)) {
        if (p === 'method') continue;
        expect(valueAt(mapped, p), `${method} ${p}`).toEqual(valueAt(d, p));
        expect(valueAt(d, p), `${method} ${p}: the loop's default is the spec's`).toEqual(valueAt(fineTuneSpec.default, p));
      }
    }
    e.fineTune.aos.lambda1 = 0.5;
    e.fineTune.aos.rank1 = true;
    e.fineTune.attack.eps = 2 / 255;
    const { config, notes } = fromExperimentConfig(e);
    expect(config.method).toBe('aos');
    expect(config.aos.lambda1).toBe(0.5);
    expect(config.aos.rank1).toBe(true);
    expect(config.attack).toMatchObject({ eps: 2 / 255, steps: 2 });
    expect(config.textLrMultiplier).toBe(0.1);
    expect(resolvedTowers(config)).toEqual({ vision: true, text: true });
    expect(methodPromptSelection(config)).toEqual({ templates: 8, synonyms: 3 });
    expect(notes).toEqual([]);
    e.fineTune.method = 'tecoa';
    const t = fromExperimentConfig(e);
    expect(resolvedTowers(t.config), 'a baseline trains what AoS trains').toEqual({ vision: true, text: true });
    expect(methodPromptSelection(t.config), 'and uses the same prompt set').toEqual({ templates: 8, synonyms: 3 });
    expect(t.notes).toEqual([]);
    e.fineTune.method = 'fare';
    const f = fromExperimentConfig(e);
    expect(resolvedTowers(f.config)).toEqual({ vision: true, text: false });
    expect(f.notes.join(' ')).toMatch(/vision tower/);
  });
});
