/**
 * Accuracy against ε on one set (SVG): a line per method through its mean accuracy at each ε, a whisker for the
 * 95 % interval, the selected ε marked. x is ε in /255 units (linear), y is accuracy in %.
 */
import { formatEps, type CellStat } from '../../methods/resultsView';
import { PALETTE } from '../finetune/series';
import { niceTicks } from '../ticks';

const W = 560, H = 240, L = 46, R = 120, T = 12, B = 34;

export function AccuracyChart({ curves, set, selectedEps }: { curves: { method: string; points: CellStat[] }[]; set: string; selectedEps: number | null }) {
  const xs = [...new Set(curves.flatMap((c) => c.points.map((p) => p.eps * 255)))].sort((a, b) => a - b);
  const xMax = Math.max(...xs, 1);
  const x = (e255: number) => L + ((W - L - R) * e255) / xMax;
  const y = (acc: number) => T + (H - T - B) * (1 - acc);
  const yTicks = niceTicks(0, 1, 5, 'inside');
  return (
    <svg className="res-svg" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`accuracy against ε on ${set}`} data-testid="results-chart" data-set={set} data-series={curves.length}>
      {yTicks.map((t) => (
        <g key={t}>
          <line className="grid" x1={L} x2={W - R} y1={y(t)} y2={y(t)} />
          <text x={L - 6} y={y(t) + 3} textAnchor="end">{Math.round(100 * t)}</text>
        </g>
      ))}
      {xs.map((e) => <text key={e} x={x(e)} y={H - B + 14} textAnchor="middle">{e === 0 ? 'clean' : Number(e.toPrecision(3))}</text>)}
      <line className="axis" x1={L} x2={W - R} y1={H - B} y2={H - B} />
      <line className="axis" x1={L} x2={L} y1={T} y2={H - B} />
      <text x={(L + W - R) / 2} y={H - 4} textAnchor="middle">ε (L∞, /255)</text>
      <text x={12} y={(T + H - B) / 2} textAnchor="middle" transform={`rotate(-90 12 ${(T + H - B) / 2})`} className="ink">accuracy (%)</text>
      {selectedEps !== null && <line className="res-marker" x1={x(selectedEps * 255)} x2={x(selectedEps * 255)} y1={T} y2={H - B}><title>{formatEps(selectedEps)}</title></line>}
      {curves.map((c, k) => {
        const color = PALETTE[k % PALETTE.length];
        return (
          <g key={c.method} data-method={c.method}>
            <polyline fill="none" stroke={color} strokeWidth={2} points={c.points.map((p) => `${x(p.eps * 255)},${y(p.mean)}`).join(' ')} />
            {c.points.map((p) => (
              <g key={p.eps}>
                <line stroke={color} strokeWidth={1} x1={x(p.eps * 255)} x2={x(p.eps * 255)} y1={y(p.lo)} y2={y(p.hi)} />
                <circle cx={x(p.eps * 255)} cy={y(p.mean)} r={3} fill={color}>
                  <title>{`${c.method} at ${formatEps(p.eps)}: ${(100 * p.mean).toFixed(1)} % (${(100 * p.lo).toFixed(1)}–${(100 * p.hi).toFixed(1)})`}</title>
                </circle>
              </g>
            ))}
            <rect x={W - R + 10} y={T + 14 * k} width={10} height={3} fill={color} />
            <text x={W - R + 24} y={T + 14 * k + 4} className="ink">{c.method}</text>
          </g>
        );
      })}
    </svg>
  );
}
