/**
 * The self-test panel: the adapter and the kernel self-checks. Opening it runs the checks once (unless the page
 * was opened with `?selftest=off`); `?selftest=run` opens it at start. `?seed=N` replays a seed, `?only=prefix`
 * runs a subset.
 */
import { useEffect } from 'react';
import { runSelfTest } from '../../engine/engine';
import { useAppStore } from '../../state/store';
import { AdapterPanel } from '../AdapterPanel';
import { SelfTestPanel } from '../SelfTestPanel';

function seedFromUrl(): number {
  const s = new URLSearchParams(location.search).get('seed');
  const n = s === null ? NaN : Number(s);
  return Number.isInteger(n) && n >= 0 && n < 2 ** 32 ? n : (Math.random() * 2 ** 32) >>> 0;
}

export function SelfTestView() {
  useEffect(() => {
    const params = new URLSearchParams(location.search);
    if (params.get('selftest') === 'off' || useAppStore.getState().selfTestStatus !== 'idle') return;
    const only = params.get('only');
    void runSelfTest(seedFromUrl(), only ? (n) => n.startsWith(only) : undefined);
  }, []);
  return (
    <div className="selftest-grid">
      <AdapterPanel />
      <SelfTestPanel />
    </div>
  );
}
