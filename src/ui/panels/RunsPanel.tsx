import { useEffect, useMemo, useRef, useState } from 'react';
import type { DamagedRun } from '../../storage/runs';
import { useRunsStore } from '../../state/runs';
import { CompareChart } from '../finetune/CompareChart';
import { RunTable } from '../finetune/RunTable';
import { PALETTE } from '../finetune/series';
import '../finetune/finetune.css';
import { usePage } from '../pageContext';

/** "Import run JSON…": a file written by a run's JSON export, validated as untrusted; a refused file changes nothing. */
function ImportRun() {
  const { importRunFile } = usePage().commands.runs;
  const input = useRef<HTMLInputElement>(null);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const pick = async (f: File | undefined) => {
    if (!f) return;
    setBusy(true); setProblem(null); setNote(null);
    try {
      const { run, warnings } = await importRunFile(f);
      useRunsStore.getState().toggleCompare(run.id, true);
      setNote(`Imported “${run.name}” (${run.metrics.length} steps) from ${f.name}: a record without a checkpoint, so it cannot be resumed; it is ticked for comparison.`
        + (warnings.length ? ` Ignored: ${warnings.join('; ')}.` : ''));
    } catch (e) {
      setProblem(String((e as Error)?.message ?? e));
    } finally {
      setBusy(false);
      if (input.current) input.current.value = '';
    }
  };
  return (
    <>
      <input ref={input} type="file" accept=".json,application/json" hidden data-testid="runs-import-input" onChange={(e) => void pick(e.target.files?.[0])} />
      <button type="button" disabled={busy} onClick={() => input.current?.click()} data-testid="runs-import"
        title="Add a run from a file written by a run's JSON button (metrics and configuration; no checkpoint)">Import run JSON…</button>
      {(problem || note) && (
        <div className="ft-import-msg">
          {problem && <p className="error small" role="alert" data-testid="runs-import-error">{problem}</p>}
          {note && <p className="muted small" data-testid="runs-import-note">{note}</p>}
        </div>
      )}
    </>
  );
}

/** The record exactly as stored, as a JSON file (best effort: values JSON cannot hold are written as null). */
function exportRaw(d: DamagedRun): void {
  let text: string;
  try {
    text = JSON.stringify(d.raw, null, 1) ?? 'null';
  } catch (e) {
    text = JSON.stringify({ unreadable: String((e as Error)?.message ?? e) });
  }
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  a.download = `damaged-run-${d.id.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64) || 'record'}.json`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

/** Stored records that failed the record checks: what is wrong, the raw record to keep, and Delete. */
function DamagedRuns() {
  const { deleteDamagedRun } = usePage().commands.runs;
  const damaged = useRunsStore((s) => s.damaged);
  const [problem, setProblem] = useState<string | null>(null);
  if (!damaged.length) return null;
  return (
    <section className="card" data-testid="runs-damaged">
      <h3>Damaged records</h3>
      <p className="muted small">
        {damaged.length} stored record{damaged.length === 1 ? '' : 's'} could not be read (written by an older version, or damaged). They are kept
        apart so the rest of the panel works: export the raw record to keep it, or delete it.
      </p>
      {problem && <p className="error small" role="alert">{problem}</p>}
      <ul className="damaged-list">
        {damaged.map((d) => (
          <li key={d.id}>
            <code>{d.id}</code>: <span className="error small">{d.reason}</span>{' '}
            <button type="button" onClick={() => exportRaw(d)}>Export raw</button>{' '}
            <button type="button" onClick={() => deleteDamagedRun(d.id).catch((e: unknown) => setProblem(`could not delete ${d.id}: ${String((e as Error)?.message ?? e)}`))}>Delete</button>
          </li>
        ))}
      </ul>
    </section>
  );
}

export function RunsPanel() {
  const { ensureRunsLoaded } = usePage().commands.runs;
  const runs = useRunsStore((s) => s.runs);
  const compare = useRunsStore((s) => s.compare);
  const error = useRunsStore((s) => s.error);
  useEffect(() => { void ensureRunsLoaded(); }, []);
  const picked = useMemo(() => compare.map((id) => runs.find((r) => r.id === id)).filter((r) => r !== undefined), [runs, compare]);
  const colors = useMemo(() => new Map(compare.map((id, i) => [id, PALETTE[i % PALETTE.length]])), [compare]);
  return (
    <div className="stack">
      <section className="card ft-runs-card">
        <div className="card-head">
          <h3>Runs in this browser</h3><span className="muted small">{runs.length} run{runs.length === 1 ? '' : 's'}</span>
          <span className="spacer" />
          <ImportRun />
        </div>
        {error && <p className="error" role="alert">{error}</p>}
        <RunTable colors={colors} />
      </section>
      <DamagedRuns />
      <CompareChart runs={picked} colors={colors} />
    </div>
  );
}
