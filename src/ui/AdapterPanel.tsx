import { useAppStore } from '../state/store';

const SHOWN_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
];

function formatLimit(v: number): string {
  if (v >= 1 << 20) return `${(v / (1 << 20)).toFixed(0)} MiB`;
  if (v >= 1 << 10 && v % 1024 === 0) return `${v / 1024} KiB`;
  return String(v);
}

export function AdapterPanel() {
  const { gpuStatus, adapter, gpuError } = useAppStore();
  return (
    <section className="panel" aria-label="adapter">
      <h2>GPU adapter</h2>
      <p className="explain">The WebGPU adapter every kernel of this page runs on, and the limits the device was created with.</p>
      <p>
        Status: <strong data-testid="gpu-status">{gpuStatus}</strong>
      </p>
      {gpuError && <p className="error" role="alert">{gpuError}</p>}
      {adapter && (
        <>
          <dl className="kv">
            <dt>Vendor</dt><dd data-testid="adapter-vendor">{adapter.vendor || '—'}</dd>
            <dt>Architecture</dt><dd>{adapter.architecture || '—'}</dd>
            <dt>Description</dt><dd>{adapter.description || adapter.device || '—'}</dd>
            <dt>Software adapter</dt><dd>{adapter.isFallbackAdapter ? 'yes (slow, everything still works)' : 'no'}</dd>
            <dt>Features</dt><dd>{adapter.features.join(', ') || '—'}</dd>
          </dl>
          <table className="limits">
            <tbody>
              {SHOWN_LIMITS.filter((k) => k in adapter.limits).map((k) => (
                <tr key={k}><td>{k}</td><td>{formatLimit(adapter.limits[k])}</td></tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
