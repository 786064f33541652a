/** Which model the attacks run on, and the compare slot: a fine-tuned model (a run's checkpoint) on the same images. */
import { useEffect } from 'react';
import { advIsOf, useAttackStore, type AttackEngineKind } from '../../state/attack';
import { ProbBars } from './ProbBars';
import { usePage } from '../pageContext';

const pct = (p: number | undefined) => (p === undefined ? '—' : `${(100 * p).toFixed(1)} %`);

/** The fine-tuned model's view of the clean image and of the adversarial image found on the original model. */
function CompareView() {
  const { runCompareAttack } = usePage().commands.attack;
  const c = useAttackStore((s) => s.compare);
  const names = useAttackStore((s) => s.classes.value?.names ?? []);
  const baseClean = useAttackStore((s) => s.clean);
  const single = useAttackStore((s) => s.single);
  const trueClass = useAttackStore((s) => s.trueClass);
  if (!c.clean || trueClass === null || names.length === 0) return <p className="muted small">classifying the image with the fine-tuned model…</p>;
  const r = single.status === 'done' ? single.result : null;
  const adv = advIsOf(c.adv, r?.bytes) ? c.adv : null;
  const own = c.own && c.own.imageId === c.clean.imageId && c.own.classesKey === c.clean.classesKey ? c.own : null;
  const name = (k: number) => names[k] ?? `#${k}`;
  const row = (label: string, testId: string, probs: Float32Array | undefined, pred: number | undefined) => (
    <tr data-testid={testId} data-pred={pred ?? ''} data-ptrue={probs ? probs[trueClass].toPrecision(6) : ''}>
      <th>{label}</th>
      <td>{pred === undefined ? '—' : name(pred)}</td>
      <td className="num">{pct(probs?.[trueClass])}</td>
    </tr>
  );
  return (
    <div className="compare-view" data-testid="attack-compare-view">
      <table className="data-table compact">
        <thead><tr><th /><th>predicts</th><th className="num">p({name(trueClass)})</th></tr></thead>
        <tbody>
          {row('original · clean', 'cmp-base-clean', baseClean?.probs, baseClean?.pred)}
          {row('original · adversarial', 'cmp-base-adv', r?.probs, r?.pred)}
          {row('fine-tuned · clean', 'cmp-ft-clean', c.clean.probs, c.clean.pred)}
          {row('fine-tuned · same δ (transfer)', 'cmp-ft-adv', adv?.probs, adv?.pred)}
          {row('fine-tuned · its own attack', 'cmp-ft-own', own?.probs, own?.pred)}
        </tbody>
      </table>
      {adv && r ? (
        <p className={adv.pred === trueClass ? 'note small ok-text' : 'note small warn-text'} data-testid="cmp-verdict">
          On the original model the perturbation {r.pred !== trueClass ? <>flips the prediction to {name(r.pred)}</> : <>lowers p({name(trueClass)}) to {pct(r.probs[trueClass])} without flipping it</>};
          {' '}the fine-tuned model {adv.pred === trueClass ? 'still predicts' : 'is fooled too and predicts'} {name(adv.pred)} (p({name(trueClass)}) {pct(c.clean.probs[trueClass])} → {pct(adv.probs[trueClass])}).
        </p>
      ) : <p className="muted small">Run the attack: its 8-bit adversarial image is then shown to the fine-tuned model too.</p>}
      <div className="toolbar">
        <button type="button" data-testid="cmp-attack-own" disabled={own?.status === 'running'} onClick={() => void runCompareAttack()}>
          Attack the fine-tuned model too
        </button>
        {own && <span className={own.status === 'error' ? 'error small' : 'muted small'} data-testid="cmp-own-status" data-status={own.status}>{own.status === 'done' ? `${own.describe} · ‖δ‖∞ ${own.linf255}/255 · ${own.message}` : own.message}</span>}
      </div>
      <ProbBars names={names} clean={c.clean.probs} adv={adv?.probs ?? null} trueClass={trueClass} target={single.target} testId="cmp-bars" />
    </div>
  );
}

export function ModelStrip({ onEngine }: { onEngine: (e: AttackEngineKind) => void }) {
  const { refreshCompareRuns, selectCompareRun } = usePage().commands.attack;
  const model = useAttackStore((s) => s.model);
  const engine = useAttackStore((s) => s.engine);
  const compare = useAttackStore((s) => s.compare);
  const m = model.value;
  useEffect(() => { void refreshCompareRuns(); }, []);
  return (
    <section className="card" data-testid="attack-model">
      <div className="atk-model">
        <div>
          <div className="card-head">
            <h3>Model under attack{m ? `: ${m.title}` : ''}</h3>
            {m && <span className={`badge kind-${m.kind}`} data-testid="attack-model-kind">{m.kind}</span>}
          </div>
          <p className="atk-sub">The CLIP model the attacks run on — the one the Model panel shows; its vision tower is attacked, its text tower gives the class embeddings.</p>
          {model.status === 'loading' && <p className="muted">{model.progress ?? 'loading…'}</p>}
          {model.status === 'idle' && model.progress && <p className="note">{model.progress}</p>}
          {model.status === 'error' && <p className="error" role="alert">Model: {model.error}</p>}
          {m && (
            <>
              <div className="facts-line">
                <span>from <b>{m.origin}</b></span>
                <span>input <b>{m.inputDims[0]}×{m.inputDims[1]}×{m.inputDims[2]}</b></span>
                <span>embedding <b>{m.dim}</b></span>
                <span>logit scale <b>{m.logitScale.toFixed(2)}</b></span>
              </div>
              <div className="facts-line"><span>preprocessing: {m.preprocessing}</span></div>
              {m.notes.map((n, i) => <p key={i} className={m.kind === 'random-init' && i === 0 ? 'note warn' : 'note small'}>{n}</p>)}
            </>
          )}
          <div className="toolbar">
            <label className="inline">
              Runs on{' '}
              <select value={engine} onChange={(e) => onEngine(e.target.value as AttackEngineKind)} data-testid="attack-engine">
                <option value="exec">our WGSL executor (WebGPU)</option>
                <option value="onnxruntime">onnxruntime-web (WebGPU)</option>
              </select>
            </label>
            <span className="muted small">forward and backward graphs of the vision tower from the project’s autodiff</span>
          </div>
        </div>
        <div className="atk-slot" data-testid="attack-compare-slot">
          <h4>Compare with</h4>
          <select aria-label="second model" value={compare.runId ?? 'none'} data-testid="attack-compare-select"
            onFocus={() => void refreshCompareRuns()} onChange={(e) => void selectCompareRun(e.target.value === 'none' ? null : e.target.value)}>
            <option value="none">{compare.runs.length ? 'no second model' : 'fine-tuned model — none yet'}</option>
            {compare.runs.map((r) => <option key={r.id} value={r.id}>{r.method} · {r.name} · step {r.step}</option>)}
          </select>
          <p className="muted small">
            A fine-tuning run’s checkpoint (Fine-tune panel), shown the same images: the clean one and the adversarial image the
            attack found on the original model (transfer).{compare.reason ? ` ${compare.reason}.` : ''}
          </p>
          {compare.status === 'loading' && <p className="muted small">{compare.progress}</p>}
          {compare.status === 'error' && <p className="error" role="alert">Compare: {compare.error}</p>}
          {compare.status === 'ready' && <><p className="small"><b data-testid="attack-compare-title">{compare.title}</b></p><CompareView /></>}
        </div>
      </div>
    </section>
  );
}
