/**
 * The subspace panels: principal-angle spectra of the three pairs of groups AoS aligns (clean ↔ adversarial images,
 * images ↔ text, clean ↔ adversarial text), their evolution over a fine-tuning run (heat maps), and a 2-D
 * projection of the probe's features. Data: the current model measured by src/engine/geometry.ts (no training),
 * or a run's metrics (src/state/runs.ts: `StepMetrics.geometry` snapshots, `spectra`, `probeSpectra`).
 */
import { useEffect, useMemo } from 'react';
import type { GeometrySnapshot } from '../../methods/geometry';
import { GEOMETRY_PAIRS } from '../../methods/probeSettings';
import { useGeometryStore } from '../../state/geometry';
import { activeRun, useRunsStore } from '../../state/runs';
import { HeatMap } from '../subspaces/HeatMap';
import { ProbeSettingsCard } from '../subspaces/ProbeSettingsCard';
import { ProjectionPlot } from '../subspaces/ProjectionPlot';
import { SpectrumPlot } from '../subspaces/SpectrumPlot';
import { fmtPct, hasBatchSpectra, heatData, runSnapshots, shownSource, snapshotAt } from '../subspaces/data';
import '../subspaces/subspaces.css';
import { usePage } from '../pageContext';

const fmt255 = (v: number) => `${Number((v * 255).toFixed(2))}/255`;

