/**
 * The clean-vs-robust trade-off plot as a small standalone SVG string (no DOM, no library): one polyline per
 * series (a method), one labelled point per setting (a training ε or a λ), axes in percent.
 */

export interface TradeoffPoint {
  /** Clean accuracy, fraction. */
  clean: number;
  /** Robust accuracy at the plot's ε, fraction. */
  robust: number;
  /** The setting, e.g. '8/255'. */
  label: string;
}

export interface TradeoffSeries {
  name: string;
  points: TradeoffPoint[];
}

export interface TradeoffPlotOptions {
  title: string;
  xLabel?: string;
  yLabel?: string;
  width?: number;
  height?: number;
}

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#7f7f7f'];

/** Text for SVG content and attributes. */
export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

const r1 = (v: number) => +v.toFixed(1);

/**
 * Axes span the data (padded, clamped to [0, 100] %), so close points stay apart; ticks every 5 or 10 points.
 * Non-finite values are refused: a plot must not hide a broken run.
 */
export function tradeoffSvg(series: readonly TradeoffSeries[], o: TradeoffPlotOptions): string {
  const W = o.width ?? 640, H = o.height ?? 420, L = 60, R = 150, T = 40, B = 50;
  const all = series.flatMap((s) => s.points);
  for (const p of all) if (!Number.isFinite(p.clean) || !Number.isFinite(p.robust)) throw new RangeError(`tradeoffSvg: non-finite point ${p.label}`);
  const range = (v: number[]) => {
    if (!v.length) return [0, 100];
    const lo = Math.max(0, Math.floor((Math.min(...v) - 5) / 5) * 5), hi = Math.min(100, Math.ceil((Math.max(...v) + 5) / 5) * 5);
    return [lo, Math.max(hi, lo + 5)];
  };
  const [x0, x1] = range(all.map((p) => 100 * p.clean)), [y0, y1] = range(all.map((p) => 100 * p.robust));
  const px = (v: number) => r1(L + ((100 * v - x0) / (x1 - x0)) * (W - L - R));
  const py = (v: number) => r1(H - B - ((100 * v - y0) / (y1 - y0)) * (H - T - B));
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="13">${escapeXml(o.title)}</text>`,
    `<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#000"/>`,
    `<line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#000"/>`,
  ];
  const step = (a: number, b: number) => (b - a > 30 ? 10 : 5);
  for (let v = x0; v <= x1; v += step(x0, x1)) out.push(`<text x="${px(v / 100)}" y="${H - B + 15}" text-anchor="middle">${v}</text>`);
  for (let v = y0; v <= y1; v += step(y0, y1)) out.push(`<text x="${L - 6}" y="${py(v / 100) + 4}" text-anchor="end">${v}</text>`);
  out.push(`<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">${escapeXml(o.xLabel ?? 'clean accuracy (%)')}</text>`);
  out.push(`<text transform="translate(15 ${(T + H - B) / 2}) rotate(-90)" text-anchor="middle">${escapeXml(o.yLabel ?? 'robust accuracy (%)')}</text>`);
  series.forEach((s, i) => {
    const c = COLOURS[i % COLOURS.length];
    out.push(`<g class="series" data-name="${escapeXml(s.name)}">`);
    if (s.points.length > 1) out.push(`<polyline fill="none" stroke="${c}" points="${s.points.map((p) => `${px(p.clean)},${py(p.robust)}`).join(' ')}"/>`);
    for (const p of s.points) {
      out.push(`<circle cx="${px(p.clean)}" cy="${py(p.robust)}" r="3.5" fill="${c}"><title>${escapeXml(`${s.name} ${p.label}: clean ${(100 * p.clean).toFixed(1)} %, robust ${(100 * p.robust).toFixed(1)} %`)}</title></circle>`);
      out.push(`<text x="${px(p.clean) + 5}" y="${py(p.robust) - 5}" font-size="9" fill="${c}">${escapeXml(p.label)}</text>`);
    }
    out.push(`<rect x="${W - R + 15}" y="${T + 18 * i}" width="10" height="10" fill="${c}"/>`);
    out.push(`<text x="${W - R + 30}" y="${T + 18 * i + 9}">${escapeXml(s.name)}</text>`);
    out.push('</g>');
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
