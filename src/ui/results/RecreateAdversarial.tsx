/**
 * One picked image of a results cell, attacked again in the page (the engine Worker) on the run's committed model
 * with the table's attack settings: clean and adversarial image, the true class, the prediction on each, and
 * whether the re-created outcome agrees with the table's stored bit for that image.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import type { RecreateResult } from '../../engine/commands/results';
import type { RecreateStages } from '../../engine/resultsAttack';
import type { ResultsFile, ResultsRun } from '../../methods/results';
import { modelForRun, protocolOf } from '../../methods/resultsModels';
import { formatEps, type ImageOutcome } from '../../methods/resultsView';
import { useResultsStore, type ResultsSelection } from '../../state/results';
import { PixelCanvas } from '../attack/Canvases';
import { usePage } from '../pageContext';

const STORED: Record<ImageOutcome, string> = { robust: 'right under attack', broken: 'broken by the attack', wrong: 'wrong even clean' };

function outcomeOf(r: RecreateResult): ImageOutcome {
  return r.clean.pred !== r.trueClass ? 'wrong' : r.robust ? 'robust' : 'broken';
}

function Prediction({ label, r, p, pixels }: { label: string; r: RecreateResult; p: RecreateResult['clean']; pixels: Uint8Array }) {
  const f32 = useMemo(() => Float32Array.from(pixels, (v) => v / 255), [pixels]);
  const right = p.pred === r.trueClass;
  return (
    <figure className="res-recreate-img" data-testid={`results-recreate-${label}`} data-pred={p.pred} data-right={right}>
      <PixelCanvas pixels={f32} dims={r.dims} label={`${label} image ${r.index}`} />
      <figcaption>
        <b>{label}</b>: predicted <b>{r.classes[p.pred]}</b> ({(100 * p.probs[p.pred]).toFixed(1)} %){' '}
        <span className={right ? 'ok-text' : 'error'}>{right ? 'right' : 'wrong'}</span>
      </figcaption>
    </figure>
  );
}

export function RecreateAdversarial({ file, cell, runs, index, stored }: {
  file: ResultsFile; cell: ResultsSelection; runs: ResultsRun[]; index: number; stored: (runId: string) => ImageOutcome | null;
}) {
  const page = usePage();
  const { loadResultsModels } = page.results;
  const { recreateResultsAdversarial } = page.commands.results;
  const models = useResultsStore((s) => s.models);
  useEffect(() => { void loadResultsModels(); }, [loadResultsModels]);
  const [runId, setRunId] = useState(runs[0]?.id ?? '');
  const [stages, setStages] = useState<RecreateStages>('apgd-ce');
  const [state, setState] = useState<{ status: 'idle' | 'running' | 'done' | 'error'; progress: string | null; result: RecreateResult | null; error: string | null }>({ status: 'idle', progress: null, result: null, error: null });
  const abort = useRef<AbortController | null>(null);
  const key = `${runId}|${cell.set}|${cell.eps}|${index}|${stages}`;
  const lastKey = useRef(key);
  useEffect(() => {
    if (lastKey.current !== key) {
      lastKey.current = key;
      abort.current?.abort();
      setState({ status: 'idle', progress: null, result: null, error: null });
    }
  }, [key]);
  useEffect(() => () => abort.current?.abort(), []);
  useEffect(() => { if (!runs.some((r) => r.id === runId) && runs[0]) setRunId(runs[0].id); }, [runs, runId]);

  const protocol = useMemo(() => protocolOf(file), [file]);
  const match = models.manifest ? modelForRun(models.manifest, file, runId) : null;
  const why = cell.eps === 0 ? 'this is the clean column: there is no attack to re-create (pick an ε > 0)'
    : !protocol.ok ? protocol.reason
      : models.status === 'error' ? `the committed models could not be read: ${models.error}`
        : models.status !== 'ready' ? 'reading the committed models…'
          : match && !match.ok ? match.reason : null;
  const run = async () => {
    if (why || !match?.ok || !protocol.ok) return;
    abort.current?.abort();
    const c = new AbortController();
    abort.current = c;
    setState({ status: 'running', progress: 'starting…', result: null, error: null });
    try {
      const result = await recreateResultsAdversarial({ model: match.model, set: cell.set, eps: cell.eps, index, protocol: protocol.protocol, stages },
        { signal: c.signal, onProgress: (t) => { if (!c.signal.aborted) setState((s) => ({ ...s, progress: t })); } });
      if (!c.signal.aborted) setState({ status: 'done', progress: null, result, error: null });
    } catch (e) {
      if (!c.signal.aborted) setState({ status: 'error', progress: null, result: null, error: String((e as Error)?.message ?? e) });
    }
  };
  const p = protocol.ok ? protocol.protocol : null;
  const r = state.result, want = stored(runId);
  const got = r ? outcomeOf(r) : null;
  return (
    <div className="res-recreate" data-testid="results-recreate" data-status={state.status}>
      <h4>Re-create its adversarial example</h4>
      <div className="row small">
        <label>run{' '}
          <select value={runId} onChange={(e) => setRunId(e.target.value)} data-testid="results-recreate-run">
            {runs.map((x) => <option key={x.id} value={x.id}>{x.method}{x.seed === null ? '' : ` · seed ${x.seed}`} ({x.id})</option>)}
          </select>
        </label>
        <label>attack{' '}
          <select value={stages} onChange={(e) => setStages(e.target.value as RecreateStages)} data-testid="results-recreate-stages">
            <option value="apgd-ce">APGD-CE only (the protocol&apos;s first stage)</option>
            <option value="cascade">the whole cascade (APGD-CE → APGD-T → Square)</option>
          </select>
        </label>
        {state.status === 'running'
          ? <button type="button" onClick={() => { abort.current?.abort(); setState({ status: 'idle', progress: null, result: null, error: null }); }} data-testid="results-recreate-stop">Stop</button>
          : <button type="button" className="primary" disabled={!!why} onClick={() => void run()} data-testid="results-recreate-go">Attack image {index}</button>}
      </div>
      {why && <p className="muted small" data-testid="results-recreate-why">{why}</p>}
      {p && !why && (
        <p className="muted small">
          On the run&apos;s committed model (each file checked against the sha256 the results file records), {cell.set} image {index} at {formatEps(cell.eps)}:{' '}
          {stages === 'apgd-ce' ? `APGD-CE ${p.apgdSteps} steps × ${p.apgdRestarts} restart(s) — only the first stage of the table's cascade, so it can miss what APGD-T or Square found`
            : `APGD-CE ${p.apgdSteps} × ${p.apgdRestarts}, APGD-T on ${p.targets} targets × ${p.targetedSteps}, Square ${p.squareQueries} queries`}
          , snapped to 8 bits, protocol seed {p.seed}. The table attacked batches of images and each batch&apos;s random start depends on its position;
          here the image is alone, so its random start differs and an image near the boundary can come out differently.
        </p>
      )}
      {state.progress && <p className="small" data-testid="results-recreate-progress">{state.progress}</p>}
      {state.error && <p className="error small" role="alert" data-testid="results-recreate-error">{state.error}</p>}
      {r && got && (
        <div data-testid="results-recreate-result" data-outcome={got} data-stored={want ?? ''} data-agrees={want === got}>
          <div className="res-recreate-pair">
            <Prediction label="clean" r={r} p={r.clean} pixels={r.cleanImage} />
            {r.adversarial && r.advImage && <Prediction label="adversarial" r={r} p={r.adversarial} pixels={r.advImage} />}
          </div>
          <p className="small">
            True class <b>{r.classes[r.trueClass]}</b>.{' '}
            {r.stages.length ? `Ran: ${r.stages.map((s) => `${s.name} (${s.broke ? 'broke it' : 'held'}, ${s.evaluations} passes)`).join('; ')}. ` : r.clean.pred !== r.trueClass ? 'Wrong on the clean image: nothing to attack. ' : ''}
            {r.advImage ? `Largest change ${r.linf255}/255. ` : ''}{(r.ms / 1000).toFixed(1)} s.
          </p>
          <p className={`small ${want === got ? 'ok-text' : 'warn-text'}`} data-testid="results-recreate-verdict">
            Re-created: <b>{STORED[got]}</b>; the table stores: <b>{want ? STORED[want] : 'no outcome for this run'}</b> —{' '}
            {want === got ? 'they agree.'
              : want === 'broken' && got === 'robust' ? `they disagree: the table's attack broke it and this one did not${stages === 'apgd-ce' ? ' (only the first stage ran here; try the whole cascade)' : ''} — a re-creation on one image with another random start is weaker than, or just different from, the table's run.`
                : 'they disagree (another random start on a batch of one: the outcome of an image near the boundary can flip).'}
          </p>
        </div>
      )}
    </div>
  );
}
