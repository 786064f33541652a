import type { DataManifest } from '../../data/bundle';
import { fmtBytes, fmtInt } from '../format';

/** The bundled datasets from manifest.json; the selected one is the experiment's dataset. */
export function DatasetTable({ manifest, selected, onSelect }: { manifest: DataManifest; selected: string; onSelect: (id: string) => void }) {
  const splitNames = ['train', 'val', 'test'];
  return (
    <table className="data-table" data-testid="dataset-table">
      <thead>
        <tr>
          <th />
          <th>dataset</th><th>classes</th><th>size</th>
          {splitNames.map((s) => <th key={s} className="num">{s}</th>)}
          <th className="num">stored</th><th>licence</th>
        </tr>
      </thead>
      <tbody>
        {manifest.datasets.map((d) => {
          const bytes = Object.values(d.splits).reduce((a, s) => a + s.bytes, 0);
          return (
            <tr key={d.id} className={d.id === selected ? 'selected' : undefined} onClick={() => onSelect(d.id)}>
              <td><input type="radio" name="dataset" checked={d.id === selected} onChange={() => onSelect(d.id)} aria-label={d.name} /></td>
              <td title={d.source}><strong>{d.name}</strong></td>
              <td title={d.classes.join(', ')}>{d.classes.length}</td>
              <td>{d.channels}×{d.height}×{d.width}</td>
              {splitNames.map((s) => <td key={s} className="num">{d.splits[s] ? fmtInt(d.splits[s].count) : '—'}</td>)}
              <td className="num">{fmtBytes(bytes)}</td>
              <td className="licence">{d.licence}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
