/** The attack's settings (the experiment's, shared with links and exports), the attacked and target classes, Run / Stop. */
import { useId } from 'react';
import { useAttackStore } from '../../state/attack';
import { invalidUnder, useExperimentStore } from '../../state/experiment';
import { FieldGroup } from '../fields/SpecField';
import { usePage } from '../pageContext';

const NO_NAMES: string[] = [];

/** L∞ budgets papers use on natural images go up to 16/255; past it the "attack" can replace the image. */
const USUAL_MAX_LINF = 16 / 255;
/** L2 radii quoted for 224×224×3 images go up to ~4 (this scale: pixel units, images in 0…1). */
const USUAL_MAX_L2 = 4;

function ClassSelect({ label, value, onChange, names, none, testId, help }: {
  label: string; value: number | null; onChange: (v: number | null) => void; names: readonly string[]; none?: string; testId: string; help: string;
}) {
  const id = useId();
  return (
    <div className="field">
      <label title={help} htmlFor={id}>{label}</label>
      <div className="field-input">
        <select id={id} value={value ?? -1} onChange={(e) => onChange(Number(e.target.value) < 0 ? null : Number(e.target.value))} data-testid={testId} disabled={!names.length}>
          {none && <option value={-1}>{none}</option>}
          {value !== null && value >= names.length && <option value={value}>class {value} (not in the {names.length} classes)</option>}
          {names.map((n, i) => <option key={i} value={i}>{i}: {n}</option>)}
        </select>
      </div>
    </div>
  );
}

export function SettingsCard() {
  const { runSingleAttack, setTrueClass, stopAttack } = usePage().commands.attack;
  const type = useExperimentStore((s) => s.config.attack.type);
  const target = useExperimentStore((s) => s.config.attack.targetClass);
  const setField = useExperimentStore((s) => s.setField);
  const names = useAttackStore((s) => s.classes.value?.names ?? NO_NAMES);
  const trueClass = useAttackStore((s) => s.trueClass);
  const image = useAttackStore((s) => s.image);
  const clean = useAttackStore((s) => s.clean);
  const single = useAttackStore((s) => s.single);
  const busy = single.status === 'running' || single.status === 'waiting';
  const ready = !!image && !!clean && clean.imageId === image.id;
  const usesAlpha = type === 'pgd-linf' || type === 'pgd-l2' || type === 'cw';
  const eps = useExperimentStore((s) => s.config.attack.epsilon);
  const refused = useExperimentStore((s) => s.invalid);
  const blocking = invalidUnder(refused, ['attack.']);
  const l2 = type === 'pgd-l2';
  const large = eps > (l2 ? USUAL_MAX_L2 : USUAL_MAX_LINF);
  const progress = single.steps > 0 && single.at ? ((single.at.restart * (single.steps + 1) + single.at.step + 1) / (single.restarts * (single.steps + 1))) : 0;
  return (
    <div className="stack">
      <FieldGroup title="Attack settings" paths={['attack.type', 'attack.epsilon', ...(usesAlpha ? ['attack.alpha'] : []), 'attack.steps', 'attack.restarts', ...(type === 'cw' ? ['attack.cwConfidence'] : [])]}>
        <ClassSelect label="Attacked class" value={trueClass} onChange={(v) => v !== null && void setTrueClass(v)} names={names} testId="attack-true-class"
          help="The class the untargeted attack moves away from: the image's label when known, else the model's clean prediction." />
        <ClassSelect label="Target class" value={target} onChange={(v) => setField('attack.targetClass', v)} names={names} none="untargeted" testId="attack-target"
          help="A targeted attack pushes the prediction to this class." />
        {large && (
          <p className="warning-block" role="note" data-testid="attack-eps-warning">
            ε = {+(eps * 255).toFixed(2)}/255 is past the usual budgets (≤ {l2 ? `${USUAL_MAX_L2 * 255}/255 as an L2 radius` : '16/255'}): a perturbation this large can
            replace the image, so a changed prediction shows noise, not a vulnerability of the model.
          </p>
        )}
        <p className="hint-block">ε, α in 1/255 of the pixel range (for PGD L2, ε is the L2 radius); {usesAlpha ? 'α is the step size' : 'APGD adapts its own step size'}; results are rounded to 8 bits and checked again.</p>
      </FieldGroup>
      <section className="card">
        <p className="atk-sub">Runs the attack above on the selected image; the live view below updates after every step.</p>
        <div className="atk-run">
          <button type="button" className="primary" disabled={!ready || busy || blocking.length > 0} onClick={() => void runSingleAttack()} data-testid="attack-run"
            title={blocking.length ? `Fix the attack settings first: ${blocking.join('; ')}` : undefined}>Run attack</button>
          <button type="button" disabled={!busy} onClick={() => void stopAttack('single')} data-testid="attack-stop">Stop</button>
          <span className={`atk-status ${single.status === 'error' ? 'error' : single.status === 'done' ? 'done' : ''}`} data-testid="attack-status" data-status={single.status} role="status">
            {blocking.length && !busy ? `fix the attack settings first (${blocking.join('; ')})` : single.status === 'idle' ? (ready ? 'ready' : 'waiting for the model, classes and image…') : single.message}
          </span>
        </div>
        {busy && <div className="atk-progress"><div style={{ width: `${Math.round(100 * Math.min(1, progress))}%` }} /></div>}
        {single.describe && <p className="atk-describe">{single.describe}</p>}
      </section>
    </div>
  );
}
