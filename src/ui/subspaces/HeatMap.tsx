/**
 * Evolution of one spectrum over training: a column per measured step (left → right), a row per angle index
 * (1 = the smallest angle, at the top). Colour: by default each angle's change from the first measured step
 * (diverging: blue = smaller, i.e. aligning), or the angle over the map's own range or over 0–90° (viridis); the
 * colour bar's legend says which (`heatScaled` in ./data.ts). The selected step is outlined. Hover a cell to read it.
 */
import { useMemo, useState } from 'react';
import { PAIR_LABELS, type GeometryPair } from '../../methods/probeSettings';
import { angleColor, divergingColor, FONT, useCanvas } from './canvas';
import { fmtDeg, heatScaled, type HeatData, type HeatScale } from './data';

const W = 340, H = 190, L = 30, R = 52, T = 8, B = 30;

export function HeatMap({ pair, data, selected, onPick, scale = 'change' }: { pair: GeometryPair; data: HeatData; selected: number | null; onPick?: (step: number) => void; scale?: HeatScale }) {
  const [hover, setHover] = useState<{ step: number; index: number; deg: number; change: number } | null>(null);
  const cols = data.steps.length, k = Math.max(1, ...data.rows.map((r) => r.length));
  const cw = (W - L - R) / Math.max(cols, 1), ch = (H - T - B) / k;
  const scaled = useMemo(() => heatScaled(data, scale), [data, scale]);
  const { lo, hi, diverging } = scaled;
  // t in [0, 1] along the bar, bottom to top.
  const colorAt = (t: number) => (diverging ? divergingColor(2 * t - 1) : angleColor(t * 90));
  const color = (v: number) => colorAt((v - lo) / (hi - lo));
  const fmtBar = (v: number) => `${diverging && v > 0 ? '+' : ''}${Number(v.toFixed(hi - lo < 2 ? 2 : hi - lo < 20 ? 1 : 0))}°`;
  const canvas = useCanvas((g, w, h, t) => {
    g.font = FONT;
    g.fillStyle = t.muted;
    g.textBaseline = 'middle';
    g.textAlign = 'right';
    const yStep = Math.max(1, Math.ceil(k / 6));
    for (let i = 0; i < k; i += yStep) g.fillText(String(i + 1), L - 5, T + (i + 0.5) * ch);
    g.save();
    g.translate(9, (T + h - B) / 2);
    g.rotate(-Math.PI / 2);
    g.textAlign = 'center';
    g.fillText('angle index', 0, 0);
    g.restore();
    if (!cols) {
      g.textAlign = 'center';
      g.fillText('no steps measured yet', (L + w - R) / 2, (T + h - B) / 2);
    }
    scaled.rows.forEach((row, c) => {
      row.forEach((v, i) => {
        g.fillStyle = color(v);
        g.fillRect(L + c * cw, T + i * ch, Math.ceil(cw), Math.ceil(ch));
      });
    });
    // Step labels (about 6).
    g.fillStyle = t.muted;
    g.textAlign = 'center';
    g.textBaseline = 'top';
    const xStep = Math.max(1, Math.ceil(cols / 6));
    for (let c = 0; c < cols; c += xStep) g.fillText(String(data.steps[c]), L + (c + 0.5) * cw, h - B + 4);
    if (cols) g.fillText('step', (L + w - R) / 2, h - 12);
    const sel = selected === null ? cols - 1 : data.steps.indexOf(selected);
    if (sel >= 0 && cols > 1) {
      g.strokeStyle = t.ink;
      g.lineWidth = 1.5;
      g.strokeRect(L + sel * cw + 0.75, T + 0.75, cw - 1.5, k * ch - 1.5);
    }
    // Colour bar: spans [lo, hi].
    const bx = w - R + 12, bw = 9;
    for (let p = 0; p < h - T - B; p++) {
      g.fillStyle = colorAt(1 - p / (h - T - B));
      g.fillRect(bx, T + p, bw, 1.5);
    }
    g.fillStyle = t.muted;
    g.textAlign = 'left';
    g.textBaseline = 'middle';
    for (const f of [0, 0.5, 1]) g.fillText(fmtBar(lo + f * (hi - lo)), bx + bw + 3, T + (h - T - B) * (1 - f));
  }, W, H, [scaled, selected]);
  const locate = (e: React.MouseEvent<HTMLCanvasElement>) => {
    const r = e.currentTarget.getBoundingClientRect();
    const c = Math.floor((e.clientX - r.left - L) / cw), i = Math.floor((e.clientY - r.top - T) / ch);
    if (c < 0 || c >= cols || i < 0 || i >= k) return null;
    const deg = data.rows[c][i];
    return deg === undefined ? null : { step: data.steps[c], index: i + 1, deg, change: deg - (data.rows[0]?.[i] ?? deg) };
  };
  const idle = cols === 1 && diverging ? `1 step · the change from step ${data.steps[0]} appears with the next measured step` : cols ? `${cols} steps · ${k} angle${k === 1 ? '' : 's'} · click a column to show that step` : '\u00a0';
  return (
    <div className="ss-heat" data-testid={`heatmap-${pair}`} data-columns={cols} data-rows={k} data-range={`${lo.toFixed(3)},${hi.toFixed(3)}`} data-scale={scale}>
      <div className="ss-heat-title">{PAIR_LABELS[pair]}</div>
      <canvas
        ref={canvas} role="img" aria-label={`principal angles over training, ${PAIR_LABELS[pair]}: ${scaled.legend}`}
        onMouseMove={(e) => setHover(locate(e))} onMouseLeave={() => setHover(null)}
        onClick={(e) => { const h = locate(e); if (h && onPick) onPick(h.step); }}
        style={{ cursor: onPick && cols ? 'pointer' : 'default' }}
      />
      <div className="ss-heat-legend small" data-testid={`heat-legend-${pair}`}>colour: {scaled.legend}</div>
      <div className="ss-readout small muted">{hover ? `step ${hover.step} · angle ${hover.index}: ${fmtDeg(hover.deg)} (${hover.change >= 0 ? '+' : ''}${hover.change.toFixed(2)}° from step ${data.steps[0]})` : idle}</div>
    </div>
  );
}
