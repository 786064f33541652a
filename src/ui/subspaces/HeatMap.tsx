/**
 * Evolution of one spectrum over training: a column per measured step (left → right), a row per angle index
 * (1 = the smallest angle, at the top), colour = angle (viridis, 0° dark → 90° yellow). The selected step is
 * outlined. Hover a cell to read it.
 */
import { useState } from 'react';
import { PAIR_LABELS, type GeometryPair } from '../../methods/probeSettings';
import { angleColor, FONT, useCanvas } from './canvas';
import { fmtDeg, type HeatData } from './data';

const W = 340, H = 190, L = 30, R = 52, T = 8, B = 30;

/** Colour range of a heat map: the full 0–90° or its own data's range (small changes become visible). */
export function heatRange(data: HeatData, fit: boolean): [number, number] {
  if (!fit) return [0, 90];
  let lo = Infinity, hi = -Infinity;
  for (const r of data.rows) for (const v of r) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  if (!(hi > lo)) return Number.isFinite(lo) ? [Math.max(0, lo - 0.5), Math.min(90, lo + 0.5)] : [0, 90];
  return [lo, hi];
}

export function HeatMap({ pair, data, selected, onPick, fit = false }: { pair: GeometryPair; data: HeatData; selected: number | null; onPick?: (step: number) => void; fit?: boolean }) {
  const [hover, setHover] = useState<{ step: number; index: number; deg: number } | null>(null);
  const cols = data.steps.length, k = Math.max(1, ...data.rows.map((r) => r.length));
  const cw = (W - L - R) / Math.max(cols, 1), ch = (H - T - B) / k;
  const [lo, hi] = heatRange(data, fit);
  const color = (deg: number) => angleColor(((deg - lo) / (hi - lo)) * 90);
  const fmtBar = (v: number) => `${Number(v.toFixed(hi - lo < 2 ? 2 : hi - lo < 20 ? 1 : 0))}°`;
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
    data.rows.forEach((row, c) => {
      row.forEach((deg, i) => {
        g.fillStyle = color(deg);
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
    // Colour bar.
    const bx = w - R + 12, bw = 9;
    for (let p = 0; p < h - T - B; p++) {
      g.fillStyle = angleColor(90 * (1 - p / (h - T - B)));  // the bar spans [lo, hi]
      g.fillRect(bx, T + p, bw, 1.5);
    }
    g.fillStyle = t.muted;
    g.textAlign = 'left';
    g.textBaseline = 'middle';
    for (const f of [0, 0.5, 1]) g.fillText(fmtBar(lo + f * (hi - lo)), bx + bw + 3, T + (h - T - B) * (1 - f));
  }, W, H, [data, selected, lo, hi]);
  const locate = (e: React.MouseEvent<HTMLCanvasElement>) => {
    const r = e.currentTarget.getBoundingClientRect();
    const c = Math.floor((e.clientX - r.left - L) / cw), i = Math.floor((e.clientY - r.top - T) / ch);
    if (c < 0 || c >= cols || i < 0 || i >= k) return null;
    const deg = data.rows[c][i];
    return deg === undefined ? null : { step: data.steps[c], index: i + 1, deg };
  };
  return (
    <div className="ss-heat" data-testid={`heatmap-${pair}`} data-columns={cols} data-rows={k} data-range={`${lo.toFixed(3)},${hi.toFixed(3)}`}>
      <div className="ss-heat-title">{PAIR_LABELS[pair]}</div>
      <canvas
        ref={canvas} role="img" aria-label={`principal angles over training, ${PAIR_LABELS[pair]}`}
        onMouseMove={(e) => setHover(locate(e))} onMouseLeave={() => setHover(null)}
        onClick={(e) => { const h = locate(e); if (h && onPick) onPick(h.step); }}
        style={{ cursor: onPick && cols ? 'pointer' : 'default' }}
      />
      <div className="ss-readout small muted">{hover ? `step ${hover.step} · angle ${hover.index}: ${fmtDeg(hover.deg)}` : cols ? `${cols} step${cols === 1 ? '' : 's'} · ${k} angle${k === 1 ? '' : 's'} · click a column to show that step` : '\u00a0'}</div>
    </div>
  );
}
