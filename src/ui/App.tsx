import { useEffect } from 'react';
import { gpuContext, runSelfTest } from '../engine/engine';
import { AdapterPanel } from './AdapterPanel';
import { SelfTestPanel } from './SelfTestPanel';

function seedFromUrl(): number {
  const s = new URLSearchParams(location.search).get('seed');
  const n = s === null ? NaN : Number(s);
  return Number.isInteger(n) && n >= 0 && n < 2 ** 32 ? n : (Math.random() * 2 ** 32) >>> 0;
}

export function App() {
  useEffect(() => {
    const params = new URLSearchParams(location.search);
    gpuContext().catch(() => undefined);
    if (params.get('selftest') !== 'off') {
      const only = params.get('only');
      void runSelfTest(seedFromUrl(), only ? (n) => n.startsWith(only) : undefined);
    }
  }, []);
  return (
    <div className="app">
      <header className="app-header">
        <h1>AoS Workbench</h1>
        <p className="tagline">Adversarially robust fine-tuning of CLIP-style models by subspace alignment, on your GPU.</p>
      </header>
      <main className="grid">
        <AdapterPanel />
        <SelfTestPanel />
      </main>
    </div>
  );
}
