/**
 * The probe's features in a fixed 2-D plane (PCA of the clean image + text features of the first snapshot), equal
 * scale on both axes. Per probe image: its clean group (the image ●, its augmentations ·) outlined solid, its
 * adversarial views (×) outlined dashed, a thin line from every view to its adversarial version. Per class: its
 * prompts (▲) outlined dotted and the attacked prompts (△). Colour = class.
 */
import { useMemo, useState } from 'react';
import type { GeometrySnapshot, PointKind } from '../../methods/geometry';
import { classColor, FONT, FONT_BOLD, ticks, useCanvas, type Theme } from './canvas';

const W = 640, H = 440, PAD = 34;

const KIND_LABEL: Record<PointKind, string> = { clean: 'image', aug: 'augmented view', adv: 'adversarial view', text: 'prompt', advText: 'adversarial prompt' };
export const KINDS: PointKind[] = ['clean', 'aug', 'adv', 'text', 'advText'];

type P = [number, number];

/** Convex hull (monotone chain), counter-clockwise. */
export function hull(points: P[]): P[] {
  const p = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (p.length < 3) return p;
  const cross = (o: P, a: P, b: P) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower: P[] = [], upper: P[] = [];
  for (const q of p) { while (lower.length >= 2 && cross(lower[lower.length - 2], lower[lower.length - 1], q) <= 0) lower.pop(); lower.push(q); }
  for (const q of p.reverse()) { while (upper.length >= 2 && cross(upper[upper.length - 2], upper[upper.length - 1], q) <= 0) upper.pop(); upper.push(q); }
  return [...lower.slice(0, -1), ...upper.slice(0, -1)];
}

function marker(g: CanvasRenderingContext2D, kind: PointKind, x: number, y: number, color: string, t: Theme): void {
  g.fillStyle = color;
  g.strokeStyle = color;
  g.lineWidth = 1.6;
  switch (kind) {
    case 'clean':
      g.beginPath(); g.arc(x, y, 5.5, 0, 2 * Math.PI); g.fill();
      g.strokeStyle = t.ink; g.lineWidth = 1.2; g.stroke();
      break;
    case 'aug':
      g.beginPath(); g.arc(x, y, 3, 0, 2 * Math.PI); g.fill();
      break;
    case 'adv':
      g.beginPath(); g.moveTo(x - 4, y - 4); g.lineTo(x + 4, y + 4); g.moveTo(x + 4, y - 4); g.lineTo(x - 4, y + 4); g.stroke();
      break;
    case 'text':
      g.beginPath(); g.moveTo(x, y - 5); g.lineTo(x + 4.5, y + 3.5); g.lineTo(x - 4.5, y + 3.5); g.closePath(); g.fill();
      break;
    case 'advText':
      g.beginPath(); g.moveTo(x, y - 5); g.lineTo(x + 4.5, y + 3.5); g.lineTo(x - 4.5, y + 3.5); g.closePath(); g.stroke();
      break;
  }
}

