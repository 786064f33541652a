/**
 * Live charts of one run: loss per term, clean / robust validation accuracy (and the training views' robust
 * accuracy), throughput and learning rate, and the mean principal angles when the method reports them.
 */
import { useMemo } from 'react';
import type { RunRecord } from '../../storage/runRecord';
import { accuracyColumns, ANGLE_NAMES, angleColumns, gradNormColumns, lossColumns, PALETTE, pct, TERM_NAMES, throughputColumns } from './series';
import { UPlotChart, type ChartSeries } from './UPlotChart';

const pctFmt = (v: number) => pct(v);
export const pctTick = (v: number) => `${Math.round(100 * v)} %`;

export function LiveCharts({ run }: { run: RunRecord }) {
  const metrics = run.metrics;
  const loss = useMemo(() => lossColumns(metrics), [metrics]);
  const lossSeries = useMemo<ChartSeries[]>(() => loss.terms.map((t, i) => (t === '__total'
    ? { label: 'total (weighted)', color: '#343a40', width: 2.2 }
    : { label: TERM_NAMES[t] ?? t, color: PALETTE[i % PALETTE.length] })), [loss.terms]);
  const acc = useMemo(() => accuracyColumns(metrics), [metrics]);
  const accSeries = useMemo<ChartSeries[]>(() => [
    { label: 'clean (val)', color: '#2f9e44', points: true, width: 3.5, fmt: pctFmt },
    { label: 'robust (val)', color: '#c92a2a', points: true, width: 2, fmt: pctFmt },
    { label: 'robust (training views)', color: '#868e96', dash: true, fmt: pctFmt },
  ], []);
  const thr = useMemo(() => throughputColumns(metrics, run.fineTune.batchSize), [metrics, run.fineTune.batchSize]);
  const thrSeries = useMemo<ChartSeries[]>(() => [
    { label: 'images / s', color: '#1098ad', width: 2, fmt: (v) => v.toFixed(2) },
    { label: 'learning rate (vision)', color: '#f08c00', dash: true, right: true, fmt: (v) => v.toExponential(2) },
  ], []);
  const gn = useMemo(() => gradNormColumns(metrics), [metrics]);
  const gnSeries = useMemo<ChartSeries[]>(() => [
    { label: '‖g‖ parameters (before clip)', color: '#343a40', width: 2.2, fmt: (v: number) => v.toExponential(2) },
    ...gn.keys.map((k, i) => ({ label: TERM_NAMES[k] ?? k, color: PALETTE[i % PALETTE.length], fmt: (v: number) => v.toExponential(2) })),
    { label: 'clip factor', color: '#868e96', dash: true, right: true, fmt: (v: number) => v.toFixed(3) },
  ], [gn.keys]);
  const ang = useMemo(() => angleColumns(metrics), [metrics]);
  const angSeries = useMemo<ChartSeries[]>(() => ang.keys.map((k, i) => ({ label: ANGLE_NAMES[k] ?? k, color: PALETTE[(i + 3) % PALETTE.length], fmt: (v: number) => `${v.toFixed(2)}°` })), [ang.keys]);
  const val = run.fineTune.evalEvery > 0 ? `every ${run.fineTune.evalEvery} step${run.fineTune.evalEvery === 1 ? '' : 's'} on ${run.options.valImages} ${run.dataset.valSplit} images, PGD-${run.options.valAttackSteps} L∞ at the training ε` : 'validation is off';
  return (
    <div className="ft-charts" data-testid="ft-charts" data-steps={metrics.length}>
      <section className="card">
        <h4 className="ft-chart-title">Loss per term</h4>
        <p className="ft-chart-sub">Unweighted terms of the method's loss and the weighted total, per step.</p>
        <UPlotChart testId="ft-chart-loss" data={loss.columns} series={lossSeries} xLabel="step" yLabel="loss" empty="the first step's loss appears here" />
      </section>
      <section className="card">
        <h4 className="ft-chart-title">Clean and robust accuracy</h4>
        <p className="ft-chart-sub">Zero-shot, {val}; dashed: the training views under the training attack.</p>
        <UPlotChart testId="ft-chart-acc" attrs={{ 'val-points': metrics.filter((m) => m.val).length }} data={acc} series={accSeries} xLabel="step" yLabel="accuracy" yRange={[0, 1]} yTick={pctTick} empty="accuracies appear at the first validation" />
      </section>
      <section className="card">
        <h4 className="ft-chart-title">Throughput</h4>
        <p className="ft-chart-sub">Training images per second of each step (attack, update and validation included); learning rate on the right.</p>
        <UPlotChart testId="ft-chart-throughput" data={thr} series={thrSeries} xLabel="step" yLabel="images / s" y2Label="learning rate" empty="throughput appears after the first step" />
      </section>
      <section className="card">
        <h4 className="ft-chart-title">Gradient norms per term</h4>
        <p className="ft-chart-sub">Per term: ‖∂(weighted term)/∂(tower outputs)‖ (embedding space, log scale); solid black: ‖g‖ over the trained parameters before clipping; dashed, right: the clip factor min(1, max‖g‖ / ‖g‖).</p>
        <UPlotChart testId="ft-chart-gradnorms" attrs={{ terms: gn.keys.join(' ') }} data={gn.columns} series={gnSeries} xLabel="step" yLabel="gradient norm" yLog y2Label="clip factor" y2Range={[0, 1.05]} empty="gradient norms appear after the first step" />
      </section>
      {ang.keys.length > 0 && (
        <section className="card">
          <h4 className="ft-chart-title">Mean principal angles</h4>
          <p className="ft-chart-sub">Between the batch's groups (degrees; smaller = better aligned subspaces). Full spectra: the Subspaces panel.</p>
          <UPlotChart testId="ft-chart-angles" data={ang.columns} series={angSeries} xLabel="step" yLabel="degrees" />
        </section>
      )}
    </div>
  );
}
