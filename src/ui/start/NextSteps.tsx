/** Step 3 of the guided start: where to go next, in the order a new user would try the panels, one line each. */
import type { PanelId } from '../../state/ui';
import { panelInfo } from '../panels';
import { openPanel } from './actions';

const PATH: ReadonlyArray<{ panel: PanelId; why: string }> = [
  { panel: 'attack', why: 'every attack (PGD, APGD, C&W), your own images and ε, robust accuracy of a batch' },
  { panel: 'finetune', why: 'the demo’s settings are loaded: change the method, λ’s or budget and start a real run' },
  { panel: 'subspaces', why: 'principal-angle spectra, their evolution over a run, the features in 2-D' },
  { panel: 'runs', why: 'runs kept in this browser: compare curves, export the fine-tuned model' },
  { panel: 'results', why: 'the committed table: does AoS beat the baselines? (here: no, and why)' },
  { panel: 'model', why: 'the model under study, or load another CLIP from a URL or your disk' },
];

export function NextSteps() {
  return (
    <section className="card start-step" aria-labelledby="start-next-title" data-testid="start-next">
      <p className="start-step-n" aria-hidden="true">3</p>
      <h3 id="start-next-title">Go further</h3>
      <p>Each panel does one thing fully; the left navigation reaches them all, and the address bar is always a link to what you see.</p>
      <ul className="start-path">
        {PATH.map(({ panel, why }) => (
          <li key={panel}>
            <button type="button" className="start-link" onClick={() => openPanel(panel)} data-testid={`start-go-${panel}`}>
              {panelInfo(panel).icon} {panelInfo(panel).title}
            </button>
            <span className="muted small"> — {why}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}
