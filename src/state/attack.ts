/**
 * Run state of the attack playground (src/engine/attack.ts writes it; the Attack panel reads it): the model the
 * attacks run on, the class prompts, the chosen image and its clean prediction, the live single-image attack and the
 * batch robust-accuracy run. Pixel arrays are [C, H, W] floats in [0, 1] at the model's input size.
 */
import { create } from 'zustand';
import type { ImageDataset } from '../data/bundle';
import { idle, type Load } from './resources';

/** Who runs the ONNX graphs of the towers. */
export type AttackEngineKind = 'exec' | 'onnxruntime';

/** Model slots: the model under study, and (once fine-tuning lands) a fine-tuned one to compare with. */
export type ModelSlot = 'base' | 'finetuned';

export interface AttackModelInfo {
  slot: ModelSlot;
  /** The resource store's model key it was built from. */
  key: string;
  kind: 'bundled' | 'random-init' | 'remote' | 'local';
  title: string;
  origin: string;
  /** What the user must know about it (random weights, where preprocessing comes from…). */
  notes: string[];
  /** [C, H, W] of the vision tower's input. */
  inputDims: [number, number, number];
  /** Embedding width. */
  dim: number;
  /** s in logits = s · cos. */
  logitScale: number;
  /** One line: resize, crop, normalisation. */
  preprocessing: string;
  engine: AttackEngineKind;
}

export interface ClassSet {
  source: 'dataset' | 'custom';
  names: string[];
  /** Prompts averaged per class. */
  promptsPerClass: number;
  /** An example prompt of the first class. */
  example: string;
}

export interface PlayImage {
  /** Changes with every selection. */
  id: number;
  origin: 'dataset' | 'file';
  /** "Fashion-MNIST test #12" or the file name. */
  name: string;
  datasetId?: string;
  index?: number;
  /** Class name of the image when known (dataset images). */
  label: string | null;
  /** [C, H, W] in [0, 1], on the 8-bit grid. */
  pixels: Float32Array;
  dims: [number, number, number];
  /** How it was brought to the model's input (resize, crop, grey). */
  note: string | null;
}

export interface TracePoint {
  /** Evaluation number (0 = the clean image). */
  i: number;
  restart: number;
  /** -1 = clean. */
  step: number;
  /** Mean objective (the attack maximises it). */
  loss: number;
  /** Worst-case accuracy so far. */
  robust: number;
  /** Single image: probability of the true class at this point. */
  pTrue?: number;
}

export type RunStatus = 'idle' | 'waiting' | 'running' | 'done' | 'stopped' | 'error';

export interface SingleResult {
  /** The kept adversarial image on the 8-bit grid, [C, H, W] bytes: exactly what the PNG holds. */
  bytes: Uint8Array;
  pixels: Float32Array;
  /** Probabilities of a fresh forward pass on the 8-bit image. */
  probs: Float32Array;
  pred: number;
  /** Goal reached by the 8-bit image (untargeted: pred ≠ true class; targeted: pred = target). */
  success: boolean;
  /** ‖δ‖∞ in 1/255 units and ‖δ‖₂ in pixel units, of the 8-bit image. */
  linf255: number;
  l2: number;
  /** The clean image already reached the goal (misclassified, or already the target): the kept point is the clean image. */
  alreadyAtGoal: boolean;
  /** Samples lost by rounding to 8 bits (0 or 1). */
  lostBySnapping: number;
  /** Budget check of the 8-bit image (true = inside ε). */
  withinBudget: boolean;
  warnings: string[];
  ms: number;
  evaluations: number;
}

export interface SingleRun {
  status: RunStatus;
  message: string | null;
  /** One-line description of the attack that runs or ran. */
  describe: string;
  /** Run settings (for the charts and the verification line). */
  eps: number;
  norm: 'linf' | 'l2';
  steps: number;
  restarts: number;
  trueClass: number;
  target: number | null;
  /** The image id the run belongs to. */
  imageId: number;
  trace: TracePoint[];
  /** The point evaluated last: [C, H, W] and its probabilities. */
  current: Float32Array | null;
  currentProbs: Float32Array | null;
  /** restart, step of `current`. */
  at: { restart: number; step: number } | null;
  result: SingleResult | null;
}

export interface BatchTile {
  index: number;
  label: number;
  cleanPred: number;
  /** Current (live) or final prediction. */
  advPred: number;
  /** [C, H, W]: current or final adversarial image. */
  pixels: Float32Array;
}

export interface BatchRun {
  status: RunStatus;
  message: string | null;
  describe: string;
  size: number;
  /** Evaluations the whole run makes (clean included): the loss chart's x range. */
  evaluations: number;
  trace: TracePoint[];
  tiles: BatchTile[];
  cleanAccuracy: number | null;
  /** Worst case over the attack's float iterates. */
  robustAccuracy: number | null;
  /** Re-verified on the 8-bit images. */
  robust8bit: number | null;
  successRate: number | null;
  ms: number | null;
  warnings: string[];
}

/** A fine-tuning run whose weights can be compared (a checkpoint is stored, the run is not running). */
export interface CompareRunOption {
  id: string;
  name: string;
  method: string;
  step: number;
}

