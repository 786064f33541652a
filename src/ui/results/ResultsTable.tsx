/**
 * The accuracy table of a results file: one row per method, one column per (set, ε); each cell the mean accuracy
 * over the method's runs with its 95 % interval (over seeds, or over images for a single run). Clicking a cell
 * selects it for the paired tests, the chart's marker and the drill-down.
 */
import { Fragment } from 'react';
import { cellKey, formatEps, type ResultsTable as Table } from '../../methods/resultsView';
import type { ResultsSelection } from '../../state/results';

const pct = (x: number) => (100 * x).toFixed(1);

export function ResultsTable({ table, headlineEps, selected, onSelect }: {
  table: Table;
  headlineEps: number;
  selected: ResultsSelection | null;
  onSelect: (cell: ResultsSelection) => void;
}) {
  return (
    <div className="res-table-wrap" data-scroll-x>
      <table className="res-table" data-testid="results-table">
        <thead>
          <tr>
            <th rowSpan={2}>method</th>
            <th rowSpan={2} title="runs of the method (training seeds)">runs</th>
            {table.sets.map((s) => <th key={s} colSpan={table.eps.length} className="res-set">{s}</th>)}
          </tr>
          <tr>
            {table.sets.map((s) => (
              <Fragment key={s}>
                {table.eps.map((e, i) => (
                  <th key={e} className={i === 0 ? 'res-first' : undefined} title={e === headlineEps ? 'the headline ε' : undefined}>
                    {formatEps(e)}{e === headlineEps ? ' ★' : ''}
                  </th>
                ))}
              </Fragment>
            ))}
          </tr>
        </thead>
        <tbody>
          {table.methods.map((m) => {
            const any = table.sets.flatMap((s) => table.eps.map((e) => table.cells.get(cellKey(m, s, e)))).find(Boolean);
            return (
              <tr key={m} data-method={m}>
                <th scope="row">{m}</th>
                <td className="muted">{any?.perRun.length ?? 0}</td>
                {table.sets.map((s) => table.eps.map((e, i) => {
                  const c = table.cells.get(cellKey(m, s, e));
                  const isSel = selected?.set === s && selected.eps === e;
                  const cls = [i === 0 ? 'res-first' : '', isSel ? 'res-selected' : ''].filter(Boolean).join(' ') || undefined;
                  if (!c) return <td key={`${s}${e}`} className={cls}><span className="muted">—</span></td>;
                  const why = c.interval === 'seeds' ? `95 % t-interval over ${c.perRun.length} runs` : `95 % Wilson interval over ${c.n} images (one run)`;
                  return (
                    <td key={`${s}${e}`} className={cls}>
                      <button
                        type="button" className="res-cell" data-testid="results-cell" data-method={m} data-set={s} data-eps={e}
                        aria-pressed={isSel} onClick={() => onSelect({ set: s, eps: e })}
                        title={`${m}, ${s}, ${formatEps(e)}: ${pct(c.mean)} % (${why}: ${pct(c.lo)}–${pct(c.hi)}); runs: ${c.perRun.map(pct).join(', ')}. Click: tests and images of this cell.`}
                      >
                        <span className="res-mean">{pct(c.mean)}</span>
                        <span className="res-ci">{pct(c.lo)}–{pct(c.hi)}</span>
                      </button>
                    </td>
                  );
                }))}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
