/**
 * A CLIP folder in the transformers.js layout from this machine: "Open folder…" (a directory picker), "Open files…"
 * (loose files, matched by name, or one model .zip: unpacked and verified in the engine Worker) or a drop (folders
 * walked). Loaded by the model loader (variants, size cap,
 * sha256, op coverage); a failed load shows the loader's message and keeps the model loaded before.
 */
import { useCallback, useEffect, useState } from 'react';
import { droppedFiles } from '../../engine/dropFiles';
import type { LocalModelRecord } from '../../models/cache';
import { formatBytes } from '../../models/source';
import type { LocalFilesInput } from '../../engine/localModel';
import type { Precision } from '../../models/variants';
import { useModelCacheStore } from '../../state/modelCache';
import { useResourceStore } from '../../state/resources';
import { usePage } from '../pageContext';

const DIR_ATTRS = { webkitdirectory: '', directory: '' } as Record<string, string>;
const PRECISION_CHOICES: Array<Precision | 'auto'> = ['auto', 'fp32', 'fp16', 'q8', 'int8', 'uint8'];

export function LocalModelLoader() {
  const { forgetLocalModel, loadLocalModel, recentLocalModels, reopenLocalModel, unloadLocalModel } = usePage().commands.model;
  const [over, setOver] = useState(false);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<{ message: string; kept: string | null } | null>(null);
  const [precision, setPrecision] = useState<Precision | 'auto'>('auto');
  const [recent, setRecent] = useState<LocalModelRecord[]>([]);
  const local = useResourceStore((s) => (s.model.status === 'ready' && s.model.value?.kind === 'local' ? s.model.value : null));
  const refresh = useCallback(() => { recentLocalModels().then(setRecent, () => setRecent([])); }, []);
  // The list follows the cache (a Clear or an eviction elsewhere changes its blob count).
  const cachedBlobs = useModelCacheStore((s) => s.blobs);
  useEffect(refresh, [refresh, cachedBlobs]);

  const run = (p: Promise<unknown>) => {
    p.then(
      () => { setBusy(null); refresh(); },
      (e: unknown) => {
        setBusy(null);
        refresh();
        const m = useResourceStore.getState().model;
        setError({ message: String((e as Error)?.message ?? e), kept: m.status === 'ready' && m.value ? m.value.title : null });
      },
    );
  };
  const load = (input: LocalFilesInput) => {
    setError(null);
    setBusy('reading the files…');
    run(loadLocalModel(input, { precision, onProgress: setBusy }));
  };
  const reopen = (id: string) => {
    setError(null);
    setBusy('reading the cached files…');
    run(reopenLocalModel(id, { precision, onProgress: setBusy }));
  };
  const onPick = (e: React.ChangeEvent<HTMLInputElement>) => {
    const files = e.target.files ? Array.from(e.target.files) : [];
    e.target.value = '';
    if (files.length) load(files);
  };

  return (
    <section className="card" data-testid="local-model">
      <h3>Model from this machine</h3>
      <p className="explain">
        A CLIP folder in the transformers.js layout: <code>onnx/vision_model.onnx</code>, <code>onnx/text_model.onnx</code>{' '}
        (or <code>onnx/model.onnx</code>; <code>_fp16</code> / <code>_quantized</code> / <code>_int8</code> / <code>_uint8</code> variants),{' '}
        <code>tokenizer.json</code>, <code>preprocessor_config.json</code>, <code>config.json</code>; or the same folder as one <code>.zip</code>{' '}
        (the Runs panel's <em>Model .zip</em> export; its files are checked against the sha256 in its manifest). Read in this browser, never uploaded; not part of shared links.
      </p>
      <div
        className={over ? 'dropzone over' : 'dropzone'} data-testid="model-drop"
        onDragOver={(e) => { e.preventDefault(); setOver(true); }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          e.preventDefault();
          setOver(false);
          void droppedFiles(e.dataTransfer).then((files) => load(files), (err: unknown) => setError({ message: `the drop could not be read: ${String((err as Error)?.message ?? err)}`, kept: null }));
        }}
      >
        <span>Drop a model folder here, or</span>
        <label className="button">
          Open folder…
          <input type="file" multiple hidden {...DIR_ATTRS} data-testid="model-folder-input" disabled={busy !== null} onChange={onPick} />
        </label>
        <label className="button">
          Open files…
          <input type="file" multiple hidden accept=".onnx,.json,.zip" data-testid="model-files-input" disabled={busy !== null} onChange={onPick} />
        </label>
        <label className="inline">
          precision{' '}
          <select value={precision} onChange={(e) => setPrecision(e.target.value as Precision | 'auto')} data-testid="model-local-precision">
            {PRECISION_CHOICES.map((p) => <option key={p} value={p}>{p === 'auto' ? 'auto (fp32, else fp16, else 8-bit)' : p}</option>)}
          </select>
        </label>
      </div>
      {busy !== null && <p className="muted" data-testid="local-model-progress">{busy}</p>}
      {error && (
        <p className="error" role="alert" data-testid="local-model-error">
          The model could not be loaded: {error.message.replace(/\.$/, '')}.{' '}
          {error.kept ? <>Still loaded: {error.kept}.</> : null}
        </p>
      )}
      {recent.length > 0 && (
        <div data-testid="local-model-recent">
          <h4>Recent local models <span className="muted small">kept in this browser's model cache: reopen without picking the files</span></h4>
          <ul className="plain">
            {recent.map((r) => (
              <li key={r.id} data-testid="local-model-recent-item" data-name={r.name}>
                <strong>{r.name}</strong>{' '}
                <span className="muted small">
                  {r.files.length} file{r.files.length === 1 ? '' : 's'}, {formatBytes(r.bytes)}, {new Date(r.savedAt).toLocaleString()}
                </span>{' '}
                <span className="muted small" title={r.files.map((f) => `${f.path}  sha256 ${f.sha256}`).join('\n')}>({r.files.map((f) => f.path.split('/').pop()).join(', ')})</span>{' '}
                <button type="button" disabled={busy !== null} onClick={() => reopen(r.id)}>Reopen</button>{' '}
                <button type="button" className="link" disabled={busy !== null} onClick={() => { void forgetLocalModel(r.id).then(refresh); }}>Forget</button>
              </li>
            ))}
          </ul>
        </div>
      )}
      {local && (
        <p className="muted small" data-testid="local-model-current">
          Current model: {local.origin}.{' '}
          <button type="button" className="link" onClick={() => { setError(null); void unloadLocalModel(); }}>back to the configured source</button>
        </p>
      )}
    </section>
  );
}
