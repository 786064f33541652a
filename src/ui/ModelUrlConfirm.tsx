/**
 * The confirmation a model download needs: shows the exact URL, whether it leaves this site, and the size cap.
 * Nothing is requested before "Download".
 */
import { useEffect, useRef, useState } from 'react';
import { useExperimentStore } from '../state/experiment';
import { useUiStore } from '../state/ui';
import { usePage } from './pageContext';

export function ModelUrlConfirm() {
  const { approveModelFetch, cachedUnder } = usePage().commands.model;
  const req = useUiStore((s) => s.modelFetchRequest);
  const request = useUiStore((s) => s.requestModelFetch);
  const setField = useExperimentStore((s) => s.setField);
  const ref = useRef<HTMLDialogElement>(null);
  const [cached, setCached] = useState<{ url: string; files: number; bytes: number } | null>(null);
  useEffect(() => {
    if (!req) return;
    let live = true;
    cachedUnder(req.resolved).then((c) => { if (live) setCached({ url: req.resolved, ...c }); }, () => undefined);
    return () => { live = false; };
  }, [req]);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (req && !d.open) d.showModal();
    if (!req && d.open) d.close();
  }, [req]);
  const decline = () => {
    request(null);
    setField('model.source', 'bundled');
  };
  return (
    <dialog ref={ref} className="confirm" aria-labelledby="model-confirm-title" data-testid="model-confirm" onCancel={(e) => { e.preventDefault(); decline(); }}>
      {req && (
        <>
          <h2 id="model-confirm-title">Download a model from this URL?</h2>
          <p>
            {req.from === 'link' ? 'The link you opened' : req.from === 'file' ? 'The imported file' : 'You'} asked for the CLIP model folder at
          </p>
          <p className="url-box" data-testid="model-confirm-url">{req.resolved}</p>
          <ul className="facts">
            <li>{req.sameOrigin ? 'It is on this site.' : <><strong>It is on another site</strong> ({new URL(req.resolved).host}), which will see the request.</>}</li>
            <li>At most <strong data-testid="model-confirm-cap">{req.maxMB} MB</strong> will be downloaded (config.json, tokenizer.json and the two ONNX towers); the download stops at the cap.</li>
            <li>Nothing has been fetched yet.</li>
            {cached && cached.url === req.resolved && cached.files > 0 && (
              <li data-testid="model-confirm-cached">
                {cached.files} file{cached.files === 1 ? '' : 's'} of this folder ({(cached.bytes / 1e6).toFixed(2)} MB) {cached.files === 1 ? 'is' : 'are'} in this browser’s model cache:
                each is checked with one HEAD request and downloaded again only if it changed.
              </li>
            )}
          </ul>
          <div className="dialog-buttons">
            <button type="button" onClick={decline}>Use the bundled model instead</button>
            <button type="button" className="primary" onClick={() => void approveModelFetch()}>Download</button>
          </div>
        </>
      )}
    </dialog>
  );
}