/** Probabilities of one model on one image against the current classes. */
export interface CompareProbs {
  imageId: number;
  classesKey: string;
  probs: Float32Array;
  pred: number;
}

/**
 * The compare slot: a fine-tuned model (from a run's checkpoint) evaluated on the same images as the model under
 * attack — the clean image, and the adversarial image found on the original model (transfer).
 */
export interface CompareState {
  runs: CompareRunOption[];
  /** Why the list is empty, or how many there are. */
  reason: string;
  runId: string | null;
  status: 'idle' | 'loading' | 'ready' | 'error';
  error: string | null;
  progress: string | null;
  /** "TeCoA · run name · step N". */
  title: string | null;
  clean: CompareProbs | null;
  /** On the kept adversarial image of the single attack (found on the original model). */
  adv: (CompareProbs & { resultOf: Uint8Array }) | null;
  /** The same attack run against the fine-tuned model itself (white-box), on demand. */
  own: CompareOwnAttack | null;
  /** Batch robust accuracy of the fine-tuned model (the batch card's settings), on demand. */
  batch: CompareBatch | null;
}

/** The fine-tuned model's batch run: its clean and robust accuracy beside the original model's (BatchCard). */
export interface CompareBatch {
  status: 'running' | 'done' | 'stopped' | 'error';
  message: string;
  describe: string;
  size: number;
  /** Position of the batch in each class's test images, and the test indices attacked. */
  from: number;
  indices: number[];
  cleanAccuracy: number | null;
  /** Worst case over the attack (float), and after rounding the adversarial images to 8 bits. */
  robustAccuracy: number | null;
  robust8bit: number | null;
  /** On the original model's kept 8-bit adversarial batch (transfer); null when that batch was another one. */
  transferAccuracy: number | null;
}

/**
 * Whether the compare slot's adversarial probabilities are those of `bytes` (the single attack's kept image). By
 * value, not identity: the engine Worker and the page each hold their own copy of the arrays (src/engine/bridge).
 */
export function advIsOf(adv: { resultOf: Uint8Array } | null, bytes: Uint8Array | null | undefined): boolean {
  if (!adv || !bytes) return false;
  const a = adv.resultOf;
  if (a === bytes) return true;
  if (a.length !== bytes.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== bytes[i]) return false;
  return true;
}

export interface CompareOwnAttack {
  status: 'running' | 'done' | 'error';
  imageId: number;
  classesKey: string;
  message: string | null;
  describe: string;
  /** Probabilities of a fresh forward pass on its kept 8-bit image. */
  probs?: Float32Array;
  pred?: number;
  linf255?: number;
  ms?: number;
}

export const emptyCompare = (): CompareState => ({
  runs: [], reason: '', runId: null, status: 'idle', error: null, progress: null, title: null, clean: null, adv: null, own: null, batch: null,
});

export interface AttackState {
  engine: AttackEngineKind;
  compare: CompareState;
  model: Load<AttackModelInfo>;
  classes: Load<ClassSet>;
  /** Typed class names (one per line or comma-separated); null = the dataset's classes. */
  customClasses: string | null;
  /** The dataset's test split for the picker. */
  picker: Load<ImageDataset>;
  image: PlayImage | null;
  imageStatus: Load<null>;
  /** Clean prediction of the image against the current classes. */
  clean: { imageId: number; classesKey: string; probs: Float32Array; pred: number } | null;
  /** The class the attack moves away from (index in the classes); null = not chosen yet. */
  trueClass: number | null;
  single: SingleRun;
  batchSize: number;
  /** The batch takes, per class, images from this position of the class's test images on. */
  batchFrom: number;
  batch: BatchRun;
  /**
   * A test-image index a shared link asked for (src/engine/linkSync.ts writes it; the engine selects it once the split
   * is loaded, when the Attack panel prepares, and clears it); null when none is pending.
   */
  linkImage: number | null;
  /** Why the linked image could not be shown (out of the split's range), for the image picker; null when fine. */
  linkImageNote: string | null;
  patch: (p: Partial<Omit<AttackState, 'patch'>>) => void;
}

export const emptySingle = (): SingleRun => ({
  status: 'idle', message: null, describe: '', eps: 0, norm: 'linf', steps: 0, restarts: 1, trueClass: 0, target: null,
  imageId: -1, trace: [], current: null, currentProbs: null, at: null, result: null,
});

export const emptyBatch = (size = 12): BatchRun => ({
  status: 'idle', message: null, describe: '', size, evaluations: 0, trace: [], tiles: [], cleanAccuracy: null, robustAccuracy: null,
  robust8bit: null, successRate: null, ms: null, warnings: [],
});

export const useAttackStore = create<AttackState>()((set) => ({
  engine: 'exec',
  compare: emptyCompare(),
  model: idle(),
  classes: idle(),
  customClasses: null,
  picker: idle(),
  image: null,
  imageStatus: idle(),
  clean: null,
  trueClass: null,
  single: emptySingle(),
  batchSize: 12,
  batchFrom: 0,
  batch: emptyBatch(),
  linkImage: null,
  linkImageNote: null,
  patch: (p) => set(p),
}));
