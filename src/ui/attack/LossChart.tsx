/**
 * The attack's objective per evaluation (SVG line chart): x = evaluation (0 = the clean image, then each step of
 * each restart), left axis = mean objective, right axis (dashed) = an optional series in [0, 1] (probability of the
 * true class, or robust accuracy). The x range is the whole run from the start, so the curve grows to the right.
 */
import type { TracePoint } from '../../state/attack';
import { niceTicks } from '../ticks';

const W = 480, H = 210, L = 58, R = 40, T = 10, B = 32;

const fmtTick = (v: number) => (Math.abs(v) >= 1000 || (Math.abs(v) < 0.01 && v !== 0) ? v.toExponential(1) : String(Number(v.toPrecision(3))));

export function LossChart({ trace, evaluations, aux, lossLabel, testId }: {
  trace: TracePoint[];
  /** Evaluations the whole run will make (clean included): the x range. */
  evaluations: number;
  aux?: { label: string; values: Array<number | null> };
  lossLabel: string;
  testId?: string;
}) {
  const n = Math.max(evaluations, trace.length, 2);
  const losses = trace.map((p) => p.loss).filter(Number.isFinite);
  const lo = losses.length ? Math.min(...losses) : 0, hi = losses.length ? Math.max(...losses) : 1;
  const ticks = niceTicks(lo, hi, 4, 'cover');
  const y0 = ticks[0], y1 = ticks[ticks.length - 1];
  const x = (i: number) => L + ((W - L - R) * i) / (n - 1);
  const y = (v: number) => T + (H - T - B) * (1 - (v - y0) / (y1 - y0 || 1));
  const ya = (v: number) => T + (H - T - B) * (1 - v);
  const xTicks = niceTicks(0, n - 1, 5, 'cover').filter((v) => v >= 0 && v <= n - 1 && Number.isInteger(v));
  // One polyline per restart (the clean point stands alone).
  const runs = new Map<number, TracePoint[]>();
  for (const p of trace) if (p.step >= 0) runs.set(p.restart, [...(runs.get(p.restart) ?? []), p]);
  const restartStarts = [...runs.values()].map((r) => r[0].i).filter((i) => i > 1);
  const auxPath = aux ? aux.values.map((v, i) => (v === null ? null : `${x(trace[i]?.i ?? i)},${ya(v)}`)).filter(Boolean) : [];
  return (
    <svg
      className="atk-svg" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${lossLabel} per step`} data-testid={testId}
      data-points={trace.length} data-losses={trace.map((p) => p.loss.toPrecision(6)).join(',')}
    >
      {ticks.map((t) => (
        <g key={t}>
          <line className="grid" x1={L} x2={W - R} y1={y(t)} y2={y(t)} />
          <text x={L - 6} y={y(t) + 3} textAnchor="end">{fmtTick(t)}</text>
        </g>
      ))}
      {xTicks.map((t) => (
        <text key={t} x={x(t)} y={H - B + 14} textAnchor="middle">{t === 0 ? 'clean' : t}</text>
      ))}
      <line className="axis" x1={L} x2={W - R} y1={H - B} y2={H - B} />
      <line className="axis" x1={L} x2={L} y1={T} y2={H - B} />
      <text x={(L + W - R) / 2} y={H - 4} textAnchor="middle">evaluation (step; restarts follow each other)</text>
      <text x={12} y={(T + H - B) / 2} textAnchor="middle" transform={`rotate(-90 12 ${(T + H - B) / 2})`} className="ink">{lossLabel}</text>
      {aux && (
        <>
          <line className="axis" x1={W - R} x2={W - R} y1={T} y2={H - B} />
          {[0, 0.5, 1].map((v) => <text key={v} x={W - R + 5} y={ya(v) + 3}>{v}</text>)}
          <text x={W - 8} y={(T + H - B) / 2} textAnchor="middle" transform={`rotate(90 ${W - 8} ${(T + H - B) / 2})`}>{aux.label}</text>
          {auxPath.length > 1 && <polyline className="series-aux" points={auxPath.join(' ')} />}
        </>
      )}
      {restartStarts.map((i) => <line key={i} className="restart" x1={x(i) - 0.5 * (x(1) - x(0))} x2={x(i) - 0.5 * (x(1) - x(0))} y1={T} y2={H - B} />)}
      {[...runs.values()].map((r) => (
        <polyline key={r[0].restart} className="series-loss" points={r.map((p) => `${x(p.i)},${y(p.loss)}`).join(' ')} />
      ))}
      {trace.length <= 120 && trace.filter((p) => p.step >= 0).map((p) => <circle key={p.i} className="dot-loss" cx={x(p.i)} cy={y(p.loss)} r={2.2} />)}
      {trace[0] && trace[0].step < 0 && <circle className="dot-clean" cx={x(0)} cy={y(trace[0].loss)} r={3.5} />}
      {trace.length === 0 && <text x={(L + W - R) / 2} y={(T + H - B) / 2} textAnchor="middle">runs appear here, step by step</text>}
    </svg>
  );
}
