import { useAppStore } from '../state/store';
import { usePage } from './pageContext';

/** `?seed=N` replays a seed (else a fresh one); `?only=prefix` runs the checks whose names start with it. */
function runFromUrl(runSelfTest: (seed: number, only?: string) => Promise<void>): void {
  const params = new URLSearchParams(location.search);
  const s = params.get('seed'), n = s === null ? NaN : Number(s);
  const seed = Number.isInteger(n) && n >= 0 && n < 2 ** 32 ? n : (Math.random() * 2 ** 32) >>> 0;
  const only = params.get('only');
  void runSelfTest(seed, only || undefined);
}

export function SelfTestPanel() {
  const { runSelfTest } = usePage().commands.gpu;
  const { selfTestStatus, selfTestSeed, reports, selfTestTotal } = useAppStore();
  const failed = reports.filter((r) => !r.ok).length;
  const summary = {
    status: selfTestStatus,
    seed: selfTestSeed,
    passed: reports.length - failed,
    failed,
    total: selfTestTotal,
    reports,
  };
  return (
    <section className="panel wide" aria-label="self-test">
      <h2>Kernel self-test</h2>
      <p className="explain">
        Each WGSL kernel against its CPU reference on fresh random inputs (seed {selfTestSeed ?? '—'}; add
        <code>?seed=N</code> to replay).
      </p>
      <p>
        <strong data-testid="selftest-status">{selfTestStatus}</strong>{' '}
        {reports.length}/{selfTestTotal} run, {failed} failed{' '}
        <button type="button" disabled={selfTestStatus === 'running'} onClick={() => runFromUrl(runSelfTest)}>
          {selfTestStatus === 'idle' ? 'Run self-test' : 'Run again'}
        </button>
      </p>
      <table className="checks">
        <thead>
          <tr><th>check</th><th>result</th><th>max |diff|</th><th>ms</th></tr>
        </thead>
        <tbody>
          {reports.map((r) => (
            <tr key={r.name} className={r.ok ? 'ok' : 'bad'} title={r.message}>
              <td>{r.name}</td>
              <td>{r.ok ? 'pass' : 'FAIL'}</td>
              <td>{Number.isFinite(r.maxAbsErr) ? r.maxAbsErr.toExponential(2) : String(r.maxAbsErr)}</td>
              <td>{r.ms.toFixed(0)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {reports.some((r) => !r.ok) && (
        <pre className="failures">{reports.filter((r) => !r.ok).map((r) => r.message).join('\n\n')}</pre>
      )}
      <script type="application/json" id="selftest-json" data-status={selfTestStatus}>
        {JSON.stringify(summary)}
      </script>
    </section>
  );
}
