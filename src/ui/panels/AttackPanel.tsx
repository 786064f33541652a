import { useEffect } from 'react';
import { ATTACKS } from '../../experiment';
import { useAttackStore } from '../../state/attack';
import { useExperimentStore } from '../../state/experiment';
import { BatchCard } from '../attack/BatchCard';
import { ClassesCard } from '../attack/ClassesCard';
import { ImagePicker } from '../attack/ImagePicker';
import { LiveView } from '../attack/LiveView';
import { ModelStrip } from '../attack/ModelStrip';
import { SettingsCard } from '../attack/SettingsCard';
import '../attack/attack.css';
import { usePage } from '../pageContext';

const NOTES: Record<string, { name: string; text: string; uses: string }> = {
  'pgd-linf': { name: 'PGD L∞', text: 'Projected gradient ascent on the cross-entropy in an L∞ ball of radius ε, sign steps of size α, a random start per restart.', uses: 'ε, α, steps, restarts' },
  'pgd-l2': { name: 'PGD L2', text: 'Projected gradient ascent in an L2 ball (ε is the L2 radius), normalised steps of size α.', uses: 'ε, α, steps, restarts' },
  'apgd-ce': { name: 'APGD-CE', text: 'Auto-PGD on the cross-entropy: adaptive step size with momentum and checkpoints; no α to tune.', uses: 'ε, steps, restarts' },
  'apgd-dlr': { name: 'APGD-DLR', text: 'Auto-PGD on the difference-of-logits-ratio loss: invariant to logit scale, exposes gradient masking.', uses: 'ε, steps, restarts' },
  cw: { name: 'C&W', text: 'Carlini–Wagner margin loss with confidence κ, optimised by PGD within ε.', uses: 'ε, α, steps, restarts, κ' },
};

function AttackNotes() {
  const type = useExperimentStore((s) => s.config.attack.type);
  return (
    <section className="card">
      <h3>The attacks</h3>
      <p className="atk-sub">What each attack does and which settings it reads (the selected one is highlighted).</p>
      <table className="data-table static">
        <tbody>
          {ATTACKS.map((a) => (
            <tr key={a} className={a === type ? 'selected' : undefined}>
              <th>{NOTES[a].name}</th>
              <td>{NOTES[a].text} <span className="muted">Uses {NOTES[a].uses}.</span></td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="hint-block">Images are in 0…1; budgets are entered in 1/255 units, as papers quote them. Every attack keeps, per image, the worst case over the clean image and every step, and its result is rounded to 8 bits and classified again.</p>
    </section>
  );
}

export function AttackPanel() {
  const { preparePlayground, setAttackEngine } = usePage().commands.attack;
  const { ensureManifest } = usePage().data;
  const model = useExperimentStore((s) => s.config.model);
  const seed = useExperimentStore((s) => s.config.seed);
  const datasetId = useExperimentStore((s) => s.config.data.dataset);
  useEffect(() => { void ensureManifest(); }, []);
  useEffect(() => { void preparePlayground({ model, seed, datasetId }); }, [model, seed, datasetId]);
  // A link's image request (opened while the panel is shown): prepare again, the engine selects it and clears it.
  const linkImage = useAttackStore((s) => s.linkImage);
  useEffect(() => { if (linkImage !== null) void preparePlayground({ model, seed, datasetId }); }, [linkImage]); // model, seed, dataset: the effect above
  return (
    <div className="stack">
      <ModelStrip onEngine={(e) => void setAttackEngine(e, { model, seed, datasetId })} />
      <div className="atk-grid-2">
        <ImagePicker />
        <div className="stack">
          <SettingsCard />
          <ClassesCard />
        </div>
      </div>
      <LiveView />
      <BatchCard />
      <AttackNotes />
    </div>
  );
}
