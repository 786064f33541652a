/**
 * One principal-angle spectrum: x = angle index (ascending angles), y = angle in degrees (0° = shared direction,
 * 90° = orthogonal). Thin lines: each group pair, coloured by class; thick line: the mean; dashed grey: the same
 * probe at step 0 (the model before fine-tuning), for comparison.
 */
import type { GeometrySnapshot } from '../../methods/geometry';
import { PAIR_LABELS, type GeometryPair } from '../../methods/probeSettings';
import { classColor, FONT, useCanvas } from './canvas';
import { fmtDeg } from './data';

const W = 340, H = 200, L = 36, R = 10, T = 12, B = 30;

export const PAIR_EXPLAIN: Record<GeometryPair, string> = {
  advClean: 'Per image: the span of its adversarial views vs the span of its clean views (the image + augmentations). Small angles: the attack stays inside the clean subspace.',
  imageText: "Per image: the span of its clean views vs its class's text group (templates × synonyms). AoS's λ₂ term pulls these together.",
  advText: "Per class: the adversarial prompts' span vs the clean prompts' span (prompt attack on the token embeddings).",
};

export function SpectrumPlot({ pair, snap, reference }: { pair: GeometryPair; snap: GeometrySnapshot | null; reference: GeometrySnapshot | null }) {
  const spec = snap?.spectra[pair];
  const groups = snap?.groups[pair] ?? [];
  const ref = reference && snap && reference.step !== snap.step ? reference.spectra[pair] : undefined;
  const groupClass = (g: number) => (pair === 'advText' ? snap!.textClasses[g] : snap!.labels[g]);
  const k = Math.max(spec?.length ?? 0, ref?.length ?? 0, ...groups.map((g) => g.length), 1);
  const canvas = useCanvas((g, w, h, t) => {
    const x = (i: number) => L + (k === 1 ? (w - L - R) / 2 : ((w - L - R) * i) / (k - 1));
    const y = (deg: number) => T + (h - T - B) * (1 - deg / 90);
    g.font = FONT;
    g.strokeStyle = t.line;
    g.fillStyle = t.muted;
    g.lineWidth = 1;
    g.textAlign = 'right';
    g.textBaseline = 'middle';
    for (const d of [0, 30, 60, 90]) {
      g.beginPath(); g.moveTo(L, y(d) + 0.5); g.lineTo(w - R, y(d) + 0.5); g.stroke();
      g.fillText(`${d}°`, L - 5, y(d));
    }
    g.textAlign = 'center';
    g.textBaseline = 'top';
    const step = Math.max(1, Math.ceil(k / 8));
    for (let i = 0; i < k; i += step) g.fillText(String(i + 1), x(i), h - B + 5);
    g.fillText('angle index (ascending)', (L + w - R) / 2, h - 13);
    if (!spec) {
      g.textBaseline = 'middle';
      g.fillText(snap ? 'not measured (no adversarial text group)' : 'no measurement yet', (L + w - R) / 2, (T + h - B) / 2);
      return;
    }
    const line = (vals: readonly number[], color: string, width: number, dash: number[] = [], dots = 0) => {
      g.strokeStyle = color;
      g.lineWidth = width;
      g.setLineDash(dash);
      g.beginPath();
      vals.forEach((v, i) => (i ? g.lineTo(x(i), y(v)) : g.moveTo(x(i), y(v))));
      if (vals.length === 1) { g.moveTo(x(0) - 4, y(vals[0])); g.lineTo(x(0) + 4, y(vals[0])); }
      g.stroke();
      g.setLineDash([]);
      if (dots) {
        g.fillStyle = color;
        vals.forEach((v, i) => { g.beginPath(); g.arc(x(i), y(v), dots, 0, 2 * Math.PI); g.fill(); });
      }
    };
    g.globalAlpha = 0.55;
    groups.forEach((vals, gi) => line(vals, classColor(groupClass(gi)), 1.2, [], 1.6));
    g.globalAlpha = 1;
    if (ref) line(ref, t.muted, 1.5, [5, 4]);
    line(spec, t.ink, 2.4, [], 3);
  }, W, H, [snap, reference, pair]);
  const mean = snap?.meanAngles[pair];
  const refMean = reference && snap && reference.step !== snap.step ? reference.meanAngles[pair] : undefined;
  return (
    <section className="card ss-card" data-testid={`spectrum-${pair}`} data-drawn={spec ? 'true' : 'false'} data-angles={spec?.length ?? 0} data-groups={groups.length}
      data-spectrum={spec ? JSON.stringify(spec) : undefined}>
      <div className="card-head">
        <h3>{PAIR_LABELS[pair]}</h3>
        <span className="spacer" />
        <span className="ss-big" title="mean principal angle over every group and index">{fmtDeg(mean)}</span>
      </div>
      <p className="ss-explain">{PAIR_EXPLAIN[pair]}</p>
      <canvas ref={canvas} role="img" aria-label={`principal-angle spectrum, ${PAIR_LABELS[pair]}`} />
      <div className="ss-legend small">
        <span><i className="ss-swatch ss-mean" /> mean over {groups.length || '–'} group{groups.length === 1 ? '' : 's'}</span>
        <span><i className="ss-swatch ss-thin" /> each group (class colour)</span>
        {refMean !== undefined && <span><i className="ss-swatch ss-ref" /> step 0: {fmtDeg(refMean)}</span>}
      </div>
    </section>
  );
}
