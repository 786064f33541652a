/**
 * Per-step training curves of one run of the results file (format v2's optional `curve`): the loss and each of its
 * terms, the gradient norm before clipping and each term's gradient norm, and the clip factor. Files without
 * curves (format v1, runs made before curves were recorded) say so.
 */
import { useMemo } from 'react';
import type { ResultsFile, TrainingCurve } from '../../methods/results';
import { PALETTE } from '../finetune/series';
import { niceTicks } from '../ticks';
import { extent } from '../../util/extent';

const W = 360, H = 190, L = 46, R = 10, T = 10, B = 30;

/** Lines through the finite points (a null breaks the line). */
function segments(step: number[], values: (number | null)[], x: (s: number) => number, y: (v: number) => number): string[] {
  const out: string[] = [];
  let cur: string[] = [];
  values.forEach((v, i) => {
    if (v === null) { if (cur.length) out.push(cur.join(' ')); cur = []; return; }
    cur.push(`${x(step[i]).toFixed(1)},${y(v).toFixed(1)}`);
  });
  if (cur.length) out.push(cur.join(' '));
  return out;
}

function CurveChart({ title, step, series, testId }: { title: string; step: number[]; series: { name: string; values: (number | null)[] }[]; testId: string }) {
  const finite = series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  const range = extent(finite, { lo: 0, hi: -Infinity });
  const lo = range.lo, hi = Math.max(range.hi, lo + 1e-9);
  const x0 = step[0], x1 = Math.max(step[step.length - 1], x0 + 1);
  const x = (s: number) => L + ((W - L - R) * (s - x0)) / (x1 - x0);
  const y = (v: number) => T + (H - T - B) * (1 - (v - lo) / (hi - lo));
  const yTicks = niceTicks(lo, hi, 4, 'inside');
  const xTicks = niceTicks(x0, x1, 5, 'inside');
  return (
    <figure className="res-curve" data-testid={testId} data-series={series.length} data-points={step.length}>
      <svg className="res-svg" viewBox={`0 0 ${W} ${H + 14 * Math.ceil(series.length / 3)}`} role="img" aria-label={title}>
        {yTicks.map((t) => (
          <g key={t}><line className="grid" x1={L} x2={W - R} y1={y(t)} y2={y(t)} /><text x={L - 5} y={y(t) + 3} textAnchor="end">{Number(t.toPrecision(3))}</text></g>
        ))}
        {xTicks.map((t) => <text key={t} x={x(t)} y={H - B + 13} textAnchor="middle">{t}</text>)}
        <line className="axis" x1={L} x2={W - R} y1={H - B} y2={H - B} />
        <line className="axis" x1={L} x2={L} y1={T} y2={H - B} />
        <text x={(L + W - R) / 2} y={H - 4} textAnchor="middle">step</text>
        <text x={W / 2} y={T} textAnchor="middle" className="ink">{title}</text>
        {series.map((s, k) => {
          const color = PALETTE[k % PALETTE.length];
          return (
            <g key={s.name} data-name={s.name}>
              {segments(step, s.values, x, y).map((pts, j) => <polyline key={j} fill="none" stroke={color} strokeWidth={1.6} points={pts} />)}
              <rect x={L + 105 * (k % 3)} y={H + 4 + 14 * Math.floor(k / 3)} width={10} height={3} fill={color} />
              <text x={L + 105 * (k % 3) + 14} y={H + 8 + 14 * Math.floor(k / 3)} className="ink">{s.name.length > 16 ? `${s.name.slice(0, 15)}…` : s.name}<title>{s.name}</title></text>
            </g>
          );
        })}
      </svg>
    </figure>
  );
}

function charts(c: TrainingCurve) {
  return [
    { title: 'loss and its terms', testId: 'results-curve-loss', series: [{ name: 'loss', values: c.loss }, ...Object.entries(c.terms).map(([name, values]) => ({ name, values }))] },
    { title: 'gradient norms (‖g‖ before clipping; per term)', testId: 'results-curve-grad', series: [{ name: '‖g‖', values: c.gradNorm }, ...Object.entries(c.termGradNorms).map(([name, values]) => ({ name: `‖∂${name}‖`, values }))] },
    { title: 'clip factor min(1, max‖g‖ / ‖g‖)', testId: 'results-curve-clip', series: [{ name: 'clip factor', values: c.clipFactor }] },
  ];
}

export function TrainingCurves({ file, source, runId, onRun }: { file: ResultsFile; source: string | null; runId: string | null; onRun: (id: string) => void }) {
  const withCurves = useMemo(() => file.runs.filter((r) => r.curve), [file]);
  const run = withCurves.find((r) => r.id === runId) ?? withCurves[0];
  return (
    <section className="card" data-testid="results-curves" data-runs={withCurves.length}>
      <div className="card-head">
        <h3>Training curves</h3>
        {run && <span className="muted small">per step, as the run recorded them ({run.curve!.step.length} points){source ? `, from ${source}` : ''}</span>}
        <span className="spacer" />
        {run && (
          <label className="small">run{' '}
            <select value={run.id} onChange={(e) => onRun(e.target.value)} data-testid="results-curves-run">
              {withCurves.map((r) => <option key={r.id} value={r.id}>{r.method}{r.seed === null ? '' : ` · seed ${r.seed}`} ({r.id})</option>)}
            </select>
          </label>
        )}
      </div>
      {!run && (
        <p className="muted small" data-testid="results-curves-none">
          This results file records no training curves: {file.version < 2 ? `it is in format v${file.version}, which has none` : 'none of its runs carries one'}. Files that{' '}
          <code>npm run reproduce</code> writes now (format v2) keep each training run&apos;s per-step loss, terms, gradient norms and clip factor.
        </p>
      )}
      {run && (
        <div className="res-curves-grid">
          {charts(run.curve!).map((c) => <CurveChart key={c.testId} title={c.title} step={run.curve!.step} series={c.series} testId={c.testId} />)}
        </div>
      )}
    </section>
  );
}
