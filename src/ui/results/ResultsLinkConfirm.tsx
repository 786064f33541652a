/**
 * A link's results URL, shown before anything is fetched (the model URLs' rule): the exact URL, whether it leaves
 * this site, the size cap; "Open" fetches it, "Keep the committed results" declines. Also the note when a link's cell
 * or URL could not be used.
 */
import { isSameOriginPath, resolveModelUrl } from '../../experiment';
import { MAX_RESULTS_FILE_BYTES } from '../../methods/resultsView';
import { useResultsStore } from '../../state/results';
import { usePage } from '../pageContext';

export function ResultsLinkConfirm() {
  const { declineResultsUrl, openResultsUrl } = usePage().results;
  const linkUrl = useResultsStore((s) => s.linkUrl);
  const linkNote = useResultsStore((s) => s.linkNote);
  const resolved = linkUrl ? resolveModelUrl(linkUrl, location.origin) : null;
  return (
    <>
      {linkUrl && resolved && (
        <div className="res-link-confirm" role="group" aria-labelledby="results-link-title" data-testid="results-link-confirm">
          <p id="results-link-title"><strong>The link you opened asks to show the results file at</strong></p>
          <p className="url-box" data-testid="results-link-url">{resolved}</p>
          <ul className="facts small">
            <li>{isSameOriginPath(linkUrl) ? 'It is on this site.' : <><strong>It is on another site</strong> ({new URL(resolved).host}), which will see the request (no cookies are sent).</>}</li>
            <li>At most {MAX_RESULTS_FILE_BYTES / (1024 * 1024)} MiB will be read, and the file is checked like one you pick. Nothing has been fetched yet.</li>
          </ul>
          <div className="dialog-buttons">
            <button type="button" onClick={declineResultsUrl} data-testid="results-link-decline">Keep the committed results</button>
            <button type="button" className="primary" onClick={() => void openResultsUrl(linkUrl, resolved)} data-testid="results-link-open">Open</button>
          </div>
        </div>
      )}
      {linkNote && <p className="muted small" role="status" data-testid="results-link-note">{linkNote}</p>}
    </>
  );
}
