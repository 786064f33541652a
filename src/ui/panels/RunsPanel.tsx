import { useEffect, useMemo, useRef, useState } from 'react';
import { ensureRunsLoaded, importRunFile } from '../../engine/runs';
import { useRunsStore } from '../../state/runs';
import { CompareChart } from '../finetune/CompareChart';
import { RunTable } from '../finetune/RunTable';
import { PALETTE } from '../finetune/series';
import '../finetune/finetune.css';

/** "Import run JSON…": a file written by a run's JSON export, validated as untrusted; a refused file changes nothing. */
function ImportRun() {
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

export function RunsPanel() {
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
      <CompareChart runs={picked} colors={colors} />
    </div>
  );
}
