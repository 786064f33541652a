import { useEffect } from 'react';
import { useUiStore, type PanelId, type Theme } from '../state/ui';
import { Header } from './Header';
import { ImportNotice } from './ImportNotice';
import { ModelUrlConfirm } from './ModelUrlConfirm';
import { Nav } from './Nav';
import { panelInfo } from './panels';
import { CrashProbe, PanelErrorBoundary } from './PanelErrorBoundary';
import { AttackPanel } from './panels/AttackPanel';
import { DataPanel } from './panels/DataPanel';
import { FineTunePanel } from './panels/FineTunePanel';
import { ModelPanel } from './panels/ModelPanel';
import { ResultsPanel } from './panels/ResultsPanel';
import { RunsPanel } from './panels/RunsPanel';
import { SelfTestView } from './panels/SelfTestView';
import { StartPanel } from './panels/StartPanel';
import { SubspacesPanel } from './panels/SubspacesPanel';
import { usePage } from './pageContext';

const VIEWS: Record<PanelId, () => React.ReactNode> = {
  start: StartPanel,
  model: ModelPanel,
  data: DataPanel,
  attack: AttackPanel,
  finetune: FineTunePanel,
  subspaces: SubspacesPanel,
  runs: RunsPanel,
  results: ResultsPanel,
  selftest: SelfTestView,
};

const THEME_KEY = 'aos-workbench-theme';

function useTheme(): void {
  const theme = useUiStore((s) => s.theme);
  useEffect(() => {
    const saved = localStorage.getItem(THEME_KEY);
    if (saved === 'light' || saved === 'dark' || saved === 'system') useUiStore.getState().setTheme(saved as Theme);
  }, []);
  useEffect(() => {
    if (theme === 'system') delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = theme;
    localStorage.setItem(THEME_KEY, theme);
  }, [theme]);
}

export function App() {
  const { acquireGpu } = usePage().commands.gpu;
  const { links } = usePage();
  useEffect(() => {
    acquireGpu().catch(() => undefined);
    return links.start();
  }, []);
  useTheme();
  const panel = useUiStore((s) => s.panel);
  const info = panelInfo(panel);
  const View = VIEWS[panel];
  // The skip link moves focus itself: following "#main" would replace the fragment, which carries the experiment.
  const skip = (e: React.MouseEvent) => {
    e.preventDefault();
    document.getElementById('main')?.focus();
  };
  return (
    <div className="shell">
      <a className="skip-link" href="#main" onClick={skip} data-testid="skip-link">Skip to the {info.title} panel</a>
      <Header />
      <Nav />
      <main id="main" tabIndex={-1} className="content" data-testid={`panel-${panel}`}>
        <ImportNotice />
        <div className="panel-head">
          <h2>{info.title}</h2>
          <p className="explain">{info.explain}</p>
        </div>
        <PanelErrorBoundary key={panel} panel={panel} onLeave={() => useUiStore.getState().setPanel('model')}>
          <CrashProbe panel={panel} />
          <View />
        </PanelErrorBoundary>
      </main>
      <ModelUrlConfirm />
    </div>
  );
}
