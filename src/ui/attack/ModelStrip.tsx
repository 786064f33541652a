/** Which model the attacks run on (and the slot for a fine-tuned model to compare with, once fine-tuning lands). */
import { useAttackStore, type AttackEngineKind } from '../../state/attack';
import { ComingSoon } from '../ComingSoon';

export function ModelStrip({ onEngine }: { onEngine: (e: AttackEngineKind) => void }) {
  const model = useAttackStore((s) => s.model);
  const engine = useAttackStore((s) => s.engine);
  const m = model.value;
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
          <select disabled aria-label="second model" value="none">
            <option value="none">fine-tuned model — none yet</option>
          </select>
          <ComingSoon
            what="A second model slot: the same attack on a robustly fine-tuned model (AoS, TeCoA, PMG-AFT, FARE) beside this one, image by image and in batch accuracy."
            where="src/methods/" engine="fine-tuning engine"
          />
        </div>
      </div>
    </section>
  );
}
