/** Share the experiment: copy the link, export or import the configuration as JSON (same checks as a link). */
import { useRef, useState } from 'react';
import { exportConfigJson, importConfigJson, MAX_FILE_CHARS } from '../experiment';
import { currentShareLink } from '../engine/linkSync';
import { useExperimentStore } from '../state/experiment';
import { usePage } from './pageContext';

export function ShareControls() {
  const { applyImport } = usePage().links;
  const fileRef = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<string | null>(null);
  const copy = async () => {
    const link = currentShareLink();
    try {
      await navigator.clipboard.writeText(link);
      setCopied('Link copied');
    } catch {
      // No clipboard permission (e.g. insecure context): show the link to copy by hand.
      window.prompt('Copy this link:', link);
      setCopied(null);
    }
    setTimeout(() => setCopied(null), 2000);
  };
  const exportJson = () => {
    const config = useExperimentStore.getState().config;
    const blob = new Blob([exportConfigJson(config)], { type: 'application/json' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = `${(config.name || 'experiment').replace(/[^A-Za-z0-9._-]+/g, '_')}.aos.json`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  };
  const importJson = async (file: File | undefined) => {
    if (!file) return;
    // Read at most a little more than the cap: the validator refuses anything longer anyway.
    const text = await file.slice(0, MAX_FILE_CHARS * 4 + 4).text();
    applyImport(importConfigJson(text), 'file');
    if (fileRef.current) fileRef.current.value = '';
  };
  return (
    <div className="share">
      <button type="button" onClick={() => void copy()} title="Copy a link that restores this whole experiment configuration">
        {copied ?? 'Copy link'}
      </button>
      <button type="button" onClick={exportJson} title="Download the configuration as a JSON file">Export</button>
      <button type="button" onClick={() => fileRef.current?.click()} title="Load a configuration JSON file">Import</button>
      <input
        ref={fileRef} type="file" accept="application/json,.json" hidden data-testid="import-json"
        onChange={(e) => void importJson(e.target.files?.[0])}
      />
    </div>
  );
}
