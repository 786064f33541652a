import { describe, expect, it } from 'vitest';
import { CLASS_SYNONYMS, PROMPT_TEMPLATES, article, fillTemplate, promptEnsemble, promptGroups } from '../../src/data/prompts';

const FASHION = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

describe('prompts', () => {
  it('has the required templates and synonyms', () => {
    expect(PROMPT_TEMPLATES.length).toBe(8);
    expect(PROMPT_TEMPLATES).toContain('a photo of a {}.');
    expect(PROMPT_TEMPLATES).toContain('a drawing of a {}.');
    expect(CLASS_SYNONYMS['T-shirt/top']).toEqual(['t-shirt', 'tee', 'top']);
    expect(CLASS_SYNONYMS.Trouser).toEqual(['trousers', 'pants', 'slacks']);
    expect(CLASS_SYNONYMS['3']).toEqual(['3', 'three', 'the number three', 'digit three']);
  });

  it('groups are templates × synonyms per class, all distinct', () => {
    const f = promptGroups(FASHION);
    expect(f.map((g) => g.length)).toEqual(new Array(10).fill(24));
    const d = promptGroups(DIGITS);
    expect(d.map((g) => g.length)).toEqual(new Array(10).fill(32));
    for (const g of [...f, ...d]) expect(new Set(g).size).toBe(g.length);
    expect(new Set(f.flat()).size).toBe(240);
    expect(d[3]).toContain('a photo of the number three.');
    expect(d[3][0]).toBe('a photo of a 3.');
    expect(f[1]).toContain('a drawing of pants.');
    expect(f[9]).toContain('a black and white photo of an ankle boot.');
    expect(promptGroups(['Bag'], { templates: ['{} icon'] })).toEqual([['bag icon', 'handbag icon', 'purse icon']]);
  });

  it('ensembles use the canonical name with every template', () => {
    const e = promptEnsemble(DIGITS);
    expect(e.map((g) => g.length)).toEqual(new Array(10).fill(8));
    expect(e[8][0]).toBe('a photo of an 8.');
    expect(promptEnsemble(['Trouser'])[0][1]).toBe('a picture of trousers.');
  });

  it('articles and unknown classes', () => {
    expect(article('eight')).toBe('an');
    expect(article('one')).toBe('a');
    expect(article('the number two')).toBe('');
    expect(fillTemplate('a photo of a {}.', 'open-toed shoe')).toBe('a photo of an open-toed shoe.');
    expect(() => promptGroups(['Hat'])).toThrow(/no synonyms for class "Hat"/);
    expect(promptGroups(['Hat'], { fallback: true })[0][0]).toBe('a photo of a hat.');
    expect(promptGroups(['Hat'], { synonyms: { Hat: ['hat', 'cap'] } })[0].length).toBe(16);
  });
});
