import { useEffect } from 'react';
import { useExperimentStore } from '../../state/experiment';
import { activeRun, useRunsStore } from '../../state/runs';
import { FieldGroup } from '../fields/SpecField';
import { LiveCharts } from '../finetune/LiveCharts';
import { RunControls } from '../finetune/RunControls';
import { RunOptionsCard } from '../finetune/RunOptionsCard';
import { QuickDemoPresetBar } from '../start/QuickDemoPresetBar';
import '../finetune/finetune.css';
import { usePage } from '../pageContext';

const METHOD_NOTES: Record<string, string> = {
  aos: 'Aligns subspaces spanned by groups of features: augmented adversarial vs clean image views (λ1), images vs the text prompts of their class (λ2), adversarial vs clean prompts of a class (λ3, when the text tower trains).',
  tecoa: 'Text-guided contrastive adversarial training: cross-entropy of adversarial images against the class text embeddings.',
  'pmg-aft': 'Adversarial cross-entropy plus KL terms keeping the adversarial output close to the pre-trained model (α) and to the clean output (β).',
  fare: 'Unsupervised: keeps the adversarial image embedding close to the original model’s clean embedding; the text tower is untouched.',
};

function MethodParams() {
  const kind = useExperimentStore((s) => s.config.fineTune.method);
  switch (kind) {
    case 'aos':
      return (
        <>
          <FieldGroup title="AoS loss weights" paths={['fineTune.aos.lambda1', 'fineTune.aos.lambda2', 'fineTune.aos.lambda3']} />
          <FieldGroup title="AoS groups and distance" paths={['fineTune.aos.augmentations', 'fineTune.aos.distance', 'fineTune.aos.ridgeFromSpectrum', 'fineTune.aos.ridge', 'fineTune.aos.rank1']} />
        </>
      );
    case 'tecoa':
      return null;
    case 'pmg-aft':
      return <FieldGroup title="PMG-AFT" paths={['fineTune.pmgAft.alpha', 'fineTune.pmgAft.beta']} />;
    case 'fare':
      return <FieldGroup title="FARE" paths={['fineTune.fare.loss']} />;
  }
}

export function FineTunePanel() {
  const { ensureRunsLoaded } = usePage().commands.runs;
  const kind = useExperimentStore((s) => s.config.fineTune.method);
  const run = useRunsStore(activeRun);
  const busy = useRunsStore((s) => s.live !== null);
  useEffect(() => { void ensureRunsLoaded(); }, []);
  return (
    <div className="stack">
      <RunControls />
      {run && <LiveCharts run={run} />}
      <details className="ft-settings" open>
        <summary>Settings of the next run</summary>
        <QuickDemoPresetBar disabled={busy} />
        <div className="columns">
          <FieldGroup title="Experiment" paths={['name', 'fineTune.method', 'seed', 'data.dataset', 'data.evalSplit']}>
            <p className="hint-block">{METHOD_NOTES[kind]}</p>
          </FieldGroup>
          <MethodParams />
          <FieldGroup title="Shared by every method" paths={['fineTune.towers', 'fineTune.prompts.templates', 'fineTune.prompts.synonyms']} />
          <FieldGroup title="Optimisation" paths={['fineTune.optimizer', 'fineTune.lr', 'fineTune.textLrMultiplier', 'fineTune.weightDecay', 'fineTune.batchSize']} />
          <FieldGroup title="Adversarial training" paths={['fineTune.attack.eps', 'fineTune.attack.steps']} />
          <FieldGroup title="Budget" paths={['fineTune.steps', 'fineTune.evalEvery', 'budget.maxMinutes', 'data.trainLimit']} />
          <RunOptionsCard />
        </div>
      </details>
    </div>
  );
}
