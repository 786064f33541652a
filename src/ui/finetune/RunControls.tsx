/**
 * The run card of the Fine-tune panel: what the next run will do, start / pause / resume / stop with their enabled
 * states, and the active run's status, progress bar, ETA, throughput and errors.
 */
import { canApply, runProgress } from '../../storage/runRecord';
import { invalidUnder, useExperimentStore } from '../../state/experiment';
import { activeRun, useRunsStore } from '../../state/runs';
import { FirstStepPhases } from './FirstStepPhases';
import { duration } from './series';
import { METHOD_LABEL, StatusBadge } from './StatusBadge';
import { usePage } from '../pageContext';

function NextRun() {
  const c = useExperimentStore((s) => s.config);
  const f = c.fineTune;
  const data = { 'fashion-mnist': 'Fashion-MNIST', mnist: 'MNIST', digits: 'sklearn digits' }[c.data.dataset] ?? c.data.dataset;
  return (
    <p className="ft-next" data-testid="ft-next">
      Next run: <b>{METHOD_LABEL[f.method]}</b> on <b>{data}</b> train{c.data.trainLimit ? ` (first ${c.data.trainLimit})` : ''} ·{' '}
      {f.steps} steps × batch {f.batchSize} · PGD-{f.attack.steps} ε {Number((f.attack.eps * 255).toFixed(2))}/255 ·
      {f.evalEvery > 0 ? ` validation every ${f.evalEvery} step${f.evalEvery === 1 ? '' : 's'} on ${c.data.evalSplit}` : ' no validation'} · seed {c.seed}
    </p>
  );
}

export function RunControls() {
  const { pauseRun, resumeRun, startRun, stopRun } = usePage().commands.fineTune;
  const run = useRunsStore(activeRun);
  const live = useRunsStore((s) => s.live);
  const error = useRunsStore((s) => s.error);
  const storage = useRunsStore((s) => s.storage);
  const restored = useRunsStore((s) => s.restored);
  // The note belongs to the run the reload restored: another run chosen since is not "restored".
  const restoreNote = restored && restored.runId === (run?.id ?? null) ? restored.note : null;
  const busy = live !== null;
  const mine = busy && live.runId === run?.id;
  const running = mine && run?.status === 'running';
  const canPause = running && live.phase !== 'preparing' && !live.pauseRequested && !live.stopRequested;
  const canResume = !busy && !!run && canApply(run, 'resume');
  const canStop = !!run && ((running && !live.stopRequested) || (!busy && canApply(run, 'stop') && run.status !== 'running'));
  const p = run ? runProgress(run) : null;
  const refused = useExperimentStore((s) => s.invalid);
  const blocking = invalidUnder(refused, ['fineTune.', 'budget.', 'data.', 'model.', 'seed']);
  return (
    <section className="card ft-run" data-testid="ft-run">
      <div className="card-head">
        <h3>Run</h3>
        {run && <StatusBadge status={run.status} testId="ft-status" />}
        {run && <span className="ft-run-name" data-testid="ft-run-name">{run.name}</span>}
        <span className="spacer" />
        <span className="muted small">{storage.kind === 'indexeddb' ? 'runs are saved in this browser (IndexedDB)' : storage.note ?? ''}</span>
      </div>
      <NextRun />
      {blocking.length > 0 && <p className="error small" role="alert" data-testid="ft-blocked">Fix the settings first: {blocking.join('; ')}</p>}
      <div className="ft-buttons">
        <button type="button" className="primary" data-testid="ft-start" disabled={busy || blocking.length > 0} onClick={() => void startRun()}
          title={blocking.length ? `Fix the settings first: ${blocking.join('; ')}` : 'Start a new run with the settings below'}>▶ Start new run</button>
        <button type="button" data-testid="ft-pause" disabled={!canPause} onClick={() => void pauseRun()}
          title="Pause after the step in flight; a checkpoint is kept">❚❚ Pause</button>
        <button type="button" data-testid="ft-resume" disabled={!canResume} onClick={() => void resumeRun(run?.id)}
          title="Continue from the last checkpoint">↻ Resume</button>
        <button type="button" data-testid="ft-stop" disabled={!canStop} onClick={() => void stopRun(run?.id)}
          title="End the run (its last checkpoint stays for exporting the model)">■ Stop</button>
        {live && <span className="ft-phase" data-testid="ft-phase">{live.note ?? live.phase}</span>}
      </div>
      {restoreNote && !busy && <p className="muted small" data-testid="ft-restored">{restoreNote}</p>}
      {run && <FirstStepPhases runId={run.id} />}
      {run && p && (
        <>
          <div className="ft-progress" role="progressbar" aria-valuemin={0} aria-valuemax={run.totalSteps} aria-valuenow={run.step} data-testid="ft-progress">
            <div style={{ width: `${(100 * p.fraction).toFixed(1)}%` }} />
          </div>
          <div className="ft-facts" data-testid="ft-facts">
            <span><b data-testid="ft-step">{run.step}</b> / {run.totalSteps} steps</span>
            <span>{(100 * p.fraction).toFixed(1)} %</span>
            <span>ETA <b>{run.status === 'running' ? duration(p.etaSeconds) : '–'}</b></span>
            <span><b>{p.imagesPerSecond === null ? '–' : p.imagesPerSecond.toFixed(1)}</b> img/s</span>
            <span><b>{p.passesPerSecond === null ? '–' : p.passesPerSecond.toFixed(1)}</b> vision passes/s</span>
            {run.metrics.length > 0 && <span data-testid="ft-passes" title="vision-tower passes (the budget unit) and distinct training images seen so far">
              <b>{run.metrics[run.metrics.length - 1].passes?.vision ?? '–'}</b> vision passes, <b data-testid="ft-distinct">{run.metrics[run.metrics.length - 1].distinctImages ?? '–'}</b> distinct images</span>}
            <span>trained {duration(run.trainSeconds)}</span>
            {run.backend && <span title="who runs the towers' forward and backward graphs">graphs on {run.backend === 'exec' ? 'our WGSL executor' : run.backend === 'onnxruntime' ? 'onnxruntime' : `onnxruntime (${run.backend})`}</span>}
            <span>checkpoint {run.checkpointStep === null ? 'none yet' : `at step ${run.checkpointStep} (${(run.checkpointBytes / 1e6).toFixed(1)} MB)`}</span>
          </div>
          {run.message && <p className="ft-message muted small" data-testid="ft-message">{run.message}</p>}
          {run.error && <p className="error ft-error" role="alert" data-testid="ft-run-error">{run.error}</p>}
          {run.notes.length > 0 && <ul className="ft-notes">{run.notes.map((n) => <li key={n}>{n}</li>)}</ul>}
        </>
      )}
      {!run && <p className="muted small">No run yet. Choose the method and budget below, then start: loss terms, accuracies and throughput appear here step by step.</p>}
      {error && <p className="error ft-error" role="alert" data-testid="ft-error">{error}</p>}
    </section>
  );
}
