/**
 * Step 1 of the guided start: one click attacks a bundled test image with PGD and the live view (the Attack panel's
 * own, below the steps) shows the image, the perturbation and the probabilities change step by step.
 */
import { useState } from 'react';
import { ATTACK_DEMO_PRESET } from '../../experiment';
import { useAttackStore } from '../../state/attack';
import { runAttackDemo } from './actions';
import { PresetSettings } from './PresetSettings';
import { usePage } from '../pageContext';

const message = (e: unknown): string => String((e as Error)?.message ?? e);

export function AttackDemoCard({ onStarted }: { onStarted: () => void }) {
  const { attack } = usePage().commands;
  const single = useAttackStore((s) => s.single);
  const model = useAttackStore((s) => s.model);
  const [error, setError] = useState<string | null>(null);
  const [preparing, setPreparing] = useState(false);
  const busy = preparing || single.status === 'running' || single.status === 'waiting';
  const start = () => {
    setError(null);
    setPreparing(true);
    onStarted();
    runAttackDemo(attack).catch((e: unknown) => setError(message(e))).finally(() => setPreparing(false));
  };
  const status = preparing && single.status === 'idle'
    ? model.status === 'ready' ? 'choosing the image…' : 'loading the bundled model (a few seconds)…'
    : single.status === 'idle' ? 'nothing run yet' : single.message;
  return (
    <section className="card start-step" aria-labelledby="start-attack-title" data-testid="start-attack-card">
      <p className="start-step-n" aria-hidden="true">1</p>
      <h3 id="start-attack-title">See an attack</h3>
      <p>
        CLIP names an image by comparing it with text prompts (“a photo of a shirt”). An <b>adversarial attack</b> nudges
        every pixel a tiny amount, in the direction that most lowers the right answer, until the model names something else.
      </p>
      <button type="button" className="primary start-go" onClick={start} disabled={busy} data-testid="start-attack-run">
        {busy ? 'Attacking…' : '▶ Attack a bundled image'}
      </button>
      <p className="small start-status" role="status" data-testid="start-attack-status" data-status={single.status}>{status}</p>
      {error && <p className="error small" role="alert">{error}</p>}
      <p className="muted small">{ATTACK_DEMO_PRESET.summary} Watch the probabilities: the true class falls, another rises.</p>
      <PresetSettings preset={ATTACK_DEMO_PRESET} testId="start-attack-settings" />
    </section>
  );
}
