/** The Results panel's link parameters (src/experiment/resultsLink.ts): hostile values refused with a reason, never thrown. */
import { describe, expect, it } from 'vitest';
import { formatCellParam, parseCellParam, parseResultsUrlParam } from '../../src/experiment/resultsLink';

describe('results link parameters', () => {
  it('cell: <dataset/split>@<ε in /255>, round trip, ε as a fraction', () => {
    expect(parseCellParam('mnist/test@24')).toEqual({ set: 'mnist/test', eps: 24 / 255 });
    expect(parseCellParam('fashion-mnist/test@0')).toEqual({ set: 'fashion-mnist/test', eps: 0 });
    expect(parseCellParam('digits/test@0.5')).toEqual({ set: 'digits/test', eps: 0.5 / 255 });
    for (const [set, eps] of [['mnist/test', 24 / 255], ['fashion-mnist/val', 0], ['a.b_c/d-e', 7.25 / 255]] as const) {
      expect(parseCellParam(formatCellParam(set, eps))).toEqual({ set, eps });
    }
  });

  it('cell: malformed values get a reason', () => {
    for (const bad of ['', '@24', 'mnist/test', 'mnist/test@', 'mnist@24', 'mnist/test@256', 'mnist/test@-1', 'mnist/test@1e3', 'mnist/test@24.12345',
      '../x/y@1', 'mnist/test/x@1', '<img>/x@1', `${'a'.repeat(70)}/test@1`, 'mnist/test@024']) {
      const r = parseCellParam(bad);
      expect('problem' in r, bad).toBe(true);
    }
    expect((parseCellParam('x'.repeat(200)) as { problem: string }).problem.length).toBeLessThan(140);
  });

  it('results: https or a same-origin path, the model URLs\' rules', () => {
    expect(parseResultsUrlParam('https://example.org/sweep.json')).toEqual({ url: 'https://example.org/sweep.json' });
    expect(parseResultsUrlParam('/results/reproduce-quick.json')).toEqual({ url: '/results/reproduce-quick.json' });
    for (const [bad, why] of [['http://example.org/r.json', /only https/], ['javascript:alert(1)', /only https/], ['//evil.example/r.json', /protocol-relative/],
      ['https://u:p@example.org/r.json', /credentials/], ['https://example.org/a b.json', /whitespace/]] as const) {
      const r = parseResultsUrlParam(bad);
      expect('problem' in r && r.problem, bad).toMatch(why);
    }
  });
});
