/**
 * The robust fine-tuning settings a researcher chooses: one spec, with the names, defaults and ranges of the loop's
 * own config (`FineTuneConfig`, src/methods/config.ts, which extends it with settings the UI does not show). The
 * experiment config carries it as `fineTune`, so a path such as `fineTune.aos.lambda1` names the same thing in a
 * link, in the UI, in a run record and in the loop. React-free and store-free.
 *
 * Shared by every method, with the same defaults (not an AoS privilege): which towers train and the prompt set
 * (templates × synonyms) that class embeddings — and AoS's text groups — are made of.
 */
import { bool, enm, int, num, obj } from './spec';

/** Rows of a group the subspace kernels take (an image group: 1 + m views; a text group: templates × synonyms). */
export const MAX_GROUP_ROWS = 32;

export const METHODS = ['aos', 'tecoa', 'pmg-aft', 'fare'] as const;
export type MethodKind = (typeof METHODS)[number];

export const fineTuneSpec = obj({
  method: enm('aos', METHODS, {
    label: 'Method',
    names: { aos: 'AoS', tecoa: 'TeCoA', 'pmg-aft': 'PMG-AFT', fare: 'FARE' },
  }),
  towers: enm('both', ['vision', 'text', 'both'], {
    label: 'Towers trained', names: { vision: 'Vision only', text: 'Text only', both: 'Both' },
    help: 'The same for every method (FARE\'s loss has no text term: it trains the vision tower whatever is chosen).',
  }),
  prompts: obj({
    templates: int(8, 1, 32, { label: 'Templates', help: 'Prompt templates per class: class embeddings (every method) and AoS\'s text groups are made of templates × synonyms prompts.' }),
    synonyms: int(3, 1, 16, { label: 'Synonyms', help: 'Class-name synonyms per class in the prompt set.' }),
  }, { label: 'Prompt set' }),
  optimizer: enm('adamw', ['adamw', 'sgd'], { label: 'Optimizer', names: { adamw: 'AdamW', sgd: 'SGD + momentum' } }),
  lr: num(1e-4, 1e-8, 1, { label: 'Learning rate', step: 1e-5 }),
  textLrMultiplier: num(0.1, 0, 100, { label: 'Text LR ×', help: 'The text tower trains at learning rate × this factor.', step: 0.1 }),
  weightDecay: num(1e-4, 0, 1, { label: 'Weight decay', step: 1e-4 }),
  batchSize: int(32, 1, 4096, { label: 'Batch size' }),
  steps: int(100, 1, 1_000_000, { label: 'Training steps' }),
  evalEvery: int(10, 0, 1_000_000, { label: 'Evaluate every (steps)', help: 'Validation clean and robust accuracy every this many steps (0 = never).' }),
  attack: obj({
    eps: num(1 / 255, 0, 1, { label: 'Training ε (L∞)', help: 'Perturbation budget of the PGD attack inside each training step (pixel scale 0…1).', per255: true, step: 1 / 255 }),
    steps: int(2, 0, 100, { label: 'Training PGD steps', help: '0: the random start only.' }),
  }, { label: 'Adversarial training' }),
  aos: obj({
    lambda1: num(1, 0, 100, { label: 'λ1 adv→clean image', help: 'Weight of aligning the adversarial image subspace to the clean image subspace.', step: 0.1 }),
    lambda2: num(1, 0, 100, { label: 'λ2 image↔text', help: 'Weight of aligning image subspaces with the text subspaces of their class.', step: 0.1 }),
    lambda3: num(1, 0, 100, { label: 'λ3 adv→clean text', help: 'Weight of aligning the adversarial text subspace (attacked prompts) to the clean text subspace of its class; acts only when the text tower trains.', step: 0.1 }),
    augmentations: int(4, 0, 31, { label: 'Augmentations m', help: 'Augmented views per image: an image group has 1 + m rows.' }),
    distance: enm('residual', ['residual', 'projection', 'moment'], {
      label: 'Distance', names: { residual: 'Residual (directional)', projection: 'Projection (symmetric)', moment: 'Second moment (symmetric)' },
      help: 'Residual: how much of the moving group\'s span lies outside the target\'s, tr(P_X(I − P_Y))/n, the target fixed (adversarial → clean, image → text). Projection: ½‖P_X − P_Y‖², both sides move. Second moment: distance of the groups\' second-moment matrices.',
    }),
    ridgeFromSpectrum: bool(true, { label: 'Ridge from the spectrum', help: 'ρ = the median non-leading Gram eigenvalue of the clean image groups at step 0 (at least 0.01); else the value below.' }),
    ridge: num(0.025, 1e-8, 1, { label: 'Ridge ρ', help: 'Ridge of the projectors P = Xᵀ(XXᵀ + ρI)⁻¹X when not taken from the spectrum. The gradient of the residual distance is bounded by 1/√(nρ).', step: 1e-3 }),
    rank1: bool(false, { label: 'Rank-1 ablation', help: 'Replace each group by its mean (subspaces of rank 1).' }),
  }, { label: 'AoS' }),
  pmgAft: obj({
    alpha: num(1, 0, 100, { label: 'α (→ pre-trained)', help: 'Weight of KL(adversarial output ‖ pre-trained model on the adversarial image).', step: 0.1 }),
    beta: num(1, 0, 100, { label: 'β (→ clean)', help: 'Weight of KL(adversarial output ‖ clean output).', step: 0.1 }),
  }, { label: 'PMG-AFT' }),
  fare: obj({
    loss: enm('l2-squared', ['l2-squared', 'l2'], { label: 'Embedding loss', names: { 'l2-squared': 'squared L2 (as published)', l2: 'L2' } }),
  }, { label: 'FARE' }),
}, { label: 'Fine-tuning' });
