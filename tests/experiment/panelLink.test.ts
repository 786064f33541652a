/**
 * src/experiment/panelLink.ts: the `img` and `probe` fragment parameters of a shared link. Probe settings round-trip;
 * hostile values (wrong types, out of range, too many classes, prototype keys, oversized or damaged tokens) are
 * refused or replaced by the defaults with a line each; an image index is plain decimal in range.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_PROBE_SETTINGS } from '../../src/methods/probeSettings';
import { decodeProbeToken, encodeProbeToken, parseImageParam, toBase64Url, type LinkedProbe } from '../../src/experiment';

const DEFAULTS: LinkedProbe = { ...DEFAULT_PROBE_SETTINGS, classes: [...DEFAULT_PROBE_SETTINGS.classes], every: 5 };
const token = (o: unknown) => `v1.${toBase64Url(JSON.stringify(o))}`;

describe('probe settings in a link', () => {
  it('round-trip, classes sorted', () => {
    const p: LinkedProbe = { ...DEFAULTS, classes: [1, 3, 8], views: 7, templates: 4, synonyms: 2, eps: 6 / 255, alpha: 3 / 255, steps: 5, textEps: 0.25, textSteps: 0, seed: 42, every: 0 };
    expect(decodeProbeToken(encodeProbeToken(p), DEFAULTS)).toEqual({ probe: p, issues: [] });
    expect(decodeProbeToken(token({ classes: [5, 2] }), DEFAULTS).probe?.classes).toEqual([2, 5]);
  });

  it('a partial probe keeps the defaults for the fields it lacks', () => {
    const r = decodeProbeToken(token({ views: 3 }), DEFAULTS);
    expect(r.issues).toEqual([]);
    expect(r.probe).toEqual({ ...DEFAULTS, views: 3 });
  });

  it('rejected fields are listed and replaced by their defaults; unknown keys are listed', () => {
    const r = decodeProbeToken(token({
      classes: [1, 1], views: 1e9, eps: 'big', steps: 2.5, seed: -1, every: null, __proto__x: 1, templates: 10, synonyms: 8,
    }), DEFAULTS);
    const paths = r.issues!.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['probe.classes', 'probe.views', 'probe.eps', 'probe.steps', 'probe.seed', 'probe.every', 'probe.__proto__x', 'probe.templates']));
    expect(r.probe).toEqual(DEFAULTS);
    const proto = decodeProbeToken(`v1.${toBase64Url('{"__proto__":{"views":9},"constructor":1}')}`, DEFAULTS);
    expect(proto.probe).toEqual(DEFAULTS);
    expect(({} as Record<string, unknown>).views).toBeUndefined();
    expect(proto.issues!.map((i) => i.path)).toEqual(['probe.__proto__', 'probe.constructor']);
    expect(decodeProbeToken(token({ classes: [0, 1, 2, 3, 4, 5, 6] }), DEFAULTS).issues![0].problem).toMatch(/1 to 6 different class numbers/);
  });

  it('refuses damaged, oversized, unversioned and non-object tokens', () => {
    expect(decodeProbeToken('x'.repeat(2000), DEFAULTS).refused).toMatch(/at most 1024/);
    expect(decodeProbeToken('abc', DEFAULTS).refused).toMatch(/format version/);
    expect(decodeProbeToken('v2.e30', DEFAULTS).refused).toMatch(/version 2/);
    expect(decodeProbeToken('v1.!!', DEFAULTS).refused).toMatch(/format version/);
    expect(decodeProbeToken(token([1, 2]), DEFAULTS).refused).toMatch(/not a set of named values/);
    expect(decodeProbeToken(encodeProbeToken(DEFAULTS).slice(0, 20), DEFAULTS).refused).toMatch(/damaged|base64url/);
  });
});

describe('image index in a link', () => {
  it('reads plain decimal indices and refuses anything else', () => {
    expect(parseImageParam('0')).toEqual({ index: 0 });
    expect(parseImageParam('12')).toEqual({ index: 12 });
    for (const bad of ['', '-1', '1e3', '012', '1.5', ' 3', '0x10', '9999999', 'NaN']) expect(parseImageParam(bad), bad).toHaveProperty('problem');
    expect((parseImageParam('x'.repeat(100)) as { problem: string }).problem).toContain('xxxxxxxxxxxx…');
  });
});
