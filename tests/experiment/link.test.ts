import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  BUNDLED_DATASET_IDS, CONFIG_VERSION, MAX_GROUP_ROWS, configFromHash, decodeConfigToken, defaultConfig, describeImport,
  encodeConfigToken, experimentSpec, hashParam, leafPaths, MAX_TOKEN_CHARS, shareLink, specAt, toBase64Url,
  upgradeAndValidate, validateConfig, valueAt, withHashParams, withValueAt, type AnySpec, type ExperimentConfig,
} from '../../src/experiment';
import { Rng } from '../../src/util/random';

/** A random valid value for a leaf spec. */
function randomLeaf(spec: AnySpec, rng: Rng): unknown {
  const u = rng.uniform(1, 0, 1)[0];
  switch (spec.kind) {
    case 'number': {
      const x = spec.min + u * (spec.max - spec.min);
      return spec.integer ? Math.round(x) : x;
    }
    case 'nullable-int': return u < 0.3 ? null : Math.round(spec.min + u * (spec.max - spec.min));
    case 'enum': return spec.values[Math.floor(u * spec.values.length) % spec.values.length];
    case 'bool': return u < 0.5;
    case 'string': return spec.label === 'URL' ? (u < 0.5 ? 'https://example.org/models/clip-ü/' : '/models/tiny-clip/') : `run ${Math.floor(u * 1e6)} – λ sweep (ä)`;
    default: throw new Error('object');
  }
}

function randomConfig(seed: number): ExperimentConfig {
  const rng = new Rng(seed);
  let c = defaultConfig();
  for (const p of leafPaths(experimentSpec)) c = withValueAt(c, p, randomLeaf(specAt(experimentSpec, p)!, rng));
  // A text group takes at most 32 prompts (a rule between two fields: crossCheck).
  const pr = c.fineTune.prompts;
  pr.synonyms = Math.min(pr.synonyms, Math.floor(MAX_GROUP_ROWS / pr.templates));
  return c;
}

/** A token for an arbitrary (hostile) payload object. */
const tokenOf = (payload: unknown, version = CONFIG_VERSION): string => `v${version}.${toBase64Url(JSON.stringify(payload))}`;
const tokenOfText = (text: string, version = CONFIG_VERSION): string => `v${version}.${toBase64Url(text)}`;

describe('experiment links: round trip', () => {
  it('the default configuration round-trips with no issues', () => {
    const c = defaultConfig();
    const r = decodeConfigToken(encodeConfigToken(c));
    expect(r.refused).toBeNull();
    expect(r.issues).toEqual([]);
    expect(r.version).toBe(CONFIG_VERSION);
    expect(r.config).toEqual(c);
  });

  it('random valid configurations round-trip exactly (every field, non-ASCII text, URLs)', () => {
    for (let s = 1; s <= 25; s++) {
      const c = randomConfig(s);
      const token = encodeConfigToken(c);
      expect(token).toMatch(new RegExp(`^v${CONFIG_VERSION}\\.[A-Za-z0-9_-]+$`));
      const r = decodeConfigToken(token);
      expect(r.issues, `seed ${s}`).toEqual([]);
      expect(r.config, `seed ${s}`).toEqual(c);
    }
  });

  it('a full link restores through the fragment and keeps the other fragment parameters', () => {
    const c = randomConfig(99);
    const link = shareLink('https://bench.example/app/?seed=3#p=data', c);
    const u = new URL(link);
    expect(u.search).toBe('?seed=3');
    expect(hashParam(u.hash, 'p')).toBe('data');
    expect(u.hash).toMatch(new RegExp(`^#p=data&x=v${CONFIG_VERSION}\\.`));
    expect(configFromHash(u.hash)!.config).toEqual(c);
    expect(configFromHash('#p=model')).toBeNull();
    expect(configFromHash('')).toBeNull();
    expect(withHashParams(u.hash, { x: null })).toBe('#p=data');
    expect(withHashParams('', { p: 'runs' })).toBe('#p=runs');
  });

  it('a default link is compact (about 1 kB)', () => {
    expect(encodeConfigToken(defaultConfig()).length).toBeLessThan(1400);
  });

  it('missing fields take defaults silently (links from before a field existed stay valid)', () => {
    const r = decodeConfigToken(tokenOf({ seed: 7, attack: { steps: 50 } }));
    expect(r.issues).toEqual([]);
    expect(r.config.seed).toBe(7);
    expect(r.config.attack.steps).toBe(50);
    expect(r.config.attack.type).toBe('pgd-linf');
    expect(r.config.fineTune).toEqual(defaultConfig().fineTune);
  });

  it('the dataset list matches public/data/manifest.json', () => {
    const m = JSON.parse(readFileSync('public/data/manifest.json', 'utf8')) as { datasets: { id: string; splits: Record<string, unknown> }[] };
    expect([...BUNDLED_DATASET_IDS].sort()).toEqual(m.datasets.map((d) => d.id).sort());
    // Every dataset has the default evaluation split (sklearn digits has only 'test'; the UI says so for 'val').
    for (const d of m.datasets) expect(Object.keys(d.splits)).toContain(defaultConfig().data.evalSplit);
  });
});

