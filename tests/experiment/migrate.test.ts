import { describe, expect, it } from 'vitest';
import { decodeConfigToken, defaultConfig, toBase64Url } from '../../src/experiment';
import { importConfigJson } from '../../src/experiment/json';

/** A complete version-1 configuration as version-1 links wrote it (every field, its layout and names). */
function v1Config(): Record<string, unknown> {
  return {
    name: 'old run', seed: 9,
    model: { source: 'bundled', url: '', maxMB: 256 },
    data: { dataset: 'mnist', evalSplit: 'val', trainLimit: 500 },
    method: {
      kind: 'aos',
      aos: { lambda1: 0.5, lambda2: 2, lambda3: 0, augmentations: 3, synonyms: 2, templates: 4, distance: 'projection', ridgeFromSpectrum: false, ridge: 0.05, rank1Ablation: true },
      tecoa: { promptEnsemble: true }, pmgAft: { alpha: 0.3, beta: 4 }, fare: { loss: 'l2' },
    },
    train: { towers: 'both', optimizer: 'sgd', lr: 3e-4, textLrMultiplier: 0.5, weightDecay: 0, batchSize: 16, advEpsilon: 4 / 255, advSteps: 5 },
    attack: { type: 'apgd-ce', epsilon: 8 / 255, steps: 30, alpha: 1 / 255, restarts: 2, targetClass: null, cwConfidence: 0 },
    budget: { steps: 300, evalEvery: 25, maxMinutes: 12 },
  };
}

const v1Token = (c: unknown): string => `v1.${toBase64Url(JSON.stringify(c))}`;

describe('experiment config format 1 → 2 (one vocabulary)', () => {
  it('every version-1 setting lands at its version-2 path with its value, and nothing is reported', () => {
    const r = decodeConfigToken(v1Token(v1Config()));
    expect(r.refused).toBeNull();
    expect(r.issues).toEqual([]);
    expect(r.version).toBe(1);
    const c = r.config;
    expect([c.name, c.seed, c.data.dataset, c.data.trainLimit, c.attack.type, c.attack.restarts, c.budget.maxMinutes]).toEqual(['old run', 9, 'mnist', 500, 'apgd-ce', 2, 12]);
    expect(c.fineTune).toEqual({
      method: 'aos', towers: 'both', prompts: { templates: 4, synonyms: 2 }, optimizer: 'sgd', lr: 3e-4, textLrMultiplier: 0.5, weightDecay: 0,
      batchSize: 16, steps: 300, evalEvery: 25, attack: { eps: 4 / 255, steps: 5 },
      aos: { lambda1: 0.5, lambda2: 2, lambda3: 0, augmentations: 3, distance: 'projection', ridgeFromSpectrum: false, ridge: 0.05, rank1: true },
      pmgAft: { alpha: 0.3, beta: 4 }, fare: { loss: 'l2' },
    });
  });

  it('keeps what a version-1 baseline meant: the vision tower only, its own prompts', () => {
    const tecoa = v1Config();
    (tecoa.method as Record<string, unknown>).kind = 'tecoa';
    const t = decodeConfigToken(v1Token(tecoa)).config.fineTune;
    expect([t.method, t.towers, t.prompts]).toEqual(['tecoa', 'vision', { templates: 8, synonyms: 1 }]);
    (tecoa.method as { tecoa: { promptEnsemble: boolean } }).tecoa.promptEnsemble = false;
    expect(decodeConfigToken(v1Token(tecoa)).config.fineTune.prompts).toEqual({ templates: 1, synonyms: 1 });
    const pmg = v1Config();
    (pmg.method as Record<string, unknown>).kind = 'pmg-aft';
    const p = decodeConfigToken(v1Token(pmg)).config.fineTune;
    expect([p.towers, p.prompts, p.pmgAft]).toEqual(['vision', { templates: 8, synonyms: 1 }, { alpha: 0.3, beta: 4 }]);
  });

  it('fields a version-1 input lacks take version 1\'s defaults where the default changed', () => {
    const r = decodeConfigToken(v1Token({ seed: 2 }));
    expect(r.issues).toEqual([]);
    expect([r.config.fineTune.lr, r.config.fineTune.steps, r.config.fineTune.evalEvery]).toEqual([1e-5, 1000, 100]);
    expect(r.config.fineTune.aos).toEqual(defaultConfig().fineTune.aos);
  });

  it('hostile version-1 input: bad values are reported at their new paths, unknown keys at their old ones, and neither is carried', () => {
    const c = v1Config();
    (c.train as Record<string, unknown>).lr = 5;
    (c.method as { aos: Record<string, unknown> }).aos.augmentations = 'many';
    (c.method as { aos: Record<string, unknown> }).aos.lambda9 = 3;
    (c as Record<string, unknown>).evil = { x: 1 };
    const text = JSON.stringify(c).replace('{', '{"__proto__":{"polluted":"yes"},');
    const r = decodeConfigToken(`v1.${toBase64Url(text)}`);
    expect(r.refused).toBeNull();
    expect(r.issues.map((i) => i.path).sort()).toEqual(['__proto__', 'evil', 'fineTune.aos.augmentations', 'fineTune.lr', 'method.aos.lambda9']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(r.config).not.toHaveProperty('evil');
    expect(r.config.fineTune.lr).toBe(defaultConfig().fineTune.lr);
    for (const junk of [null, 7, 'x', [1], { method: 'aos' }, { method: { kind: 3, aos: [] }, train: 'fast', budget: null }]) {
      const j = decodeConfigToken(v1Token(junk));
      expect(j.refused === null || typeof j.refused === 'string').toBe(true);
    }
  });

  it('an exported version-1 JSON file is upgraded the same way', () => {
    const r = importConfigJson(JSON.stringify({ format: 'aos-workbench-experiment', version: 1, config: v1Config() }));
    expect(r.refused).toBeNull();
    expect(r.config.fineTune.aos.rank1).toBe(true);
    expect(r.config.fineTune.attack).toEqual({ eps: 4 / 255, steps: 5 });
  });
});
