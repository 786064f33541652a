/** The files of the loaded model: size, sha256, and whether they came from the browser's cache, were downloaded, or are local. */
import type { ModelFileInfo } from '../../state/resources';
import { fmtBytes } from '../format';

function origin(f: ModelFileInfo): { text: string; cls: string } {
  if (f.from === 'bundled') {
    if (f.expectedSha256 === undefined || f.expectedSha256 === null) return { text: 'bundled with the app', cls: 'muted' };
    return f.expectedSha256 === f.sha256 ? { text: 'bundled · matches metrics.json', cls: 'ok-text' } : { text: 'bundled · differs from metrics.json', cls: 'warn-text' };
  }
  if (f.from === 'local') {
    return f.status === 'changed' ? { text: `local file · changed since cached (was ${f.previousHash?.slice(0, 8)}…)`, cls: 'warn-text' } : { text: 'local file', cls: 'muted' };
  }
  if (f.from === 'cache') return { text: 'from cache', cls: 'ok-text' };
  switch (f.status) {
    case 'changed': return { text: `downloaded · changed (was ${f.previousHash?.slice(0, 8)}…)`, cls: 'warn-text' };
    case 'corrupted': return { text: 'downloaded again · cached copy was corrupted', cls: 'warn-text' };
    case 'unchanged': return { text: 'downloaded · same bytes as cached', cls: '' };
    default: return { text: 'downloaded', cls: '' };
  }
}

export function ModelFiles({ files }: { files: ModelFileInfo[] }) {
  const total = files.reduce((a, f) => a + f.bytes, 0);
  const cached = files.filter((f) => f.from === 'cache').length;
  return (
    <div className="model-files">
      <h4>files <span className="muted small">{files.length} files, {fmtBytes(total)}{files[0]?.from === 'cache' || files[0]?.from === 'network' ? ` · ${cached} from cache, ${files.length - cached} downloaded` : ''}</span></h4>
      <table className="data-table" data-testid="model-files">
        <thead><tr><th>file</th><th className="num">size</th><th>sha256</th><th>source</th></tr></thead>
        <tbody>
          {files.map((f) => {
            const o = origin(f);
            return (
              <tr key={f.name} data-file={f.name} data-from={f.from} data-status={f.status ?? ''}>
                <td><code>{f.name}</code></td>
                <td className="num">{fmtBytes(f.bytes)}</td>
                <td><code title={f.sha256}>{f.sha256.slice(0, 16)}…</code></td>
                <td className={o.cls} title={f.message}>{o.text}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