describe('experiment links: hostile input', () => {
  const paths = (r: { issues: { path: string }[] }) => r.issues.map((i) => i.path);

  it('unknown keys are listed and ignored, at any level', () => {
    const r = decodeConfigToken(tokenOf({ seed: 5, evil: 1, attack: { steps: 20, shellcode: 'rm -rf' }, fineTune: { aos: { lambda9: 3 } } }));
    expect(r.refused).toBeNull();
    expect(paths(r).sort()).toEqual(['attack.shellcode', 'evil', 'fineTune.aos.lambda9']);
    expect(r.config.seed).toBe(5);
    expect(r.config.attack.steps).toBe(20);
    expect(r.config).not.toHaveProperty('evil');
    expect(r.config.attack).not.toHaveProperty('shellcode');
  });

  it('wrong types are rejected per field, with defaults', () => {
    const r = decodeConfigToken(tokenOf({
      seed: '42', attack: { epsilon: '0.1', steps: true, type: 3, targetClass: 'cat' }, model: 'bundled',
      fineTune: { aos: { rank1: 'yes' } }, data: [1, 2],
    }));
    const d = defaultConfig();
    expect(paths(r).sort()).toEqual(['attack.epsilon', 'attack.steps', 'attack.targetClass', 'attack.type', 'data', 'fineTune.aos.rank1', 'model', 'seed'].sort());
    expect(r.config).toEqual(d);
    expect(r.issues.find((i) => i.path === 'seed')!.problem).toContain('expected a number');
    expect(r.issues.find((i) => i.path === 'attack.type')!.problem).toContain('pgd-linf');
    expect(r.issues.find((i) => i.path === 'data')!.problem).toContain('a list of 2 items');
  });

  it('out-of-range and non-integer values are rejected per field', () => {
    const r = decodeConfigToken(tokenOf({
      seed: -1, attack: { epsilon: 99, steps: 2.5, restarts: 0, targetClass: 256 },
      fineTune: { aos: { lambda1: -0.5, ridge: 0, augmentations: 1000 }, steps: 1e7, lr: 2, attack: { eps: 0.03 } },
    }));
    expect(paths(r).sort()).toEqual([
      'attack.epsilon', 'attack.restarts', 'attack.steps', 'attack.targetClass', 'fineTune.steps',
      'fineTune.aos.augmentations', 'fineTune.aos.lambda1', 'fineTune.aos.ridge', 'seed', 'fineTune.lr',
    ].sort());
    expect(r.config.fineTune.attack.eps).toBe(0.03);
    expect(r.config.attack.epsilon).toBe(defaultConfig().attack.epsilon);
    expect(r.issues.find((i) => i.path === 'attack.epsilon')!.problem).toMatch(/outside the allowed range 0…32/);
  });

  it('non-finite numbers (1e999, -1e999) are rejected; NaN as a string is a wrong type', () => {
    const text = '{"seed":1e999,"attack":{"epsilon":-1e999,"alpha":"NaN"},"budget":{"maxMinutes":"Infinity"}}';
    const r = decodeConfigToken(tokenOfText(text));
    expect(paths(r).sort()).toEqual(['attack.alpha', 'attack.epsilon', 'budget.maxMinutes', 'seed']);
    expect(r.issues.find((i) => i.path === 'seed')!.problem).toContain('Infinity is not a finite number');
    expect(r.config).toEqual(defaultConfig());
  });

  it('HTML / script in strings is rejected and never echoed in full', () => {
    const script = '<script>alert(document.cookie)</script>';
    const r = decodeConfigToken(tokenOf({
      name: script, attack: { type: `${script}${'x'.repeat(500)}` }, model: { source: 'url', url: `javascript:${script}` },
      data: { dataset: '<img src=x onerror=alert(1)>' },
    }));
    expect(paths(r).sort()).toEqual(['attack.type', 'data.dataset', 'model.url', 'model.url', 'name']);
    expect(r.config.name).toBe('');
    expect(r.config.model.source).toBe('bundled');
    for (const i of r.issues) expect(i.problem.length).toBeLessThan(200);
    expect(r.issues.find((i) => i.path === 'attack.type')!.problem).toContain('a string of 539 characters');
    const text = describeImport(r, 'link').lines.join('\n');
    expect(text).not.toContain('alert(document.cookie)</script>');
  });

  it('huge strings: an oversized field is rejected; an oversized link is refused whole', () => {
    const r = decodeConfigToken(tokenOf({ name: 'a'.repeat(3000), seed: 9 }));
    expect(paths(r)).toEqual(['name']);
    expect(r.issues[0].problem).toContain('3000 characters');
    expect(r.config.seed).toBe(9);
    const big = decodeConfigToken(tokenOf({ name: 'a'.repeat(20_000) }));
    expect(big.refused).toMatch(/characters long; at most 8192/);
    expect(big.config).toEqual(defaultConfig());
    expect(configFromHash(`#x=${'A'.repeat(40_000)}`)!.refused).toMatch(/fragment is \d+ characters long/);
    expect(decodeConfigToken(`v1.${'A'.repeat(MAX_TOKEN_CHARS)}`).refused).toMatch(/at most 8192/);
  });

  it('prototype-pollution keys (__proto__, constructor, prototype) are refused and pollute nothing', () => {
    const text = '{"__proto__":{"polluted":"yes","seed":7},"constructor":{"prototype":{"polluted":"yes"}},' +
      '"attack":{"__proto__":{"steps":999},"prototype":1},"seed":3}';
    const r = decodeConfigToken(tokenOfText(text));
    expect(paths(r)).toEqual(['__proto__', 'constructor', 'attack.__proto__', 'attack.prototype']);
    for (const i of r.issues) expect(i.problem).toContain('forbidden key');
    expect(r.config.seed).toBe(3);
    expect(r.config.attack.steps).toBe(10);
    expect(Object.getPrototypeOf(r.config)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(r.config.attack)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((r.config as unknown as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(r.config)).toEqual(Object.keys(defaultConfig()));
  });

  it('deep nesting is refused before parsing', () => {
    const bomb = `${'['.repeat(3000)}${']'.repeat(3000)}`;
    const r = decodeConfigToken(tokenOfText(bomb));
    expect(r.refused).toMatch(/nests 3000 levels deep; at most 8/);
    const nested = decodeConfigToken(tokenOf({ model: { url: { a: { b: { c: { d: { e: { f: { g: 1 } } } } } } } } }));
    expect(nested.refused).toMatch(/levels deep/);
    // Brackets inside strings do not count.
    const inString = decodeConfigToken(tokenOf({ name: 'x', attack: { type: '[[[[[[[[[[[[[[[[' } }));
    expect(inString.refused).toBeNull();
    expect(paths(inString)).toEqual(['attack.type']);
  });

  it('many unknown keys are summarised, not listed one by one', () => {
    const payload: Record<string, number> = {};
    for (let i = 0; i < 200; i++) payload[`k${i}`] = i;
    const r = decodeConfigToken(tokenOf(payload));
    expect(r.issues.length).toBe(13);
    expect(r.issues[12].problem).toBe('188 more unknown or forbidden keys ignored');
  });

  it('a payload that is not an object, not JSON, not base64url or not UTF-8 is refused whole', () => {
    for (const p of ['null', '[]', '42', '"config"']) {
      const r = decodeConfigToken(tokenOfText(p));
      expect(r.refused, p).toBeNull();
      expect(r.issues).toHaveLength(1);
      expect(r.issues[0].problem).toMatch(/expected an object of settings/);
      expect(r.config).toEqual(defaultConfig());
    }
    expect(decodeConfigToken(tokenOfText('{"seed": 1,')).refused).toMatch(/looks cut off/); // unclosed: a link cut short
    expect(decodeConfigToken('v1.@@@').refused).toMatch(/not base64url/);
    expect(decodeConfigToken('v1._w').refused).toMatch(/not base64url/); // 0xff: not UTF-8
    expect(decodeConfigToken('v1.Q').refused).toMatch(/not base64url/); // impossible length
  });

  it('model URLs: only https or same-origin paths, never credentials or other schemes', () => {
    const ok = ['https://huggingface.co/x/clip/resolve/main/', '/models/tiny-clip/', '/models/a%20b/'];
    const bad = [
      'http://example.org/m/', 'javascript:alert(1)', 'data:text/html,<b>x</b>', 'file:///etc/passwd', '//evil.example/m/',
      'https://user:pw@example.org/m/', 'https://example.org/a b/', '/models\\..\\x', 'ftp://example.org/', 'blob:https://x/1',
      'models/relative/', 'https://', `https://example.org/${'a'.repeat(2100)}`,
    ];
    for (const url of ok) {
      const r = decodeConfigToken(tokenOf({ model: { source: 'url', url } }));
      expect(r.issues, url).toEqual([]);
      expect(r.config.model).toEqual({ source: 'url', url, maxMB: 256 });
    }
    for (const url of bad) {
      const r = decodeConfigToken(tokenOf({ model: { source: 'url', url } }));
      expect(paths(r), url).toEqual(['model.url', 'model.url']); // the URL, then "source url without a URL"
      expect(r.config.model.source).toBe('bundled');
      expect(r.config.model.url).toBe('');
    }
  });
});

describe('experiment links: versions', () => {
  it('refuses a newer format version with a clear message', () => {
    const newer = CONFIG_VERSION + 1;
    const r = decodeConfigToken(tokenOf(defaultConfig(), newer));
    expect(r.refused).toContain(`format version ${newer} by a newer workbench; this one reads versions 1–${CONFIG_VERSION}`);
    expect(r.version).toBe(newer);
    expect(describeImport(r, 'link').headline).toMatch(/^The link was refused: .* All settings are defaults\.$/);
  });

  it('refuses version 0, malformed versions and a missing version', () => {
    expect(decodeConfigToken(tokenOf({}, 0)).refused).toMatch(/version 0 does not exist/);
    expect(decodeConfigToken(`v01.${toBase64Url('{}')}`).refused).toMatch(/malformed/);
    expect(decodeConfigToken(toBase64Url('{}')).refused).toMatch(/does not start with a format version/);
    expect(decodeConfigToken(`v1${toBase64Url('{}')}`).refused).toMatch(/does not start with a format version/);
    expect(decodeConfigToken(`V1.${toBase64Url('{}')}`).refused).toMatch(/does not start with a format version/);
  });

  it('upgrades older versions through the migration table, then validates', () => {
    // A hypothetical version 1 → 2 step renaming `seed` to `randomSeed`, read by a "version 2" reader whose
    // validator is still the current one (so the migration must produce the current layout).
    const migrations = {
      1: (raw: unknown) => {
        const o = raw as { randomSeed?: unknown };
        return { ...(raw as object), seed: o.randomSeed, randomSeed: undefined };
      },
    };
    const r = upgradeAndValidate({ randomSeed: 11, attack: { steps: 3 } }, 1, migrations, 2);
    expect(r.refused).toBeNull();
    expect(r.config.seed).toBe(11);
    expect(r.config.attack.steps).toBe(3);
    const missing = upgradeAndValidate({}, 1, {}, 2);
    expect(missing.refused).toMatch(/no migration from format version 1 to 2/);
    const throwing = upgradeAndValidate({}, 1, { 1: () => { throw new Error('boom'); } }, 2);
    expect(throwing.refused).toMatch(/upgrading from format version 1 failed \(boom\)/);
  });
});

describe('experiment config helpers', () => {
  it('describeImport lists each rejected field', () => {
    const r = decodeConfigToken(tokenOf({ seed: -3, attack: { steps: 0 } }));
    const d = describeImport(r, 'link');
    expect(d.ok).toBe(false);
    expect(d.headline).toContain('2 values were rejected');
    expect(d.lines).toEqual(['seed: -3 is outside the allowed range 0…4294967295', 'attack.steps: 0 is outside the allowed range 1…1000']);
    expect(describeImport(decodeConfigToken(encodeConfigToken(defaultConfig())), 'link')).toEqual({ ok: true, headline: 'Settings restored from the link.', lines: [] });
  });

  it('valueAt / withValueAt address existing fields only', () => {
    const c = defaultConfig();
    expect(valueAt(c, 'fineTune.aos.ridge')).toBe(0.025);
    expect(valueAt(c, 'fineTune.nope')).toBeUndefined();
    expect(valueAt(c, '__proto__')).toBeUndefined();
    const c2 = withValueAt(c, 'attack.steps', 40);
    expect(c2.attack.steps).toBe(40);
    expect(c.attack.steps).toBe(10);
    expect(c2.fineTune).toBe(c.fineTune);
    expect(() => withValueAt(c, 'attack.__proto__', 1)).toThrow(RangeError);
    expect(validateConfig(c2).issues).toEqual([]);
  });

describe('links cut short or damaged', () => {
  it('a truncated link says it looks cut off, not what the JSON parser said', () => {
    const token = encodeConfigToken(defaultConfig());
    for (const keep of [0.3, 0.6, 0.9]) {
      // Cut on a 4-character boundary so the base64url part still decodes: what is left is cut-off JSON.
      const n = 3 + 4 * Math.floor(((token.length - 3) * keep) / 4);
      const r = decodeConfigToken(token.slice(0, n));
      expect(r.refused, `kept ${keep}`).toBe('the link looks cut off (its settings end mid-way): copy the whole link again');
    }
    const damaged = decodeConfigToken(`v1.${toBase64Url('{"seed": 1,, }')}`);
    expect(damaged.refused).toMatch(/its settings are damaged/);
    expect(damaged.refused).not.toMatch(/JSON/);
  });
});
});
