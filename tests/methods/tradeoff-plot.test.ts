/**
 * The trade-off SVG: a well-formed standalone document (one root, balanced tags), one series group, polyline and
 * legend entry per method, one circle per point placed monotonically (more clean → further right, more robust →
 * higher) inside the plot area; names escaped; a non-finite point refused.
 */
import { describe, expect, it } from 'vitest';
import { escapeXml, tradeoffSvg, type TradeoffSeries } from '../../src/methods/tradeoffPlot';
import { Rng, freshSeed } from '../../src/util/random';

const seed = freshSeed();
console.log(`tradeoff plot tests: AOS_SEED=${seed}`);

const attrs = (tag: string) => Object.fromEntries([...tag.matchAll(/(\w[\w-]*)="([^"]*)"/g)].map((m) => [m[1], m[2]]));

describe('tradeoffSvg', () => {
  it('draws every point where it belongs', () => {
    const rng = new Rng(seed);
    const series: TradeoffSeries[] = ['TeCoA', 'AoS <λ & co>', 'FARE'].map((name) => ({
      name, points: [2, 4, 8, 16].map((e) => ({ clean: 0.5 + 0.4 * rng.next(), robust: 0.4 * rng.next(), label: `${e}/255` })),
    }));
    const svg = tradeoffSvg(series, { title: 'val: robust at 24/255 vs clean' });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    // Balanced tags: every opened element is closed (self-closing ones count as both).
    const opened = (svg.match(/<(?!\/)[a-z]+[^>]*[^/]>/g) ?? []).length, closed = (svg.match(/<\/[a-z]+>/g) ?? []).length;
    expect(opened).toBe(closed);
    expect(svg).not.toContain('<λ');
    expect(svg).toContain(escapeXml('AoS <λ & co>'));
    expect(svg.match(/<g class="series"/g)).toHaveLength(3);
    expect(svg.match(/<polyline/g)).toHaveLength(3);
    const circles = [...svg.matchAll(/<circle [^>]*>/g)].map((m) => attrs(m[0]));
    expect(circles).toHaveLength(12);
    const { width, height } = attrs(svg.slice(0, svg.indexOf('>')));
    const pts = series.flatMap((s) => s.points);
    circles.forEach((c, i) => {
      const x = Number(c.cx), y = Number(c.cy);
      expect(x).toBeGreaterThan(0);
      expect(x).toBeLessThan(Number(width));
      expect(y).toBeGreaterThan(0);
      expect(y).toBeLessThan(Number(height));
      for (let j = 0; j < i; j++) {
        if (pts[j].clean < pts[i].clean - 1e-3) expect(Number(circles[j].cx)).toBeLessThan(x);
        if (pts[j].robust < pts[i].robust - 1e-3) expect(Number(circles[j].cy)).toBeGreaterThan(y);
      }
    });
  });

  it('refuses a non-finite point; draws an empty plot', () => {
    expect(() => tradeoffSvg([{ name: 'x', points: [{ clean: NaN, robust: 0.1, label: 'a' }] }], { title: 't' })).toThrow(/non-finite/);
    expect(tradeoffSvg([], { title: 't' })).toContain('</svg>');
  });
});
