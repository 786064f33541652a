/**
 * Step 2 of the guided start: one click applies the quick-demo preset and starts a short AoS run; the card follows
 * the run's probe snapshots — the mean principal angle between each probe image's clean and adversarial views, the
 * number the Subspaces panel shows — so the user sees the geometry move, then opens the Subspaces panel on the run.
 */
import { useEffect, useMemo, useState } from 'react';
import { QUICK_DEMO_PRESET } from '../../experiment';
import { invalidUnder, useExperimentStore } from '../../state/experiment';
import { activeRun, useRunsStore } from '../../state/runs';
import { StatusBadge } from '../finetune/StatusBadge';
import { fmtDeg, runSnapshots } from '../subspaces/data';
import { openPanel, prepareQuickDemo, runQuickDemo } from './actions';
import { PresetSettings } from './PresetSettings';
import { usePage } from '../pageContext';

const message = (e: unknown): string => String((e as Error)?.message ?? e);
/** The run's name in the preset: how this card recognises the demo run (also after a reload). */
const DEMO_NAME = String(QUICK_DEMO_PRESET.settings.find((s) => s.path === 'name')?.value ?? '');

function DemoProgress() {
  const run = useRunsStore(activeRun);
  const live = useRunsStore((s) => s.live);
  const metrics = run?.metrics;
  const snaps = useMemo(() => runSnapshots(metrics ?? []), [metrics]);
  if (!run || run.name !== DEMO_NAME) return null;
  const first = snaps[0], last = snaps[snaps.length - 1];
  const a0 = first?.meanAngles.advClean, a1 = last?.meanAngles.advClean;
  const moved = a0 !== undefined && a1 !== undefined && last !== first ? a1 - a0 : null;
  const preparing = live?.runId === run.id && live.phase === 'preparing';
  return (
    <div className="start-demo-progress" data-testid="start-demo-progress" data-status={run.status} data-step={run.step}
      data-angle0={a0} data-angle={a1} data-angle-step={last?.step} data-snapshots={snaps.length}>
      <p className="start-demo-line">
        <StatusBadge status={run.status} testId="start-demo-status" /> step <b data-testid="start-demo-step">{run.step}</b> / {run.totalSteps}
        {' · '}trained {run.trainSeconds.toFixed(0)} s
      </p>
      {preparing && <p className="muted small">{live?.note ?? 'preparing…'}</p>}
      <p className="start-demo-line" role="status" data-testid="start-demo-angle">
        Mean clean ↔ adversarial angle:{' '}
        {a0 === undefined ? <span className="muted">measuring the probe at step 0…</span> : (
          <>
            <b>{fmtDeg(a0)}</b> at step 0
            {moved !== null && <> → <b>{fmtDeg(a1)}</b> at step {last.step} (<b className={moved < 0 ? 'ok-text' : undefined}>{moved > 0 ? '+' : '−'}{fmtDeg(Math.abs(moved))}</b>)</>}
          </>
        )}
      </p>
      {snaps.length > 1 && (
        <ol className="start-snaps" aria-label="mean angle at each measured step">
          {snaps.map((s) => <li key={s.step}><span className="muted">step {s.step}</span> {fmtDeg(s.meanAngles.advClean)}</li>)}
        </ol>
      )}
      {run.error && <p className="error small" role="alert">{run.error}</p>}
      <button type="button" onClick={() => openPanel('subspaces')} disabled={!first} data-testid="start-open-subspaces">
        Open the Subspaces panel on this run →
      </button>
    </div>
  );
}

/** The demo's run being prepared while the user reads (src/engine/prepareRun.ts): one quiet line. */
function PreparationLine() {
  const p = useRunsStore((s) => s.preparation);
  if (!p) return null;
  const text = p.status === 'ready' ? `Ready (prepared in ${p.seconds.toFixed(0)} s): the gradient graphs are built, the shaders compiled and the untrained model’s angle measured, so training starts at the click.`
    : p.status === 'preparing' ? `Getting the demo ready in the background: building the gradient graphs, compiling the shaders, measuring the untrained model (${p.seconds.toFixed(0)} s so far). You can start it now; it then waits for this.`
      : `The demo could not be prepared ahead (${p.error}); it prepares when started.`;
  return <p className="muted small" data-testid="start-demo-preparation">{text}</p>;
}

export function QuickDemoCard() {
  const { fineTune } = usePage().commands;
  const live = useRunsStore((s) => s.live);
  const preparation = useRunsStore((s) => s.preparation?.status);
  const runsError = useRunsStore((s) => s.error);
  const refused = useExperimentStore((s) => s.invalid);
  const blocking = invalidUnder(refused, ['fineTune.', 'budget.', 'data.', 'model.', 'seed']);
  const [error, setError] = useState<string | null>(null);
  const busy = live !== null;
  // Opening the panel prepares the demo’s run, once per mount (the engine skips it while a run is going).
  useEffect(() => { if (!busy) void prepareQuickDemo(fineTune).catch(() => undefined); }, []);
  const start = () => {
    setError(null);
    runQuickDemo(fineTune).catch((e: unknown) => setError(message(e)));
  };
  return (
    <section className="card start-step" aria-labelledby="start-demo-title" data-testid="start-demo-card" data-prepared={preparation}>
      <p className="start-step-n" aria-hidden="true">2</p>
      <h3 id="start-demo-title">Make it robust, watch the geometry</h3>
      <p>
        <b>AoS</b> fine-tunes the model on attacked images and pulls the <b>subspace</b> spanned by an image’s adversarial
        views towards the one spanned by its clean views. The angle between the two subspaces is the number to watch: it
        shrinks as they align.
      </p>
      <button type="button" className="primary start-go" onClick={start} disabled={busy || blocking.length > 0} data-testid="start-demo-run"
        title={busy ? 'a run is in progress: pause or stop it in the Fine-tune panel first' : undefined}>
        {busy ? 'Fine-tuning…' : '▶ Run the quick demo fine-tune'}
      </button>
      {blocking.length > 0 && <p className="error small" role="alert">Fix the settings first: {blocking.join('; ')}</p>}
      {(error ?? runsError) && <p className="error small" role="alert">{error ?? runsError}</p>}
      <p className="muted small">{QUICK_DEMO_PRESET.summary} The run is kept in the Runs panel like any other.</p>
      {!busy && <PreparationLine />}
      <DemoProgress />
      <PresetSettings preset={QUICK_DEMO_PRESET} testId="start-demo-settings" />
    </section>
  );
}
