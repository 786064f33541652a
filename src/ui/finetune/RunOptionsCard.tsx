/** How a run is watched (not what it learns): validation batch, validation attack, checkpoint interval. */
import { useRunsStore } from '../../state/runs';
import type { RunOptions } from '../../storage/runRecord';

const FIELDS: Array<{ key: keyof RunOptions; label: string; min: number; max: number; help: string }> = [
  { key: 'valImages', label: 'Validation images', min: 1, max: 512, help: 'Fixed validation batch (the evaluation split) for clean and robust accuracy.' },
  { key: 'valAttackSteps', label: 'Validation PGD steps', min: 0, max: 100, help: 'PGD L∞ steps at the training ε for the robust accuracy (worst case over every iterate).' },
  { key: 'checkpointSeconds', label: 'Checkpoint every (s)', min: 1, max: 3600, help: 'A checkpoint is also written at every pause, stop and at the end.' },
];

export function RunOptionsCard() {
  const options = useRunsStore((s) => s.options);
  const setOptions = useRunsStore((s) => s.setOptions);
  return (
    <fieldset className="field-group" data-testid="ft-options">
      <legend>Monitoring</legend>
      {FIELDS.map((f) => (
        <div className="field" key={f.key}>
          <label htmlFor={`ft-opt-${f.key}`} title={f.help}>{f.label}</label>
          <div className="field-input">
            <input
              id={`ft-opt-${f.key}`} data-testid={`ft-opt-${f.key}`} type="number" min={f.min} max={f.max} step={1} value={options[f.key]}
              onChange={(e) => {
                const v = Math.round(Number(e.target.value));
                if (Number.isFinite(v)) setOptions({ [f.key]: Math.min(f.max, Math.max(f.min, v)) });
              }}
            />
          </div>
        </div>
      ))}
      <p className="hint-block">Validation runs every “Evaluate every” steps of the budget; these settings are kept with the run.</p>
    </fieldset>
  );
}
