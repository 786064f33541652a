/** The browser's model cache: usage against its cap, the cap itself, and a button that empties it. */
import { useEffect, useState } from 'react';
import { useModelCacheStore } from '../../state/modelCache';
import { fmtBytes } from '../format';
import { usePage } from '../pageContext';

export function ModelCacheCard() {
  const { clearModelCache, refreshModelCache, setModelCacheCap } = usePage().commands.model;
  const c = useModelCacheStore();
  const [capMB, setCapMB] = useState<string>('');
  useEffect(() => { void refreshModelCache(); }, []);
  useEffect(() => { if (c.maxBytes) setCapMB(String(Math.round(c.maxBytes / 2 ** 20))); }, [c.maxBytes]);
  const frac = c.maxBytes ? Math.min(1, c.bytes / c.maxBytes) : 0;
  return (
    <section className="card" data-testid="model-cache">
      <div className="card-head">
        <h3>Model cache (this browser)</h3>
        <span className="badge">{c.kind === 'cache-storage' ? 'Cache Storage' : c.kind === 'memory' ? 'memory only' : '…'}</span>
      </div>
      <p className="muted small">
        URL models are stored by the sha256 of their bytes. On the next load each file is revalidated with one HEAD request
        (ETag, Last-Modified, size): unchanged files come from here, changed ones are downloaded and flagged. Every cached
        file is re-hashed when read; least recently used files are evicted beyond the cap. Models loaded from this machine
        are kept here too (by name, size and modification time), listed under "Recent local models" to reopen after a reload.
      </p>
      <div className="cache-usage">
        <progress max={1} value={frac} aria-label="cache usage" />
        <span data-testid="model-cache-usage">{fmtBytes(c.bytes)} of {fmtBytes(c.maxBytes)} · {c.blobs} file{c.blobs === 1 ? '' : 's'} · {c.sources} source{c.sources === 1 ? '' : 's'}</span>
      </div>
      <div className="field-actions">
        <label>
          cap (MiB){' '}
          <input type="number" min={1} max={65536} step={1} value={capMB} style={{ width: '7em' }} data-testid="model-cache-cap"
            onChange={(e) => setCapMB(e.target.value)} onBlur={() => void setModelCacheCap(Number(capMB))}
            onKeyDown={(e) => { if (e.key === 'Enter') void setModelCacheCap(Number(capMB)); }} />
        </label>
        <button type="button" disabled={c.busy || c.blobs === 0} onClick={() => void clearModelCache()}>Clear cache</button>
      </div>
      {c.note && <p className="note" data-testid="model-cache-note">{c.note}</p>}
      {c.error && <p className="error">{c.error}</p>}
    </section>
  );
}
