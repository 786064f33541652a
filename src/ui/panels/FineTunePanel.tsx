import { useEffect } from 'react';
import { ensureRunsLoaded } from '../../engine/commands/runs';
import { useExperimentStore } from '../../state/experiment';
import { activeRun, useRunsStore } from '../../state/runs';
import { FieldGroup } from '../fields/SpecField';
import { LiveCharts } from '../finetune/LiveCharts';
import { RunControls } from '../finetune/RunControls';
import { RunOptionsCard } from '../finetune/RunOptionsCard';
import '../finetune/finetune.css';

const METHOD_NOTES: Record<string, string> = {
  aos: 'Aligns subspaces spanned by groups of features: augmented adversarial vs clean image views (λ1), images vs the text prompts of their class (λ2), adversarial vs clean prompts of a class (λ3, when the text tower trains).',
  tecoa: 'Text-guided contrastive adversarial training: cross-entropy of adversarial images against the class text embeddings.',
  'pmg-aft': 'Adversarial cross-entropy plus KL terms keeping the adversarial output close to the pre-trained model (α) and to the clean output (β).',
  fare: 'Unsupervised: keeps the adversarial image embedding close to the original model’s clean embedding; the text tower is untouched.',
};

function MethodParams() {
  const kind = useExperimentStore((s) => s.config.method.kind);
  switch (kind) {
    case 'aos':
      return (
        <>
          <FieldGroup title="AoS loss weights" paths={['method.aos.lambda1', 'method.aos.lambda2', 'method.aos.lambda3']} />
          <FieldGroup title="AoS groups and distance" paths={['method.aos.augmentations', 'method.aos.synonyms', 'method.aos.templates', 'method.aos.distance', 'method.aos.ridgeFromSpectrum', 'method.aos.ridge', 'method.aos.rank1Ablation']} />
        </>
      );
    case 'tecoa':
      return <FieldGroup title="TeCoA" paths={['method.tecoa.promptEnsemble']} />;
    case 'pmg-aft':
      return <FieldGroup title="PMG-AFT" paths={['method.pmgAft.alpha', 'method.pmgAft.beta']} />;
    case 'fare':
      return <FieldGroup title="FARE" paths={['method.fare.loss']} />;
  }
}

export function FineTunePanel() {
  const kind = useExperimentStore((s) => s.config.method.kind);
  const run = useRunsStore(activeRun);
  useEffect(() => { void ensureRunsLoaded(); }, []);
  return (
    <div className="stack">
      <RunControls />
      {run && <LiveCharts run={run} />}
      <details className="ft-settings" open>
        <summary>Settings of the next run</summary>
        <div className="columns">
          <FieldGroup title="Experiment" paths={['name', 'method.kind', 'seed', 'data.dataset', 'data.evalSplit']}>
            <p className="hint-block">{METHOD_NOTES[kind]}</p>
          </FieldGroup>
          <MethodParams />
          <FieldGroup title="Optimisation" paths={['train.towers', 'train.optimizer', 'train.lr', 'train.textLrMultiplier', 'train.weightDecay', 'train.batchSize']} />
          <FieldGroup title="Adversarial training" paths={['train.advEpsilon', 'train.advSteps']} />
          <FieldGroup title="Budget" paths={['budget.steps', 'budget.evalEvery', 'budget.maxMinutes', 'data.trainLimit']} />
          <RunOptionsCard />
        </div>
      </details>
    </div>
  );
}