export function ProjectionPlot({ snap }: { snap: GeometrySnapshot | null }) {
  const [shown, setShown] = useState<Record<PointKind, boolean>>({ clean: true, aug: true, adv: true, text: true, advText: true });
  const [hover, setHover] = useState<number | null>(null);
  const pts = snap?.points;
  const n = pts?.x.length ?? 0;

  // Equal-scale frame over every point (hidden ones too: toggling does not rescale).
  const frame = useMemo(() => {
    if (!pts || !n) return null;
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (let i = 0; i < n; i++) { x0 = Math.min(x0, pts.x[i]); x1 = Math.max(x1, pts.x[i]); y0 = Math.min(y0, pts.y[i]); y1 = Math.max(y1, pts.y[i]); }
    const s = Math.min((W - 2 * PAD) / Math.max(x1 - x0, 1e-9), (H - 2 * PAD) / Math.max(y1 - y0, 1e-9));
    const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
    return { sx: (v: number) => W / 2 + (v - cx) * s, sy: (v: number) => H / 2 - (v - cy) * s, s, cx, cy };
  }, [pts, n]);

  const canvas = useCanvas((g, w, h, t) => {
    g.font = FONT;
    g.strokeStyle = t.line;
    g.lineWidth = 1;
    g.strokeRect(0.5, 0.5, w - 1, h - 1);
    if (!snap || !pts || !frame) {
      g.fillStyle = t.muted;
      g.textAlign = 'center';
      g.fillText('no measurement yet', w / 2, h / 2);
      return;
    }
    const { sx, sy, s, cx, cy } = frame;
    // Light grid in projection units.
    g.fillStyle = t.muted;
    g.textBaseline = 'top';
    g.textAlign = 'center';
    const gx = ticks(cx - w / 2 / s, cx + w / 2 / s, 6), gy = ticks(cy - h / 2 / s, cy + h / 2 / s, 4);
    g.strokeStyle = t.line;
    g.globalAlpha = 0.6;
    for (const v of gx) { g.beginPath(); g.moveTo(sx(v) + 0.5, 0); g.lineTo(sx(v) + 0.5, h); g.stroke(); g.fillText(String(v), sx(v), h - 14); }
    g.textAlign = 'left';
    g.textBaseline = 'middle';
    for (const v of gy) { g.beginPath(); g.moveTo(0, sy(v) + 0.5); g.lineTo(w, sy(v) + 0.5); g.stroke(); g.fillText(String(v), 4, sy(v) - 7); }
    g.globalAlpha = 1;

    const idx = (pred: (i: number) => boolean) => { const out: number[] = []; for (let i = 0; i < n; i++) if (pred(i)) out.push(i); return out; };
    const outline = (ids: number[], color: string, dash: number[], fill: number) => {
      if (ids.length < 2) return;
      const hp = hull(ids.map((i) => [sx(pts.x[i]), sy(pts.y[i])] as P));
      g.beginPath();
      hp.forEach(([x, y], j) => (j ? g.lineTo(x, y) : g.moveTo(x, y)));
      g.closePath();
      if (fill > 0) { g.globalAlpha = fill; g.fillStyle = color; g.fill(); g.globalAlpha = 1; }
      g.setLineDash(dash);
      g.strokeStyle = color;
      g.lineWidth = 1.3;
      g.stroke();
      g.setLineDash([]);
    };
    const isImg = (k: PointKind) => k === 'clean' || k === 'aug';
    // Groups: clean (solid, filled), adversarial (dashed), prompts (dotted, filled), attacked prompts (dash-dot).
    for (let b = 0; b < snap.images; b++) {
      const color = classColor(snap.labels[b]);
      if (shown.clean || shown.aug) outline(idx((i) => pts.group[i] === b && isImg(pts.kind[i]) && shown[pts.kind[i]]), color, [], 0.13);
      if (shown.adv) outline(idx((i) => pts.group[i] === b && pts.kind[i] === 'adv'), color, [5, 3], 0);
    }
    snap.textClasses.forEach((c, j) => {
      const color = classColor(c);
      if (shown.text) outline(idx((i) => pts.group[i] === j && pts.kind[i] === 'text'), color, [1.5, 3], 0.08);
      if (shown.advText) outline(idx((i) => pts.group[i] === j && pts.kind[i] === 'advText'), color, [6, 3, 1.5, 3], 0);
    });
    // Each view → its adversarial version.
    if (shown.adv && (shown.clean || shown.aug)) {
      const cleanOf = new Map<string, number>();
      for (let i = 0; i < n; i++) if (isImg(pts.kind[i])) cleanOf.set(`${pts.group[i]}:${pts.member[i]}`, i);
      g.globalAlpha = 0.45;
      g.lineWidth = 0.9;
      for (let i = 0; i < n; i++) {
        if (pts.kind[i] !== 'adv') continue;
        const j = cleanOf.get(`${pts.group[i]}:${pts.member[i]}`);
        if (j === undefined || !shown[pts.kind[j]]) continue;
        g.strokeStyle = classColor(pts.cls[i]);
        g.beginPath(); g.moveTo(sx(pts.x[j]), sy(pts.y[j])); g.lineTo(sx(pts.x[i]), sy(pts.y[i])); g.stroke();
      }
      g.globalAlpha = 1;
    }
    // Markers: text first, then images, the image itself last (on top).
    for (const kind of ['advText', 'text', 'aug', 'adv', 'clean'] as PointKind[]) {
      if (!shown[kind]) continue;
      for (let i = 0; i < n; i++) if (pts.kind[i] === kind) marker(g, kind, sx(pts.x[i]), sy(pts.y[i]), classColor(pts.cls[i]), t);
    }
    // Class names at the centre of their prompts.
    g.font = FONT_BOLD;
    g.textAlign = 'center';
    g.textBaseline = 'bottom';
    snap.textClasses.forEach((c, j) => {
      const ids = idx((i) => pts.group[i] === j && pts.kind[i] === 'text');
      if (!ids.length || !shown.text) return;
      const mx = ids.reduce((a, i) => a + sx(pts.x[i]), 0) / ids.length, my = Math.min(...ids.map((i) => sy(pts.y[i])));
      g.fillStyle = classColor(c);
      g.fillText(snap.classNames[c] ?? `class ${c}`, mx, my - 7);
    });
    if (hover !== null && hover < n) {
      g.strokeStyle = t.ink;
      g.lineWidth = 1.5;
      g.beginPath(); g.arc(sx(pts.x[hover]), sy(pts.y[hover]), 8, 0, 2 * Math.PI); g.stroke();
    }
  }, W, H, [snap, shown, hover, frame]);

  const onMove = (e: React.MouseEvent<HTMLCanvasElement>) => {
    if (!pts || !frame) return;
    const r = e.currentTarget.getBoundingClientRect(), mx = e.clientX - r.left, my = e.clientY - r.top;
    let best = -1, bd = 12 * 12;
    for (let i = 0; i < n; i++) {
      if (!shown[pts.kind[i]]) continue;
      const d = (frame.sx(pts.x[i]) - mx) ** 2 + (frame.sy(pts.y[i]) - my) ** 2;
      if (d < bd) { bd = d; best = i; }
    }
    setHover(best < 0 ? null : best);
  };
  const describe = (i: number) => {
    if (!snap || !pts) return '';
    const k = pts.kind[i], cls = snap.classNames[pts.cls[i]] ?? `class ${pts.cls[i]}`;
    if (k === 'text' || k === 'advText') return `${KIND_LABEL[k]} ${pts.member[i] + 1} of “${cls}”`;
    return `${KIND_LABEL[k]}: probe image ${pts.group[i] + 1} (${cls}), view ${pts.member[i]}${pts.member[i] === 0 ? ' = the image' : ''}`;
  };
  const p = snap?.projection;
  return (
    <div className="ss-projection" data-testid="projection" data-drawn={n ? 'true' : 'false'} data-points={n}>
      <div className="ss-proj-main">
        <canvas ref={canvas} role="img" aria-label="2-D projection of the probe's features" onMouseMove={onMove} onMouseLeave={() => setHover(null)} />
        <div className="ss-readout small muted">{hover !== null ? describe(hover) : p ? `axes: PC1 (${(p.explained[0] * 100).toFixed(0)} %) × PC2 (${(p.explained[1] * 100).toFixed(0)} %) of the clean image + text features at step ${p.step}, equal scale; hover a point` : '\u00a0'}</div>
      </div>
      <div className="ss-proj-side">
        <h4>Show</h4>
        {KINDS.map((k) => (
          <label key={k} className="ss-kind">
            <input type="checkbox" checked={shown[k]} onChange={(e) => setShown({ ...shown, [k]: e.target.checked })} />
            <KindIcon kind={k} /> {KIND_LABEL[k]}s
          </label>
        ))}
        <h4>Outlines</h4>
        <ul className="ss-outlines small">
          <li><span className="ss-line solid" /> clean group of an image</li>
          <li><span className="ss-line dashed" /> its adversarial group</li>
          <li><span className="ss-line dotted" /> text group of a class</li>
          <li><span className="ss-line dashdot" /> adversarial text group</li>
        </ul>
        {snap && (
          <>
            <h4>Classes</h4>
            <ul className="ss-classes small">
              {snap.textClasses.map((c) => <li key={c}><i className="ss-dot" style={{ background: classColor(c) }} /> {snap.classNames[c] ?? c}</li>)}
            </ul>
            <p className="small muted" data-testid="projection-captured">
              The plane holds {(p!.captured * 100).toFixed(0)} % of this step&apos;s clean image + text variance{p!.step !== snap.step ? ` (fixed at step ${p!.step})` : ''}.
            </p>
          </>
        )}
      </div>
    </div>
  );
}

function KindIcon({ kind }: { kind: PointKind }) {
  const paths: Record<PointKind, React.ReactNode> = {
    clean: <circle cx="7" cy="7" r="5" fill="currentColor" stroke="var(--ink)" strokeWidth="1.2" />,
    aug: <circle cx="7" cy="7" r="3" fill="currentColor" />,
    adv: <path d="M3 3 L11 11 M11 3 L3 11" stroke="currentColor" strokeWidth="1.8" />,
    text: <path d="M7 2 L12 11 L2 11 Z" fill="currentColor" />,
    advText: <path d="M7 2 L12 11 L2 11 Z" fill="none" stroke="currentColor" strokeWidth="1.5" />,
  };
  return <svg width="14" height="14" viewBox="0 0 14 14" className="ss-kind-icon" aria-hidden="true">{paths[kind]}</svg>;
}
