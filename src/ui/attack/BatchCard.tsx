/**
 * Robust accuracy of a small batch of test images: clean vs attacked, with every image's prediction; and, when the
 * compare slot holds a fine-tuned model, the same batch and attack on it, beside the original model's numbers.
 */
import { useAttackStore, type CompareBatch } from '../../state/attack';
import { PixelCanvas } from './Canvases';
import { pct } from './draw';
import { LossChart } from './LossChart';
import { usePage } from '../pageContext';

const SIZES = [8, 12, 16];
const DEFAULT_DIMS: [number, number, number] = [1, 28, 28];

function Metric({ k, v, cls, testId, value }: { k: string; v: string; cls?: string; testId: string; value: number | null }) {
  return (
    <div className={`atk-metric ${cls ?? ''}`} data-testid={testId} data-value={value ?? ''}>
      <span className="v">{v}</span>
      <span className="k">{k}</span>
    </div>
  );
}

/** The fine-tuned model's row: run, stop, and its clean / robust / transfer accuracy on the same batch. */
function FineTunedBatch({ title, run, canRun, size, from }: { title: string; run: CompareBatch | null; canRun: boolean; size: number; from: number }) {
  const { runCompareBatchAttack, stopCompareBatchAttack } = usePage().commands.attack;
  const busy = run?.status === 'running';
  // Numbers of another batch (size or start changed since) are labelled as such rather than shown as this one's.
  const stale = run !== null && (run.size !== size || run.from !== from);
  const robust = run?.robust8bit ?? run?.robustAccuracy ?? null;
  return (
    <div className="atk-compare-batch" data-testid="attack-batch-ft">
      <h4>Fine-tuned model <span className="muted small">{title}</span></h4>
      <div className="atk-run">
        <button type="button" disabled={!canRun || busy} onClick={() => void runCompareBatchAttack()} data-testid="attack-batch-ft-run"
          title="The same attack settings and batch, run against the fine-tuned model itself (white-box)">Run on the fine-tuned model</button>
        <button type="button" disabled={!busy} onClick={() => void stopCompareBatchAttack()} data-testid="attack-batch-ft-stop">Stop</button>
        {run && <span className={`atk-status ${run.status === 'error' ? 'error' : run.status === 'done' ? 'done' : ''}`} data-testid="attack-batch-ft-status" data-status={run.status} role="status">
          {run.message}{stale ? ` (a batch of ${run.size} from image ${run.from}: run again for this one)` : ''}
        </span>}
      </div>
      {run && run.status === 'done' && (
        <div className="atk-readout">
          <Metric k="clean accuracy" v={pct(run.cleanAccuracy ?? 0)} cls="clean" testId="attack-batch-ft-clean" value={run.cleanAccuracy} />
          <Metric k={run.robust8bit !== null ? 'robust accuracy (8-bit, verified)' : 'robust accuracy'} v={pct(robust ?? 0)} cls="robust" testId="attack-batch-ft-robust" value={robust} />
          {run.transferAccuracy !== null && <Metric k="on the original model’s adversarial images (transfer)" v={pct(run.transferAccuracy)} testId="attack-batch-ft-transfer" value={run.transferAccuracy} />}
        </div>
      )}
    </div>
  );
}

