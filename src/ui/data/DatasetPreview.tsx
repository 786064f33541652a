/** Browse a decoded dataset: class filter, per-class counts, pages of images. */
import { useMemo, useState } from 'react';
import type { ImageDataset } from '../../data/bundle';
import { fmtInt } from '../format';
import { ImageGrid } from './ImageGrid';

const PAGE = 60;

export function DatasetPreview({ ds, testId }: { ds: ImageDataset; testId: string }) {
  const [cls, setCls] = useState(-1);
  const [page, setPage] = useState(0);
  const counts = useMemo(() => {
    const c = new Array<number>(ds.classes.length).fill(0);
    for (const l of ds.labels) c[l]++;
    return c;
  }, [ds]);
  const matching = useMemo(() => {
    const out: number[] = [];
    for (let i = 0; i < ds.count; i++) if (cls < 0 || ds.labels[i] === cls) out.push(i);
    return out;
  }, [ds, cls]);
  const pages = Math.max(1, Math.ceil(matching.length / PAGE));
  const p = Math.min(page, pages - 1);
  const shown = matching.slice(p * PAGE, (p + 1) * PAGE);
  return (
    <div className="preview">
      <div className="toolbar">
        <label>
          Class{' '}
          <select value={cls} onChange={(e) => { setCls(Number(e.target.value)); setPage(0); }} data-testid={`${testId}-class`}>
            <option value={-1}>all {ds.classes.length} classes ({fmtInt(ds.count)})</option>
            {ds.classes.map((c, i) => <option key={c} value={i}>{c} ({fmtInt(counts[i])})</option>)}
          </select>
        </label>
        <span className="muted">
          {matching.length === 0 ? 'no images' : `images ${fmtInt(p * PAGE + 1)}–${fmtInt(p * PAGE + shown.length)} of ${fmtInt(matching.length)}`}
        </span>
        <span className="spacer" />
        <button type="button" disabled={p === 0} onClick={() => setPage(p - 1)} aria-label="previous page">‹</button>
        <span className="muted">{p + 1}/{pages}</span>
        <button type="button" disabled={p >= pages - 1} onClick={() => setPage(p + 1)} aria-label="next page">›</button>
      </div>
      <ImageGrid ds={ds} indices={shown} testId={testId} />
    </div>
  );
}
