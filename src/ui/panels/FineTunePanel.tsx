import { useExperimentStore } from '../../state/experiment';
import { ComingSoon } from '../ComingSoon';
import { FieldGroup } from '../fields/SpecField';

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
          <FieldGroup title="AoS groups and distance" paths={['method.aos.augmentations', 'method.aos.synonyms', 'method.aos.templates', 'method.aos.distance', 'method.aos.ridge', 'method.aos.rank1Ablation']} />
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
  return (
    <div className="stack">
      <div className="columns">
        <FieldGroup title="Experiment" paths={['name', 'method.kind', 'seed']}>
          <p className="hint-block">{METHOD_NOTES[kind]}</p>
        </FieldGroup>
        <MethodParams />
        <FieldGroup title="Optimisation" paths={['train.towers', 'train.optimizer', 'train.lr', 'train.textLrMultiplier', 'train.weightDecay', 'train.batchSize']} />
        <FieldGroup title="Adversarial training" paths={['train.advEpsilon', 'train.advSteps']} />
        <FieldGroup title="Budget" paths={['budget.steps', 'budget.evalEvery', 'budget.maxMinutes', 'data.trainLimit']} />
      </div>
      <ComingSoon
        what="Start, pause and stop fine-tuning on your GPU with these settings; live loss terms, learning rate, clean and robust accuracy, and checkpoints to download."
        where="src/train/" engine="training engine"
      />
    </div>
  );
}
