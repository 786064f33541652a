import { useEffect, useMemo, useRef } from 'react';
import { accuracyCurves, formatEps, methodsOf, resultsTable, tradeoffPoints } from '../../methods/resultsView';
import { useResultsStore } from '../../state/results';
import { AccuracyChart } from '../results/AccuracyChart';
import { TradeoffChart } from '../results/TradeoffChart';
import { CellTests } from '../results/CellTests';
import { DrillDown } from '../results/DrillDown';
import { ResultsLinkConfirm } from '../results/ResultsLinkConfirm';
import { ResultsTable } from '../results/ResultsTable';
import { TrainingCurves } from '../results/TrainingCurves';
import '../results/results.css';
import { usePage } from '../pageContext';

/** Where the table comes from, its provenance, and "Open results file…" (untrusted: a refused file changes nothing). */
function SourceCard() {
  const { openResultsFile } = usePage().results;
  const { status, file, source, problem, committedSkipped } = useResultsStore();
  const input = useRef<HTMLInputElement>(null);
  const pick = async (f: File | undefined) => {
    if (!f) return;
    try {
      await openResultsFile(f);
    } finally {
      if (input.current) input.current.value = '';
    }
  };
  const p = file?.provenance;
  return (
    <section className="card" data-testid="results-source">
      <div className="card-head">
        <h3>Results file</h3>
        <span className="muted small" data-testid="results-source-name">{status === 'loading' ? 'looking for the committed results…' : source ?? ''}</span>
        <span className="spacer" />
        <input ref={input} type="file" accept=".json,application/json" hidden data-testid="results-open-input" onChange={(e) => void pick(e.target.files?.[0])} />
        <button type="button" onClick={() => input.current?.click()} data-testid="results-open"
          title="A results file written by npm run eval-robust or npm run reproduce (format v1 or v2), or a merged sweep">Open results file…</button>
      </div>
      <ResultsLinkConfirm />
      {problem && <p className="error small" role="alert" data-testid="results-error">{problem}</p>}
      {status === 'none' && (
        <p className="muted small" data-testid="results-none">
          No results file in format v1 or v2 is committed yet (results/*.json, written by <code>npm run eval-robust</code> or <code>npm run reproduce</code>):
          open one with the button.{committedSkipped.length ? ` Looked at: ${committedSkipped.join('; ')}.` : ''}
        </p>
      )}
      {p && (
        <div className="res-source small muted" data-testid="results-provenance">
          <span>commit <code>{p.commit.slice(0, 12)}</code></span>
          <span>adapter {p.adapter}</span>
          <span>{p.createdAt}</span>
          <span>{file.runs.length} runs, seeds {p.seeds.join(', ') || '—'}</span>
        </div>
      )}
      {file?.notes.length ? (
        <details className="small"><summary>Notes ({file.notes.length})</summary>{file.notes.map((n, i) => <p key={i} className="muted">{n}</p>)}</details>
      ) : null}
    </section>
  );
}

export function ResultsPanel() {
  const { loadCommittedResults, selectCell } = usePage().results;
  const { file, source, cell, reference, runA, runB, curveRun, patch } = useResultsStore();
  useEffect(() => { void loadCommittedResults(); }, []);
  const table = useMemo(() => (file ? resultsTable(file) : null), [file]);
  const methods = useMemo(() => (file ? methodsOf(file) : []), [file]);
  const set = cell?.set ?? table?.sets[0] ?? null;
  const curves = useMemo(() => (table && set ? accuracyCurves(table, set) : []), [table, set]);
  // The trade-off at the selected ε (the headline ε while the clean column or nothing is selected).
  const tradeoffEps = cell && cell.eps > 0 ? cell.eps : file?.headlineEps ?? 0;
  const tradeoff = useMemo(() => (file && set ? tradeoffPoints(file, set, tradeoffEps) : []), [file, set, tradeoffEps]);
  return (
    <div className="stack">
      <SourceCard />
      {file && table && (
        <>
          <section className="card">
            <div className="card-head"><h3>Accuracy (%)</h3><span className="muted small">mean over runs, 95 % interval below; ★ the headline ε; click a cell for its tests and images</span></div>
            <ResultsTable table={table} headlineEps={file.headlineEps} selected={cell} onSelect={selectCell} />
          </section>
          {set && (
            <section className="card">
              <div className="card-head">
                <h3>Accuracy against ε</h3>
                <span className="spacer" />
                <label className="small">set{' '}
                  <select value={set} onChange={(e) => selectCell({ set: e.target.value, eps: cell?.eps ?? file.headlineEps })} data-testid="results-chart-set">
                    {table.sets.map((s) => <option key={s} value={s}>{s}</option>)}
                  </select>
                </label>
              </div>
              <AccuracyChart curves={curves} set={set} selectedEps={cell?.eps ?? null} />
            </section>
          )}
          {set && tradeoff.length > 0 && (
            <section className="card">
              <div className="card-head">
                <h3>Clean against robust</h3>
                <span className="muted small">{set} at {formatEps(tradeoffEps)}: a point per run (seeds, and a sweep's settings), a ring per method's mean</span>
              </div>
              <TradeoffChart points={tradeoff} methods={methods} set={set} eps={tradeoffEps} />
            </section>
          )}
          {cell && reference && <CellTests file={file} cell={cell} reference={reference} methods={methods} onReference={(m) => patch({ reference: m })} />}
          {cell && runA && runB && <DrillDown file={file} cell={cell} runA={runA} runB={runB} onRuns={(a, b) => patch({ runA: a, runB: b })} />}
          <TrainingCurves file={file} source={source} runId={curveRun} onRun={(id) => patch({ curveRun: id })} />
        </>
      )}
    </div>
  );
}
