import { useAppStore } from '../state/store';
import { useExperimentStore } from '../state/experiment';
import { useUiStore, type Theme } from '../state/ui';
import { ShareControls } from './ShareControls';

const THEMES: Theme[] = ['system', 'light', 'dark'];
const THEME_GLYPH: Record<Theme, string> = { system: '◐', light: '☀', dark: '☾' };

function GpuBadge() {
  const status = useAppStore((s) => s.gpuStatus);
  const adapter = useAppStore((s) => s.adapter);
  const cls = status === 'ready' ? 'ok' : status === 'error' || status === 'lost' ? 'bad' : 'pending';
  const name = adapter ? [adapter.vendor, adapter.architecture].filter(Boolean).join(' ') || 'adapter' : '';
  return (
    <span className={`gpu-badge ${cls}`} title={adapter?.description || undefined}>
      <span className="dot" aria-hidden="true" />WebGPU {status}{name && ` · ${name}`}{adapter?.isFallbackAdapter ? ' (software)' : ''}
    </span>
  );
}

export function Header() {
  const name = useExperimentStore((s) => s.config.name);
  const theme = useUiStore((s) => s.theme);
  const setTheme = useUiStore((s) => s.setTheme);
  const next = THEMES[(THEMES.indexOf(theme) + 1) % THEMES.length];
  return (
    <header className="topbar">
      <div className="brand">
        <span className="logo" aria-hidden="true">∠</span>
        <h1>AoS Workbench</h1>
        <span className="tagline">robust CLIP by subspace alignment</span>
      </div>
      <div className="experiment-name" title="Experiment name (edit in Fine-tune)">{name || 'untitled experiment'}</div>
      <div className="topbar-right">
        <ShareControls />
        <GpuBadge />
        <button type="button" className="icon-button" onClick={() => setTheme(next)} title={`Theme: ${theme} (switch to ${next})`} aria-label={`theme ${theme}`}>
          {THEME_GLYPH[theme]}
        </button>
      </div>
    </header>
  );
}
