/** The ticked runs' curves on one chart: loss, clean or robust validation accuracy, or training robust accuracy. */
import { useMemo, useState } from 'react';
import type { RunRecord } from '../../storage/runRecord';
import { COMPARE_METRICS, compareColumns, pct, type CompareMetric } from './series';
import { METHOD_LABEL } from './StatusBadge';
import { pctTick } from './LiveCharts';
import { UPlotChart, type ChartSeries } from './UPlotChart';

export function CompareChart({ runs, colors }: { runs: RunRecord[]; colors: Map<string, string> }) {
  const [metric, setMetric] = useState<CompareMetric>('robust');
  const def = COMPARE_METRICS[metric];
  const data = useMemo(() => compareColumns(runs, metric), [runs, metric]);
  const series = useMemo<ChartSeries[]>(() => runs.map((r) => ({
    label: `${r.name} (${METHOD_LABEL[r.method] ?? r.method})`, color: colors.get(r.id) ?? '#495057', width: 2,
    points: metric === 'clean' || metric === 'robust', fmt: def.range ? (v: number) => pct(v) : undefined,
  })), [runs, colors, metric, def.range]);
  return (
    <section className="card" data-testid="runs-compare">
      <div className="card-head">
        <h3>Compare runs</h3>
        <span className="spacer" />
        <div className="segmented" role="group" aria-label="metric">
          {(Object.keys(COMPARE_METRICS) as CompareMetric[]).map((k) => (
            <button key={k} type="button" className={k === metric ? 'active' : undefined} onClick={() => setMetric(k)} data-testid={`compare-${k}`}>
              {COMPARE_METRICS[k].label}
            </button>
          ))}
        </div>
      </div>
      {runs.length === 0
        ? <p className="muted small">Tick runs in the list to draw their curves here, on one step axis.</p>
        : <UPlotChart testId="runs-compare-chart" data={data} series={series} xLabel="step" yLabel={def.label} yRange={def.range} yTick={def.range ? pctTick : undefined} height={240} />}
    </section>
  );
}