export function SubspacesPanel() {
  const { measureCurrentModel } = usePage().commands.geometry;
  const { ensureRunsLoaded } = usePage().commands.runs;
  const measurement = useGeometryStore((s) => s.measurement);
  const chosen = useGeometryStore((s) => s.source);
  const step = useGeometryStore((s) => s.step);
  const heatSource = useGeometryStore((s) => s.heatSource);
  const heatScale = useGeometryStore((s) => s.heatScale);
  const settings = useGeometryStore((s) => s.settings);
  const patch = useGeometryStore((s) => s.patch);
  const run = useRunsStore(activeRun);
  const live = useRunsStore((s) => s.live);
  useEffect(() => { void ensureRunsLoaded(); }, []);

  const metrics = run?.metrics ?? [];
  const snaps = useMemo(() => runSnapshots(metrics), [metrics]);
  const liveHere = !!live && !!run && live.runId === run.id && live.phase !== 'idle';
  const source = shownSource({ chosen, hasRun: !!run, runLive: liveHere, runSnapshots: snaps.length, measured: !!measurement.snapshot });
  const showRun = source === 'run' && !!run;
  const snap: GeometrySnapshot | null = showRun ? snapshotAt(snaps, step) : measurement.snapshot;
  const reference = showRun ? snaps[0] ?? null : null;
  const batchAvailable = hasBatchSpectra(run?.method, metrics);
  const heatFrom = batchAvailable ? heatSource : 'probe';
  const heat = useMemo(() => Object.fromEntries(GEOMETRY_PAIRS.map((p) => [p, heatData(metrics, heatFrom, p)])) as Record<(typeof GEOMETRY_PAIRS)[number], ReturnType<typeof heatData>>, [metrics, heatFrom]);
  const busy = measurement.status === 'running';
  const names = snap ? snap.labels.map((c) => snap.classNames[c] ?? String(c)) : [];

  return (
    <div className="stack ss-panel">
      <section className="card ss-toolbar">
        <div className="toolbar">
          <span className="muted">Show</span>
          <div className="segmented" role="group" aria-label="what to show">
            <button type="button" className={source === 'model' ? 'active' : ''} onClick={() => patch({ source: 'model' })} data-testid="ss-source-model" aria-pressed={source === 'model'}>Current model</button>
            <button type="button" className={source === 'run' ? 'active' : ''} onClick={() => patch({ source: 'run', step: null })} disabled={!run} data-testid="ss-source-run" aria-pressed={source === 'run'}
              title={run ? (chosen === null ? 'shown by default while the run trains' : undefined) : 'no fine-tuning run in this browser yet (Fine-tune panel)'}>
              Fine-tuning run{run ? `: ${run.name}` : ''}
            </button>
          </div>
          {showRun && snaps.length > 0 && (
            <label className="ss-step">
              <span className="muted">step</span>
              <input
                type="range" min={0} max={snaps.length - 1} value={Math.max(0, snaps.indexOf(snap!))} data-testid="ss-step"
                onChange={(e) => { const i = Number(e.target.value); patch({ step: i === snaps.length - 1 ? null : snaps[i].step }); }}
              />
              <strong>{snap?.step}</strong>
              <span className="muted small" data-testid="ss-follows">of {snaps.map((s) => s.step).join(', ')}{step === null && liveHere ? ' · follows the live run' : ''}</span>
            </label>
          )}
          <span className="spacer" />
          <button type="button" className="primary" onClick={() => void measureCurrentModel()} disabled={busy} data-testid="ss-measure">
            {busy ? 'Measuring…' : 'Measure the current model'}
          </button>
        </div>
        <p className="small ss-status" data-testid="ss-status" role="status">
          {busy && <span>{measurement.note}</span>}
          {measurement.status === 'error' && <span className="error">Measurement failed: {measurement.error}</span>}
          {!busy && measurement.status !== 'error' && !snap && (showRun
            ? <span className="muted">This run has no geometry snapshot yet: runs measure the probe at step 0 and every {useGeometryStore.getState().every} steps.</span>
            : <span className="muted">Measure the model the workbench shows (no training): its spectra and projection appear below. Runs measure the same probe as they train.</span>)}
          {!busy && snap && (
            <span data-testid="ss-summary">
              {showRun
                ? <>Run <strong>{run!.name}</strong> ({run!.method.toUpperCase()}, {run!.status}) at step <strong>{snap.step}</strong></>
                : <><strong>{measurement.model?.title}</strong>, before any fine-tuning</>}
              {' · '}{snap.images} {measurement.data?.name ?? ''} training image{snap.images === 1 ? '' : 's'} ({names.join(', ')}) × {snap.views} views
              {' · '}{snap.perClass} prompts per class
              {' · '}probe accuracy <strong>{fmtPct(snap.accuracy.clean)}</strong> clean → <strong>{fmtPct(snap.accuracy.adversarial)}</strong> under PGD {fmt255(settings.eps)}
              {snap.seconds !== undefined && <span className="muted"> · measured in {snap.seconds.toFixed(1)} s</span>}
            </span>
          )}
        </p>
      </section>

      <div className="ss-spectra">
        {GEOMETRY_PAIRS.map((p) => <SpectrumPlot key={p} pair={p} snap={snap} reference={reference} />)}
      </div>

      <section className="card" data-testid="ss-evolution">
        <div className="card-head">
          <h3>Evolution over training</h3>
          <span className="spacer" />
          <div className="segmented" role="group" aria-label="colour range">
            <button type="button" className={heatScale === 'change' ? 'active' : ''} onClick={() => patch({ heatScale: 'change' })} data-testid="ss-heat-change" title="each angle minus the same angle at the first measured step: blue = smaller (aligning), red = larger">change from step 0</button>
            <button type="button" className={heatScale === 'fit' ? 'active' : ''} onClick={() => patch({ heatScale: 'fit' })} data-testid="ss-heat-fit" title="colours over each map's own range: small changes become visible">fit range</button>
            <button type="button" className={heatScale === 'angle' ? 'active' : ''} onClick={() => patch({ heatScale: 'angle' })} data-testid="ss-heat-angle">0–90°</button>
          </div>
          {batchAvailable && (
            <div className="segmented" role="group" aria-label="heat map source">
              <button type="button" className={heatFrom === 'probe' ? 'active' : ''} onClick={() => patch({ heatSource: 'probe' })}>probe</button>
              <button type="button" className={heatFrom === 'batch' ? 'active' : ''} onClick={() => patch({ heatSource: 'batch' })} data-testid="ss-heat-batch">training batches</button>
            </div>
          )}
        </div>
        <p className="ss-explain-line">
          Each column is one measured step of the active run{run ? ` (${run.name})` : ''}, each row one principal angle. Colour, as each map's legend says: the change of each angle from the first measured step (blue: smaller, the subspaces align), or the angle over the map's own range or over 0–90° (darker: more aligned).
          {batchAvailable && ' “probe”: the fixed probe at step 0 and every few steps; “training batches”: the groups of every AoS step.'}
        </p>
        {run ? (
          <div className="ss-heats">
            {GEOMETRY_PAIRS.map((p) => (
              <HeatMap key={p} pair={p} data={heat[p]} selected={showRun ? snap?.step ?? null : null} onPick={heatFrom === 'probe' ? (s) => patch({ source: 'run', step: s }) : undefined} scale={heatScale} />
            ))}
          </div>
        ) : (
          <p className="muted ss-empty">No fine-tuning run yet. Start one in the Fine-tune panel: a column appears here for every measured step.</p>
        )}
      </section>

      <section className="card" data-testid="ss-projection-card">
        <div className="card-head">
          <h3>Features in 2-D</h3>
        </div>
        <p className="ss-explain-line">Clean images, their augmentations and adversarial views, and the class prompts, in one fixed plane: watch the groups move together as training aligns them.</p>
        <ProjectionPlot snap={snap} />
      </section>

      <ProbeSettingsCard busy={busy} />
    </div>
  );
}
