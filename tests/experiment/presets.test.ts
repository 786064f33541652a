/**
 * The guided start's presets (src/experiment/presets.ts) are values of the experiment spec: every setting names a
 * leaf of the spec with a valid value, applying a preset gives a configuration that validates and survives a
 * shareable link unchanged, an 'over current' preset changes only its own settings, an 'over defaults' one keeps
 * the model source and seed.
 */
import { describe, expect, it } from 'vitest';
import {
  applyPreset, ATTACK_DEMO_PRESET, decodeConfigToken, defaultConfig, encodeConfigToken, experimentSpec, leafPaths, leafProblem,
  QUICK_DEMO_PRESET, specAt, validateConfig, valueAt, withValueAt, type ExperimentConfig,
} from '../../src/experiment';

const PRESETS = [ATTACK_DEMO_PRESET, QUICK_DEMO_PRESET];

/** A configuration a user may have edited: another model, seed, dataset and a few fine-tuning and attack values. */
function edited(): ExperimentConfig {
  let c = defaultConfig();
  for (const [p, v] of [
    ['model.source', 'random-init'], ['seed', 77], ['data.dataset', 'mnist'], ['fineTune.aos.lambda2', 3], ['fineTune.method', 'tecoa'],
    ['attack.cwConfidence', 2], ['name', 'mine'],
  ] as const) c = withValueAt(c, p, v);
  return c;
}

describe('presets', () => {
  for (const preset of PRESETS) {
    it(`${preset.id}: every setting is a spec leaf with a valid value; applied, it validates and round-trips through a link`, () => {
      const leaves = new Set(leafPaths(experimentSpec));
      for (const s of preset.settings) {
        expect(leaves.has(s.path), s.path).toBe(true);
        const spec = specAt(experimentSpec, s.path)!;
        expect(spec.kind).not.toBe('object');
        if (spec.kind !== 'object') expect(leafProblem(spec, s.value), s.path).toBeNull();
        expect(s.why.length, s.path).toBeGreaterThan(10);
      }
      expect(new Set(preset.settings.map((s) => s.path)).size).toBe(preset.settings.length);
      const c = applyPreset(edited(), preset);
      expect(validateConfig(c).issues).toEqual([]);
      for (const s of preset.settings) expect(valueAt(c, s.path), s.path).toEqual(s.value);
      const back = decodeConfigToken(encodeConfigToken(c));
      expect(back.issues).toEqual([]);
      expect(back.config).toEqual(c);
    });
  }

  it('the attack preset changes only its own settings; the quick demo starts from the defaults but keeps the model and seed', () => {
    const before = edited();
    const a = applyPreset(before, ATTACK_DEMO_PRESET);
    const own = new Set(ATTACK_DEMO_PRESET.settings.map((s) => s.path));
    for (const p of leafPaths(experimentSpec)) if (!own.has(p)) expect(valueAt(a, p), p).toEqual(valueAt(before, p));
    expect(ATTACK_DEMO_PRESET.over).toBe('current');

    const q = applyPreset(before, QUICK_DEMO_PRESET);
    expect(q.model).toEqual(before.model);
    expect(q.seed).toBe(77);
    expect(q.fineTune.aos.lambda2).toBe(defaultConfig().fineTune.aos.lambda2);
    expect(q.attack).toEqual(defaultConfig().attack);
    expect(q.fineTune.method).toBe('aos');
    expect(q.data.dataset).toBe('fashion-mnist');
    // The input is not modified.
    expect(before.fineTune.method).toBe('tecoa');
  });

  it('a preset with a value outside the spec is refused with the path', () => {
    const bad = { ...QUICK_DEMO_PRESET, id: 'bad', settings: [{ path: 'fineTune.batchSize', value: 0, why: 'out of range on purpose' }] };
    expect(() => applyPreset(defaultConfig(), bad)).toThrow(/bad: fineTune.batchSize/);
  });
});
