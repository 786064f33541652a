import { useUiStore } from '../state/ui';

/** What happened when a configuration was restored from a link or file: refused, partly rejected, or fine. */
export function ImportNotice() {
  const notice = useUiStore((s) => s.notice);
  const setNotice = useUiStore((s) => s.setNotice);
  if (!notice) return null;
  return (
    <div className={notice.ok ? 'notice ok' : 'notice warn'} role={notice.ok ? 'status' : 'alert'} data-testid="import-notice">
      <div className="notice-body">
        <strong>{notice.headline}</strong>
        {notice.lines.length > 0 && (
          <ul>{notice.lines.map((l, i) => <li key={i}><code>{l}</code></li>)}</ul>
        )}
      </div>
      <button type="button" className="icon-button" aria-label="dismiss" onClick={() => setNotice(null)}>×</button>
    </div>
  );
}
