/**
 * Image by image on the selected cell, two runs side by side (from the per-image bitsets): each square is one test
 * image, its left half run A and its right half run B — right under attack, right when clean but broken by the
 * attack, or wrong even clean. "Only where they differ" keeps the images one run gets right and the other does not.
 */
import { useMemo, useState } from 'react';
import { drillDown, formatEps, runsWithCell, type ImageOutcome } from '../../methods/resultsView';
import type { ResultsFile, ResultsRun } from '../../methods/results';
import type { ResultsSelection } from '../../state/results';
import { BundledImages } from './BundledImages';
import { RecreateAdversarial } from './RecreateAdversarial';

/** Squares drawn at most (the lists of differing images are always complete). */
const MAX_SQUARES = 5000;
const WORD: Record<ImageOutcome, string> = { robust: 'right under attack', broken: 'broken by the attack', wrong: 'wrong even clean' };

const runLabel = (r: ResultsRun) => `${r.method}${r.seed === null ? '' : ` · seed ${r.seed}`} (${r.id})`;

function RunPicker({ label, value, runs, onChange, testId }: { label: string; value: string; runs: ResultsRun[]; onChange: (id: string) => void; testId: string }) {
  return (
    <label className="small">
      {label}{' '}
      <select value={value} onChange={(e) => onChange(e.target.value)} data-testid={testId}>
        {runs.map((r) => <option key={r.id} value={r.id}>{runLabel(r)}</option>)}
      </select>
    </label>
  );
}

export function DrillDown({ file, cell, runA, runB, onRuns }: {
  file: ResultsFile;
  cell: ResultsSelection;
  runA: string;
  runB: string;
  onRuns: (a: string, b: string) => void;
}) {
  const runs = useMemo(() => runsWithCell(file, cell.set, cell.eps), [file, cell.set, cell.eps]);
  const [onlyDiffer, setOnlyDiffer] = useState(false);
  const [picked, setPicked] = useState<number | null>(null);
  const d = useMemo(() => {
    try {
      return { ok: true as const, v: drillDown(file, runA, runB, cell.set, cell.eps) };
    } catch (e) {
      return { ok: false as const, why: String((e as Error)?.message ?? e) };
    }
  }, [file, runA, runB, cell.set, cell.eps]);
  return (
    <section className="card" data-testid="results-drill">
      <div className="card-head">
        <h3>Images: {cell.set}, {formatEps(cell.eps)}</h3>
        <span className="spacer" />
        <RunPicker label="A" value={runA} runs={runs} onChange={(id) => onRuns(id, runB)} testId="results-run-a" />
        <RunPicker label="B" value={runB} runs={runs} onChange={(id) => onRuns(runA, id)} testId="results-run-b" />
      </div>
      {!d.ok && <p className="error small" role="alert">{d.why}</p>}
      {d.ok && (() => {
        const v = d.v;
        const shown = (onlyDiffer ? [...v.onlyA, ...v.onlyB].sort((a, b) => a - b) : Array.from({ length: v.n }, (_, i) => i)).slice(0, MAX_SQUARES);
        const total = onlyDiffer ? v.onlyA.length + v.onlyB.length : v.n;
        return (
          <>
            <div className="res-drill-summary" data-testid="results-drill-summary" data-both={v.both} data-only-a={v.onlyA.length} data-only-b={v.onlyB.length} data-neither={v.neither}>
              <span><b>A</b> right under attack on {v.a.robust} of {v.n} ({v.a.broken} broken by the attack, {v.a.wrong} wrong even clean)</span>
              <span><b>B</b> right under attack on {v.b.robust} of {v.n} ({v.b.broken} broken, {v.b.wrong} wrong clean)</span>
              <span>both right {v.both} · <b>only A</b> {v.onlyA.length} · <b>only B</b> {v.onlyB.length} · neither {v.neither}</span>
            </div>
            <div className="res-legend small">
              <span><i className="sw robust" /> right under attack</span>
              <span><i className="sw broken" /> broken by the attack</span>
              <span><i className="sw wrong" /> wrong even clean</span>
              <span className="muted">left half A, right half B</span>
              <span className="spacer" />
              <label><input type="checkbox" checked={onlyDiffer} onChange={(e) => setOnlyDiffer(e.target.checked)} data-testid="results-only-differ" /> only where they differ</label>
            </div>
            <div className="res-grid" data-testid="results-grid" data-count={shown.length}>
              {shown.map((i) => (
                <button
                  key={i} type="button" className={`res-img${picked === i ? ' picked' : ''}`} data-testid="results-image" data-index={i}
                  data-a={v.a.outcomes[i]} data-b={v.b.outcomes[i]} onClick={() => setPicked(i)}
                  title={`image ${i}: A ${WORD[v.a.outcomes[i]]}, B ${WORD[v.b.outcomes[i]]}`}
                >
                  <i className={`half ${v.a.outcomes[i]}`} /><i className={`half ${v.b.outcomes[i]}`} />
                </button>
              ))}
            </div>
            {total > shown.length && <p className="muted small">Showing the first {shown.length} of {total} images.</p>}
            {picked !== null && picked < v.n && (
              <div className="res-picked">
                <BundledImages set={cell.set} indices={[picked]} title="Picked image" testId="results-picked-image" counted={false} />
                <p className="small" data-testid="results-image-detail">
                  Image <b>{picked}</b> of {cell.set} (its index in the split, in the bundle&apos;s order): <b>A</b> ({runLabel(v.a.run)}) {WORD[v.a.outcomes[picked]]};{' '}
                  <b>B</b> ({runLabel(v.b.run)}) {WORD[v.b.outcomes[picked]]}.
                </p>
              </div>
            )}
            {picked !== null && picked < v.n && (
              <RecreateAdversarial
                file={file} cell={cell} index={picked} runs={v.a.run.id === v.b.run.id ? [v.a.run] : [v.a.run, v.b.run]}
                stored={(id) => (id === v.a.run.id ? v.a.outcomes[picked] : id === v.b.run.id ? v.b.outcomes[picked] : null)}
              />
            )}
            <div className="res-thumb-pair">
              <BundledImages set={cell.set} indices={v.onlyA} title="Only A right under attack" testId="results-only-a" />
              <BundledImages set={cell.set} indices={v.onlyB} title="Only B right under attack" testId="results-only-b" />
            </div>
          </>
        );
      })()}
    </section>
  );
}