export function BatchCard() {
  const { runBatchAttack, setBatchOptions, stopAttack } = usePage().commands.attack;
  const batch = useAttackStore((s) => s.batch);
  const size = useAttackStore((s) => s.batchSize);
  const from = useAttackStore((s) => s.batchFrom);
  const ds = useAttackStore((s) => s.picker.value);
  const modelReady = useAttackStore((s) => s.model.status === 'ready');
  const busy = batch.status === 'running' || batch.status === 'waiting';
  const dims = useAttackStore((s) => s.model.value?.inputDims ?? DEFAULT_DIMS);
  const names = ds?.classes ?? [];
  const robust = batch.robust8bit ?? batch.robustAccuracy;
  const compare = useAttackStore((s) => s.compare);
  const liveRobust = batch.trace.length ? batch.trace[batch.trace.length - 1].robust : null;
  return (
    <section className="card" data-testid="attack-batch">
      <h3>Robust accuracy on a batch</h3>
      <p className="atk-sub">The same attack on several test images at once (balanced over the dataset’s classes): accuracy on the clean images against accuracy under attack.</p>
      <div className="atk-run">
        <label className="inline">Images{' '}
          <select value={size} onChange={(e) => void setBatchOptions({ size: Number(e.target.value) })} disabled={busy} data-testid="attack-batch-size">
            {SIZES.map((n) => <option key={n} value={n}>{n}</option>)}
          </select>
        </label>
        <label className="inline">from image{' '}
          <input type="number" min={0} max={999} value={from} style={{ width: '5em' }} disabled={busy}
            onChange={(e) => void setBatchOptions({ from: Number(e.target.value) })} />
          {' '}of each class
        </label>
        <button type="button" className="primary" disabled={!modelReady || !ds || busy} onClick={() => void runBatchAttack()} data-testid="attack-batch-run">Run on batch</button>
        <button type="button" disabled={!busy} onClick={() => void stopAttack('batch')} data-testid="attack-batch-stop">Stop</button>
        <span className={`atk-status ${batch.status === 'error' ? 'error' : batch.status === 'done' ? 'done' : ''}`} data-testid="attack-batch-status" data-status={batch.status} role="status">
          {batch.status === 'idle' ? 'uses the attack settings above and the dataset’s classes' : batch.message}
        </span>
      </div>
      {batch.describe && <p className="atk-describe">{batch.describe} · {batch.size} images</p>}
      {compare.status === 'ready' && (batch.cleanAccuracy !== null || busy) && <h4>Original model</h4>}
      {(batch.cleanAccuracy !== null || busy) && (
        <div className="atk-readout">
          <Metric k="clean accuracy" v={batch.cleanAccuracy === null ? '—' : pct(batch.cleanAccuracy)} cls="clean" testId="attack-batch-clean" value={batch.cleanAccuracy} />
          <Metric k={batch.status === 'done' ? (batch.robust8bit !== null ? 'robust accuracy (8-bit, verified)' : 'robust accuracy') : 'robust so far'}
            v={batch.status === 'done' ? pct(robust ?? 0) : liveRobust === null ? '—' : pct(liveRobust)} cls="robust" testId="attack-batch-robust"
            value={batch.status === 'done' ? robust : null} />
          {batch.successRate !== null && <Metric k="attack success rate" v={pct(batch.successRate)} testId="attack-batch-success" value={batch.successRate} />}
          {batch.cleanAccuracy !== null && (
            <div className="atk-accbar" aria-hidden="true">
              <div className="row"><span>clean</span><div className="track"><div className="fill clean" style={{ width: pct(batch.cleanAccuracy) }} /></div><span>{Math.round(batch.cleanAccuracy * batch.size)}/{batch.size}</span></div>
              <div className="row"><span>robust</span><div className="track"><div className="fill robust" style={{ width: pct((batch.status === 'done' ? robust : liveRobust) ?? 0) }} /></div><span>{Math.round(((batch.status === 'done' ? robust : liveRobust) ?? 0) * batch.size)}/{batch.size}</span></div>
              {batch.status === 'done' && batch.robust8bit !== null && batch.robustAccuracy !== null && batch.robust8bit !== batch.robustAccuracy && (
                <span>float worst case {pct(batch.robustAccuracy)}; the 8-bit images were classified again</span>
              )}
            </div>
          )}
        </div>
      )}
      {batch.tiles.length > 0 && (
        <>
          <div className="atk-tiles" data-testid="attack-batch-tiles">
            {batch.tiles.map((t) => {
              const state = t.cleanPred !== t.label ? 'wrong' : t.advPred === t.label ? 'robust' : 'fooled';
              return (
                <figure key={t.index} className={`atk-tile ${state}`} title={`test #${t.index}: ${names[t.label]}; clean → ${names[t.cleanPred] ?? '?'}, attacked → ${names[t.advPred]}`}>
                  <PixelCanvas pixels={t.pixels} dims={dims} label={`test image ${t.index}`} />
                  <span>{names[t.label]}</span>
                  <span className="adv">→ {names[t.advPred]}</span>
                </figure>
              );
            })}
          </div>
          <div className="atk-legend">
            <span><i style={{ borderColor: 'var(--ok)' }} />still correct</span>
            <span><i style={{ borderColor: 'var(--bad)' }} />fooled by the attack</span>
            <span><i style={{ borderColor: 'var(--muted)', borderStyle: 'dashed' }} />wrong already when clean</span>
            <span>captions: label → current prediction</span>
          </div>
        </>
      )}
      {batch.trace.length > 0 && (
        <div style={{ maxWidth: 560, marginTop: 10 }}>
          <p className="atk-chart-sub">Mean objective over the batch per step (○ = clean images); dashed: robust accuracy so far (right axis).</p>
          <LossChart trace={batch.trace} evaluations={batch.status === 'stopped' && batch.trace.length > 1 ? batch.trace.length : batch.evaluations} lossLabel="mean objective" testId="attack-batch-loss"
            aux={{ label: 'robust accuracy', values: batch.trace.map((p) => p.robust) }} />
        </div>
      )}
      {batch.warnings.length > 0 && <ul className="atk-warnings">{batch.warnings.map((w, i) => <li key={i}>{w}</li>)}</ul>}
      {/* After the original model's images and chart, which are its own: the fine-tuned model's numbers. */}
      {compare.status === 'ready' && (
        <FineTunedBatch title={compare.title ?? ''} run={compare.batch} canRun={modelReady && !!ds} size={size} from={from} />
      )}
    </section>
  );
}
