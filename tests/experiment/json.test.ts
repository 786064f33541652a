import { describe, expect, it } from 'vitest';
import {
  CONFIG_VERSION, defaultConfig, exportConfigJson, FILE_FORMAT, importConfigJson, MAX_FILE_CHARS, withValueAt,
} from '../../src/experiment';

const file = (o: unknown) => JSON.stringify(o);

describe('experiment JSON files', () => {
  it('export → import round-trips', () => {
    let c = defaultConfig();
    c = withValueAt(c, 'name', 'λ1 sweep, run 3');
    c = withValueAt(c, 'fineTune.method', 'pmg-aft');
    c = withValueAt(c, 'attack.targetClass', 4);
    const text = exportConfigJson(c);
    expect(JSON.parse(text)).toMatchObject({ format: FILE_FORMAT, version: CONFIG_VERSION });
    const r = importConfigJson(text);
    expect(r.refused).toBeNull();
    expect(r.issues).toEqual([]);
    expect(r.config).toEqual(c);
  });

  it('applies the same field validation as links, and lists unknown top-level keys', () => {
    const r = importConfigJson(file({
      format: FILE_FORMAT, version: 1, comment: 'hi', __proto__x: 1,
      config: { seed: 1.5, attack: { epsilon: Infinity }, name: '<b>bold</b>' },
    }));
    expect(r.refused).toBeNull();
    expect(r.issues.map((i) => i.path).sort()).toEqual(['__proto__x', 'attack.epsilon', 'comment', 'name', 'seed']);
    const raw = importConfigJson(`{"format":"${FILE_FORMAT}","version":1,"config":{"attack":{"epsilon":1e999}},"__proto__":{"a":1}}`);
    expect(raw.issues.map((i) => i.path)).toEqual(['__proto__', 'attack.epsilon']);
    expect(raw.issues[0].problem).toContain('forbidden key');
    expect(({} as Record<string, unknown>).a).toBeUndefined();
  });

  it('refuses other formats, versions, shapes, oversized and deeply nested files', () => {
    expect(importConfigJson('not json').refused).toMatch(/not valid JSON/);
    expect(importConfigJson('[1]').refused).toMatch(/not a JSON object/);
    expect(importConfigJson(file({ format: 'other', version: 1, config: {} })).refused).toMatch(/"format" is not/);
    expect(importConfigJson(file({ format: FILE_FORMAT, config: {} })).refused).toMatch(/no integer "version"/);
    expect(importConfigJson(file({ format: FILE_FORMAT, version: '1', config: {} })).refused).toMatch(/no integer "version"/);
    expect(importConfigJson(file({ format: FILE_FORMAT, version: 1 })).refused).toMatch(/no "config" object/);
    expect(importConfigJson(file({ format: FILE_FORMAT, version: 7, config: {} })).refused).toMatch(/version 7 by a newer workbench/);
    expect(importConfigJson(file({ format: FILE_FORMAT, version: 1, config: {}, pad: 'x'.repeat(MAX_FILE_CHARS) })).refused).toMatch(/at most 65536/);
    expect(importConfigJson(`{"format":"${FILE_FORMAT}","version":1,"config":${'{"a":'.repeat(20)}1${'}'.repeat(20)}}`).refused).toMatch(/levels deep/);
    for (const bad of ['not json', '[1]']) expect(importConfigJson(bad).config).toEqual(defaultConfig());
  });
});
