import { useUiStore } from '../state/ui';
import { PANELS } from './panels';

/** Left navigation between the panels; panels still waiting for their engine are marked "soon". */
export function Nav() {
  const panel = useUiStore((s) => s.panel);
  const setPanel = useUiStore((s) => s.setPanel);
  return (
    <nav className="sidenav" aria-label="panels">
      <ul>
        {PANELS.map((p) => (
          <li key={p.id}>
            <button
              type="button" className={p.id === panel ? 'nav-item active' : 'nav-item'} aria-current={p.id === panel ? 'page' : undefined}
              data-panel={p.id} onClick={() => setPanel(p.id)} title={p.explain}
            >
              <span className="nav-icon" aria-hidden="true">{p.icon}</span>
              <span className="nav-label">{p.title}</span>
              {!p.ready && <span className="badge soon">soon</span>}
            </button>
          </li>
        ))}
      </ul>
    </nav>
  );
}
