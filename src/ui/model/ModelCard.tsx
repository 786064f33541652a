/** The model's sizes and parameter counts per tower, its ONNX graphs and the ops they use. */
import { clipDims } from '../../onnx/clip/config';
import type { ModelSummary, TowerSummary } from '../../state/resources';
import { fmtBytes, fmtCount, fmtInt } from '../format';
import { ModelFiles } from './ModelFiles';

/** How much of a tower the autodiff can differentiate (nodes after folding constants at batch 1). */
function coverage(t: TowerSummary | undefined): React.ReactNode {
  if (!t || t.notDifferentiable === undefined) return '—';
  const n = t.checkedNodes ?? t.nodes, miss = t.notDifferentiable.length;
  if (miss === 0) return <span className="ok-text" data-testid={`coverage-${t.tower}`}>all {n} nodes differentiable</span>;
  return (
    <span className="warn-text" data-testid={`coverage-${t.tower}`} title={t.notDifferentiable.join('\n')}>
      {n - miss} of {n} nodes; no gradient rule for {t.notDifferentiable.slice(0, 4).join(', ')}{miss > 4 ? ', …' : ''}
    </span>
  );
}

export function ModelCard({ m }: { m: ModelSummary }) {
  const c = m.config, d = clipDims(c);
  const vision = m.towers.find((t) => t.tower === 'vision');
  const text = m.towers.find((t) => t.tower === 'text');
  const rows: Array<[string, React.ReactNode, React.ReactNode]> = [
    ['input', `${c.channels}×${c.imageSize}×${c.imageSize} image`, `${c.text.contextLength} tokens`],
    ['tokens', `${d.numPatches} patches of ${c.patchSize}×${c.patchSize} + CLS = ${d.visionSeq}`, `vocabulary ${fmtInt(c.text.vocabSize)}`],
    ['width', c.vision.width, c.text.width],
    ['layers', c.vision.layers, c.text.layers],
    ['heads', `${c.vision.heads} × ${d.visionHeadDim}`, `${c.text.heads} × ${d.textHeadDim}`],
    ['MLP', d.visionMlp, d.textMlp],
    ['parameters', fmtCount(m.params.vision), fmtCount(m.params.text)],
    ['ONNX', vision ? `opset ${vision.opset}, ${vision.nodes} nodes, ${fmtBytes(vision.bytes)}` : '—', text ? `opset ${text.opset}, ${text.nodes} nodes, ${fmtBytes(text.bytes)}` : '—'],
    ['precision', vision?.precision ?? '—', text?.precision ?? '—'],
    ['autodiff coverage', coverage(vision), coverage(text)],
    ['inputs → outputs', vision ? `${vision.inputs.join(', ')} → ${vision.outputs.join(', ')}` : '—', text ? `${text.inputs.join(', ')} → ${text.outputs.join(', ')}` : '—'],
  ];
  return (
    <section className="card" data-testid="model-card">
      <div className="card-head">
        <h3>{m.title}</h3>
        <span className={`badge kind-${m.kind}`} data-testid="model-kind">{m.kind}</span>
      </div>
      <p className="muted small">{m.origin}</p>
      {m.notes.map((n, i) => <p key={i} className={m.kind === 'random-init' && i === 0 ? 'note warn' : 'note'}>{n}</p>)}
      <table className="kv-table">
        <thead><tr><th /><th>vision tower</th><th>text tower</th></tr></thead>
        <tbody>{rows.map(([k, v, t]) => <tr key={k}><th>{k}</th><td>{v}</td><td>{t}</td></tr>)}</tbody>
      </table>
      <dl className="kv">
        <dt>embedding</dt><dd>{c.projectionDim}-d joint space</dd>
        <dt>activation</dt><dd>{c.activation}, LayerNorm ε {c.layerNormEps}</dd>
        <dt>logit scale</dt><dd>exp({c.logitScale.toFixed(4)}) = {Math.exp(c.logitScale).toFixed(2)} (temperature {(1 / Math.exp(c.logitScale)).toFixed(4)})</dd>
        <dt>total</dt><dd data-testid="model-params">{fmtInt(m.params.total)} parameters</dd>
      </dl>
      {m.files && m.files.length > 0 && <ModelFiles files={m.files} />}
      {m.towers.map((t) => (
        <div key={t.tower} className="ops">
          <h4>{t.tower} ops</h4>
          <div className="chips">{t.ops.map(([op, n]) => <span key={op} className="chip">{op} <b>{n}</b></span>)}</div>
        </div>
      ))}
    </section>
  );
}
