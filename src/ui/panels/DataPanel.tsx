import { useEffect, useState } from 'react';
import { useExperimentStore } from '../../state/experiment';
import { useResourceStore } from '../../state/resources';
import { DatasetPreview } from '../data/DatasetPreview';
import { DatasetTable } from '../data/DatasetTable';
import { FolderImport } from '../data/FolderImport';
import { SpecField } from '../fields/SpecField';
import { usePage } from '../pageContext';

export function DataPanel() {
  const { ensureManifest, showSplit } = usePage().data;
  const manifest = useResourceStore((s) => s.manifest);
  const split = useResourceStore((s) => s.split);
  const datasetId = useExperimentStore((s) => s.config.data.dataset);
  const evalSplit = useExperimentStore((s) => s.config.data.evalSplit);
  const setField = useExperimentStore((s) => s.setField);
  const [splitName, setSplitName] = useState('test');
  useEffect(() => { void ensureManifest(); }, []);
  const dataset = manifest.value?.datasets.find((d) => d.id === datasetId) ?? null;
  const splitNames = dataset ? Object.keys(dataset.splits) : [];
  const chosen = splitNames.includes(splitName) ? splitName : splitNames[splitNames.length - 1];
  useEffect(() => { if (dataset && chosen) void showSplit(dataset.id, chosen); }, [dataset, chosen]);
  return (
    <div className="stack">
      <section className="card">
        <h3>Bundled datasets</h3>
        {manifest.status === 'loading' && <p className="muted">Reading manifest.json…</p>}
        {manifest.status === 'error' && <p className="error" role="alert">{manifest.error}</p>}
        {manifest.value && <DatasetTable manifest={manifest.value} selected={datasetId} onSelect={(id) => setField('data.dataset', id)} />}
        {dataset && (
          <p className="explain small">
            <strong>{dataset.name}:</strong> {dataset.notes} Source: {dataset.source}. Horizontal flips {dataset.hflip ? 'keep' : 'do not keep'} the class.
          </p>
        )}
        <div className="inline-fields">
          <SpecField path="data.evalSplit" />
          {dataset && !dataset.splits[evalSplit] && (
            <span className="warn-text">This dataset has no such split; evaluation will use “test”.</span>
          )}
        </div>
      </section>
      {dataset && (
        <section className="card">
          <div className="card-head">
            <h3>Preview</h3>
            <div className="segmented" role="group" aria-label="split">
              {splitNames.map((s) => (
                <button key={s} type="button" className={s === chosen ? 'active' : undefined} onClick={() => setSplitName(s)} data-split={s}>
                  {s} <span className="muted">{dataset.splits[s].count}</span>
                </button>
              ))}
            </div>
          </div>
          {split.status === 'loading' && <p className="muted">{split.key}: {split.progress}</p>}
          {split.status === 'error' && <p className="error" role="alert">{split.error}</p>}
          {split.status === 'ready' && split.value && split.key === `${dataset.id}/${chosen}` && (
            <DatasetPreview key={split.key} ds={split.value} testId="preview-grid" />
          )}
        </section>
      )}
      <FolderImport />
    </div>
  );
}
