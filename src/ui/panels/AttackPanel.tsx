import { useEffect } from 'react';
import { ensureManifest } from '../../engine/data';
import { ATTACKS } from '../../experiment';
import { useExperimentStore } from '../../state/experiment';
import { useResourceStore } from '../../state/resources';
import { ComingSoon } from '../ComingSoon';
import { FieldGroup } from '../fields/SpecField';

const NOTES: Record<string, { name: string; text: string; uses: string }> = {
  'pgd-linf': { name: 'PGD L∞', text: 'Projected gradient ascent on the cross-entropy in an L∞ ball of radius ε, sign steps of size α, a random start per restart.', uses: 'ε, α, steps, restarts' },
  'pgd-l2': { name: 'PGD L2', text: 'Projected gradient ascent in an L2 ball (ε is the L2 radius), normalised steps of size α.', uses: 'ε, α, steps, restarts' },
  'apgd-ce': { name: 'APGD-CE', text: 'Auto-PGD on the cross-entropy: adaptive step size with momentum and checkpoints; no α to tune.', uses: 'ε, steps, restarts' },
  'apgd-dlr': { name: 'APGD-DLR', text: 'Auto-PGD on the difference-of-logits-ratio loss: invariant to logit scale, exposes gradient masking.', uses: 'ε, steps, restarts' },
  cw: { name: 'C&W', text: 'Carlini–Wagner margin loss with confidence κ, optimised by PGD within ε.', uses: 'ε, α, steps, restarts, κ' },
};

function TargetHint() {
  const target = useExperimentStore((s) => s.config.attack.targetClass);
  const datasetId = useExperimentStore((s) => s.config.data.dataset);
  const classes = useResourceStore((s) => s.manifest.value?.datasets.find((d) => d.id === datasetId)?.classes);
  if (target === null || !classes) return null;
  return (
    <p className="hint-block">
      {target < classes.length ? <>Target: class {target} = “{classes[target]}”.</> : <span className="warn-text">The dataset has only {classes.length} classes.</span>}
    </p>
  );
}

export function AttackPanel() {
  const type = useExperimentStore((s) => s.config.attack.type);
  useEffect(() => { void ensureManifest(); }, []);
  return (
    <div className="stack">
      <div className="columns">
        <FieldGroup title="Attack settings" paths={['attack.type', 'attack.epsilon', 'attack.alpha', 'attack.steps', 'attack.restarts', 'attack.targetClass', ...(type === 'cw' ? ['attack.cwConfidence'] : [])]}>
          <TargetHint />
        </FieldGroup>
        <section className="card">
          <h3>The attacks</h3>
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
          <p className="hint-block">Images are in 0…1; budgets are entered in 1/255 units, as papers quote them.</p>
        </section>
      </div>
      <ComingSoon
        what="Attack playground: pick an image, run the attack on the model step by step, see the perturbation, the adversarial image and how the zero-shot prediction and its confidence change; robust accuracy over a split."
        where="src/attacks/" engine="attack engine"
      />
    </div>
  );
}
