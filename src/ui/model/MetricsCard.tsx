/** The bundled model's metrics.json: how it was trained and its zero-shot accuracy per dataset and split. */
import { fmtInt } from '../format';

interface Split { count?: number; top1?: number; top5?: number }
interface Metrics {
  model?: string; seed?: number; steps?: number; batch?: number; parameters?: number; trainSeconds?: number; host?: string;
  data?: { train?: string[]; images?: number; epochs?: number };
  hyper?: { lr?: number; warmup?: number; weightDecay?: number };
  zeroShot?: Record<string, Record<string, Split>>;
}

const pct = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? `${(100 * x).toFixed(1)} %` : '—');

export function MetricsCard({ metrics }: { metrics: unknown }) {
  if (!metrics || typeof metrics !== 'object') return null;
  const m = metrics as Metrics;
  const rows = Object.entries(m.zeroShot ?? {}).flatMap(([ds, splits]) =>
    typeof splits === 'object' && splits ? Object.entries(splits).map(([split, s]) => ({ ds, split, s: s ?? {} })) : []);
  return (
    <section className="card" data-testid="model-metrics">
      <div className="card-head">
        <h3>Training record (metrics.json)</h3>
        <span className="badge">{m.model ?? 'bundled'}</span>
      </div>
      <dl className="kv">
        {m.steps !== undefined && <><dt>training</dt><dd>{fmtInt(m.steps)} steps × batch {m.batch ?? '?'}{m.data?.epochs ? ` (${m.data.epochs.toFixed(1)} epochs of ${fmtInt(m.data.images ?? 0)} images)` : ''}, seed {m.seed ?? '?'}</dd></>}
        {m.data?.train && <><dt>data</dt><dd>{m.data.train.join(', ')}</dd></>}
        {m.hyper?.lr !== undefined && <><dt>optimiser</dt><dd>AdamW lr {m.hyper.lr}, warm-up {m.hyper.warmup ?? 0}, weight decay {m.hyper.weightDecay ?? 0}</dd></>}
        {m.trainSeconds !== undefined && <><dt>time</dt><dd>{(m.trainSeconds / 60).toFixed(1)} min{m.host ? ` on ${m.host}` : ''}</dd></>}
        {m.parameters !== undefined && <><dt>parameters</dt><dd>{fmtInt(m.parameters)}</dd></>}
      </dl>
      {rows.length > 0 && (
        <table className="data-table" data-testid="model-metrics-table">
          <thead><tr><th>zero-shot</th><th>split</th><th className="num">images</th><th className="num">top-1</th><th className="num">top-5</th></tr></thead>
          <tbody>{rows.map(({ ds, split, s }) => (
            <tr key={`${ds}/${split}`}><td>{ds}</td><td>{split}</td><td className="num">{s.count !== undefined ? fmtInt(s.count) : '—'}</td><td className="num">{pct(s.top1)}</td><td className="num">{pct(s.top5)}</td></tr>
          ))}</tbody>
        </table>
      )}
    </section>
  );
}
