/**
 * The clean/robust trade-off on one set at one ε (SVG): a point per run (seeds and sweep settings), coloured by
 * method, with each method's mean as a ring; axes span the data (padded, within 0–100 %) so close runs stay apart.
 */
import { formatEps, type TradeoffRunPoint } from '../../methods/resultsView';
import { PALETTE } from '../finetune/series';
import { niceTicks } from '../ticks';

const W = 560, H = 260, L = 46, R = 120, T = 12, B = 34;

function span(values: number[]): [number, number] {
  const lo = Math.min(...values), hi = Math.max(...values), pad = Math.max(0.02, (hi - lo) * 0.1);
  return [Math.max(0, lo - pad), Math.min(1, hi + pad)];
}

export function TradeoffChart({ points, methods, set, eps }: { points: TradeoffRunPoint[]; methods: string[]; set: string; eps: number }) {
  const [x0, x1] = span(points.map((p) => p.clean)), [y0, y1] = span(points.map((p) => p.robust));
  const x = (v: number) => L + ((W - L - R) * (v - x0)) / (x1 - x0 || 1);
  const y = (v: number) => T + (H - T - B) * (1 - (v - y0) / (y1 - y0 || 1));
  const shown = methods.filter((m) => points.some((p) => p.method === m));
  return (
    <svg className="res-svg" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`clean against robust accuracy at ${formatEps(eps)} on ${set}, one point per run`}
      data-testid="results-tradeoff" data-points={points.length} data-set={set} data-eps={eps}>
      {niceTicks(y0, y1, 5, 'inside').map((t) => (
        <g key={`y${t}`}>
          <line className="grid" x1={L} x2={W - R} y1={y(t)} y2={y(t)} />
          <text x={L - 6} y={y(t) + 3} textAnchor="end">{+(100 * t).toFixed(1)}</text>
        </g>
      ))}
      {niceTicks(x0, x1, 6, 'inside').map((t) => <text key={`x${t}`} x={x(t)} y={H - B + 14} textAnchor="middle">{+(100 * t).toFixed(1)}</text>)}
      <line className="axis" x1={L} x2={W - R} y1={H - B} y2={H - B} />
      <line className="axis" x1={L} x2={L} y1={T} y2={H - B} />
      <text x={(L + W - R) / 2} y={H - 4} textAnchor="middle">clean accuracy (%)</text>
      <text x={12} y={(T + H - B) / 2} textAnchor="middle" transform={`rotate(-90 12 ${(T + H - B) / 2})`} className="ink">robust at {formatEps(eps)} (%)</text>
      {shown.map((m) => {
        const color = PALETTE[methods.indexOf(m) % PALETTE.length], own = points.filter((p) => p.method === m);
        const mc = own.reduce((s, p) => s + p.clean, 0) / own.length, mr = own.reduce((s, p) => s + p.robust, 0) / own.length;
        const k = shown.indexOf(m);
        return (
          <g key={m} data-method={m}>
            {own.map((p) => (
              <circle key={p.runId} cx={x(p.clean)} cy={y(p.robust)} r={3} fill={color} fillOpacity={0.7} data-testid="results-tradeoff-point">
                <title>{`${p.runId}: clean ${(100 * p.clean).toFixed(1)} %, robust ${(100 * p.robust).toFixed(1)} %`}</title>
              </circle>
            ))}
            <circle cx={x(mc)} cy={y(mr)} r={7} fill="none" stroke={color} strokeWidth={2}><title>{`${m}, mean of ${own.length} runs`}</title></circle>
            <rect x={W - R + 10} y={T + 14 * k} width={10} height={3} fill={color} />
            <text x={W - R + 24} y={T + 14 * k + 4} className="ink">{m}</text>
          </g>
        );
      })}
    </svg>
  );
}
