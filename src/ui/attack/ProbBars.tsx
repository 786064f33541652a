/**
 * Zero-shot probabilities before and after the attack (SVG bars): the clean image's top-5 classes, plus the true
 * class, the target and the adversarial prediction when they are not among them. Rows keep their order during a run.
 */

const W = 440, ROW = 30, L = 118, R = 54, TOP = 22;

export function ProbBars({ names, clean, adv, trueClass, target, testId }: {
  names: readonly string[];
  clean: Float32Array;
  adv: Float32Array | null;
  trueClass: number;
  target: number | null;
  testId?: string;
}) {
  const order = Array.from(clean, (_, k) => k).sort((a, b) => clean[b] - clean[a]);
  const rows = order.slice(0, 5);
  const add = (k: number | null) => { if (k !== null && k >= 0 && k < names.length && !rows.includes(k)) rows.push(k); };
  add(trueClass);
  add(target);
  if (adv) add(Array.from(adv).reduce((b, v, k) => (v > adv[b] ? k : b), 0));
  const H = TOP + rows.length * ROW + 4;
  const bw = W - L - R;
  const cleanPred = order[0];
  const advPred = adv ? Array.from(adv).reduce((b, v, k) => (v > adv[b] ? k : b), 0) : null;
  const label = (s: string) => (s.length > 17 ? `${s.slice(0, 16)}…` : s);
  return (
    <svg
      className="atk-svg" viewBox={`0 0 ${W} ${H}`} role="img" aria-label="class probabilities before and after the attack" data-testid={testId}
      data-true-clean={clean[trueClass]?.toPrecision(6)} data-true-adv={adv ? adv[trueClass]?.toPrecision(6) : ''}
      data-clean-pred={names[cleanPred]} data-adv-pred={advPred === null ? '' : names[advPred]}
    >
      <rect className="legend-clean" x={L} y={4} width={10} height={8} rx={1} />
      <text x={L + 14} y={11}>clean</text>
      <rect className="legend-adv" x={L + 60} y={4} width={10} height={8} rx={1} />
      <text x={L + 74} y={11}>adversarial{adv ? '' : ' (after a run)'}</text>
      {rows.map((k, r) => {
        const y = TOP + r * ROW;
        const tags = [k === trueClass ? '✓' : '', k === target ? '◎' : ''].join('');
        return (
          <g key={k}>
            <text x={L - 8} y={y + 15} textAnchor="end" className={k === trueClass ? 'ink' : undefined} fontWeight={k === trueClass ? 600 : 400}>
              {tags && `${tags} `}{label(names[k])}
            </text>
            <title>{names[k]}{k === trueClass ? ' (true class)' : ''}{k === target ? ' (target)' : ''}</title>
            <rect className="bar-bg" x={L} y={y + 2} width={bw} height={11} rx={2} />
            <rect className="bar-clean" x={L} y={y + 2} width={Math.max(0, bw * clean[k])} height={11} rx={2} />
            <text x={L + bw + 6} y={y + 11}>{(100 * clean[k]).toFixed(1)}%</text>
            {adv && (
              <>
                <rect className="bar-bg" x={L} y={y + 15} width={bw} height={11} rx={2} />
                <rect className="bar-adv" x={L} y={y + 15} width={Math.max(0, bw * adv[k])} height={11} rx={2} />
                <text x={L + bw + 6} y={y + 24} className="ink">{(100 * adv[k]).toFixed(1)}%</text>
              </>
            )}
          </g>
        );
      })}
    </svg>
  );
}
