/**
 * The run list: name, method, status, steps, last clean / robust validation accuracy, date; tick runs to compare;
 * per run: open in the Fine-tune panel, resume, export metrics (JSON, CSV) and the fine-tuned model
 * as one .zip the Model panel loads back, delete.
 */
import { useState } from 'react';
import { exportRunCsv, exportRunJson } from '../../engine/commands/runs';
import { canApply, lastVal, type RunRecord } from '../../storage/runRecord';
import { useRunsStore } from '../../state/runs';
import { useUiStore } from '../../state/ui';
import { pct } from './series';
import { METHOD_LABEL, StatusBadge } from './StatusBadge';
import { usePage } from '../pageContext';

const date = (t: number) => new Date(t).toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });

function RunRow({ r, color }: { r: RunRecord; color: string | null }) {
  const { exportRunModelZip, resumeRun } = usePage().commands.fineTune;
  const { deleteStoredRun } = usePage().commands.runs;
  const compare = useRunsStore((s) => s.compare.includes(r.id));
  const toggle = useRunsStore((s) => s.toggleCompare);
  const busy = useRunsStore((s) => s.live !== null);
  const active = useRunsStore((s) => s.activeRunId === r.id);
  const [problem, setProblem] = useState<string | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const v = lastVal(r);
  const act = (f: () => Promise<void> | void) => async () => {
    setProblem(null);
    try {
      await f();
    } catch (e) {
      setProblem(String((e as Error)?.message ?? e));
    }
  };
  const open = () => {
    useRunsStore.getState().patch({ activeRunId: r.id });
    useUiStore.getState().setPanel('finetune');
  };
  return (
    <>
      <tr className={active ? 'selected' : undefined} data-testid={`run-row-${r.id}`} data-run-name={r.name} data-status={r.status} data-imported={r.imported ? 'true' : undefined}>
        <td>
          <input type="checkbox" aria-label={`compare ${r.name}`} checked={compare} onChange={(e) => toggle(r.id, e.target.checked)} data-testid="run-compare" />
        </td>
        <td>
          {color && <span className="ft-swatch" style={{ background: color }} />}
          <button type="button" className="linklike" onClick={open} title="Show in the Fine-tune panel">{r.name}</button>
          {(r.error ?? r.message) && <div className={r.error ? 'ft-row-note error' : 'ft-row-note'} data-testid="run-note">{r.error ?? r.message}</div>}
          {r.imported && <div className="ft-row-note" data-testid="run-imported-note">imported from {r.imported.file}: no checkpoint, so it cannot be resumed</div>}
        </td>
        <td>{METHOD_LABEL[r.method] ?? r.method}</td>
        <td><StatusBadge status={r.status} />{r.imported && <span className="ft-imported" data-testid="run-imported" title={`imported ${date(r.imported.at)} from ${r.imported.file}: metrics only, no checkpoint (it cannot be resumed)`}>imported</span>}</td>
        <td className="num">{r.step} / {r.totalSteps}</td>
        <td className="num" data-testid="run-clean">{pct(v?.clean)}</td>
        <td className="num" data-testid="run-robust">{pct(v?.robust)}</td>
        <td className="muted small">{r.dataset.name}<div>{r.fineTune.batchSize} × {r.totalSteps} steps, ε {Number((r.fineTune.attack.eps * 255).toFixed(2))}/255</div></td>
        <td className="muted small">{date(r.createdAt)}</td>
        <td><div className="ft-actions">
          {canApply(r, 'resume') && <button type="button" disabled={busy} onClick={act(() => { useRunsStore.getState().patch({ activeRunId: r.id }); useUiStore.getState().setPanel('finetune'); return resumeRun(r.id); })} data-testid="run-resume">Resume</button>}
          <button type="button" onClick={act(() => exportRunJson(r))} data-testid="run-json" title="Configuration, status and every step's metrics">JSON</button>
          <button type="button" onClick={act(() => exportRunCsv(r))} data-testid="run-csv" title="One row per step">CSV</button>
          <button type="button" disabled={r.checkpointStep === null || r.status === 'running' || !!r.imported} onClick={act(() => exportRunModelZip(r.id))} data-testid="run-model-zip"
            title={r.imported ? 'an imported run has no checkpoint' : r.checkpointStep === null ? 'no checkpoint yet' : `the model of step ${r.checkpointStep} as one .zip (both ONNX towers, tokenizer, configs, sha256 manifest); the Model panel loads it back`}>Model .zip</button>
          {confirmDelete
            ? <>
                <button type="button" className="danger" onClick={act(() => deleteStoredRun(r.id))} data-testid="run-delete-confirm">Delete for good</button>
                <button type="button" onClick={() => setConfirmDelete(false)}>Keep</button>
              </>
            : <button type="button" disabled={busy && active} onClick={() => setConfirmDelete(true)} data-testid="run-delete" title="Remove the run and its checkpoint from this browser">Delete</button>}
        </div></td>
      </tr>
      {problem && <tr><td colSpan={10} className="error small" role="alert">{problem}</td></tr>}
    </>
  );
}

export function RunTable({ colors }: { colors: Map<string, string> }) {
  const runs = useRunsStore((s) => s.runs);
  const storage = useRunsStore((s) => s.storage);
  if (storage.status === 'loading') return <p className="muted">Reading the runs stored in this browser…</p>;
  if (!runs.length) return <p className="muted" data-testid="runs-empty">No runs yet: start one in the Fine-tune panel. Runs are kept in this browser.</p>;
  return (
    <table className="data-table ft-runs" data-testid="runs-table">
      <thead>
        <tr>
          <th title="Compare">⇄</th><th>Name</th><th>Method</th><th>Status</th><th className="num">Steps</th>
          <th className="num">Clean</th><th className="num">Robust</th><th>Data</th><th>Started</th><th />
        </tr>
      </thead>
      <tbody>{runs.map((r) => <RunRow key={r.id} r={r} color={colors.get(r.id) ?? null} />)}</tbody>
    </table>
  );
}
