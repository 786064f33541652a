/**
 * Paired tests on the selected cell: the reference method against every other method (two-level paired bootstrap
 * over seeds and the shared images, Holm over the baselines, minimum detectable difference at 80 % power), computed
 * by `cellTests` (src/methods/resultsView.ts) for this one cell only.
 */
import { useMemo } from 'react';
import { cellTests, formatEps } from '../../methods/resultsView';
import type { ResultsFile } from '../../methods/results';
import type { ResultsSelection } from '../../state/results';

const pp = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(100 * x).toFixed(1)}`;
const pv = (p: number) => (p < 0.001 ? '< 0.001' : p.toFixed(3));

/** Resamples of the bootstrap on the page (the eval scripts use 10 000; 2 000 keeps a click under a second). */
export const PAGE_RESAMPLES = 2000;

export function CellTests({ file, cell, reference, methods, onReference }: {
  file: ResultsFile;
  cell: ResultsSelection;
  reference: string;
  methods: string[];
  onReference: (m: string) => void;
}) {
  const tests = useMemo(() => cellTests(file, reference, cell.set, cell.eps, PAGE_RESAMPLES), [file, reference, cell.set, cell.eps]);
  return (
    <section className="card" data-testid="results-tests">
      <div className="card-head">
        <h3>Paired tests: {cell.set}, {formatEps(cell.eps)}</h3>
        <span className="spacer" />
        <label className="small">
          reference{' '}
          <select value={reference} onChange={(e) => onReference(e.target.value)} data-testid="results-reference">
            {methods.map((m) => <option key={m} value={m}>{m}</option>)}
          </select>
        </label>
      </div>
      <p className="muted small">
        Accuracy of <b>{reference}</b> minus each other method&apos;s, in points: two-level paired bootstrap ({PAGE_RESAMPLES} resamples: seeds of
        each method, then the shared images), 95 % interval, p-values Holm-adjusted over the {tests.rows.length} comparisons, and the smallest
        difference this cell could detect at 80 % power (MDD).
      </p>
      {tests.rows.length > 0 && (
        <table className="res-tests" data-scroll-x>
          <thead><tr><th>against</th><th>difference</th><th>95 % interval</th><th>p</th><th>p (Holm)</th><th>MDD</th><th>verdict</th></tr></thead>
          <tbody>
            {tests.rows.map((r) => {
              const sig = r.pHolm < 0.05;
              const verdict = sig ? (r.difference > 0 ? `${reference} better` : `${reference} worse`) : `no detectable difference (below ~${(100 * r.mdd80).toFixed(1)} pts)`;
              return (
                <tr key={r.baseline} data-baseline={r.baseline} data-significant={sig}>
                  <th scope="row">{r.baseline}</th>
                  <td>{pp(r.difference)}</td>
                  <td>{pp(r.ci95[0])} … {pp(r.ci95[1])}</td>
                  <td>{pv(r.p)}</td>
                  <td className={sig ? 'res-sig' : undefined}>{pv(r.pHolm)}</td>
                  <td>{(100 * r.mdd80).toFixed(1)}</td>
                  <td className={sig ? 'res-sig' : 'muted'}>{verdict}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {tests.skipped.map((s) => <p key={s.method} className="muted small" data-testid="results-tests-skipped">{s.method}: not tested ({s.why}).</p>)}
    </section>
  );
}
