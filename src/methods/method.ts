/**
 * What a fine-tuning method is to the shared loop: how many views per image it needs, how many tower passes a step
 * costs (the budget unit), and a function that computes the loss terms of one batch and adds the gradients of
 * their weighted sum into the model's accumulators (the loop zeroes them before and applies the optimiser after).
 */
import type { GpuContext } from '../gpu/context';
import { mixSeed } from '../train/data';
import type { FineTuneConfig, MethodName } from './config';
import type { FineTuneBatch } from './data';
import type { FineTuneModel, PassCounts } from './model';
import type { ClassText } from './text';
import type { ImagePgdOptions } from './attack';
import type { Spectra } from './geometry';

export interface StepInputs {
  ctx: GpuContext;
  model: FineTuneModel;
  batch: FineTuneBatch;
  /** Class prompts of the training classes (class embeddings for the zero-shot CE; AoS's text groups). */
  text: ClassText;
  /** 1-based step (seeds the step's random draws together with `seed`). */
  step: number;
  seed: number;
  /** Keep the intermediate arrays in `StepOutput.debug` (tests). */
  debug?: boolean;
  /**
   * Reuse the adversarial inputs of an earlier call (its `debug.xAdv`, `debug.textDelta`) instead of attacking:
   * the loss is then a plain function of the weights (finite-difference checks).
   */
  replay?: {
    xAdv?: Float32Array;
    textDelta?: Float32Array;
    /**
     * Fixed targets of the directional distance (an earlier call's `debug.targets`): with them the loss is the function
     * whose gradient the step computes (targets are constants there), so finite differences can check it.
     */
    targets?: { clean: Float64Array; text: Float64Array };
  };
}

/**
 * Scalars a step leaves on the GPU for the loop's next read — at once (one readback with the optimiser's ‖g‖), or
 * every k steps from its metrics ring (src/methods/metricsRing.ts), so a step reads nothing back.
 */
export interface PendingScalars {
  /** What to read (f32 counts), in order. Constant in layout from step to step for a given method and config. */
  parts: Array<{ buffer: GPUBuffer; count: number; offset?: number }>;
  /** Fills `out`'s numbers (loss, terms, norms, accuracy, angles…) from the parts' values (same order). */
  finish(values: Float32Array[], out: StepOutput): void;
  /** Frees the method's buffers once the loop has read or captured the parts (after the update). */
  release(): void;
}

export interface StepOutput {
  /** The weighted total that was differentiated (NaN until `pending` is finished, when there is one). */
  loss: number;
  /** Unweighted value of every active term. */
  terms: Record<string, number>;
  /**
   * Per term, ‖∂(weight · term)/∂(tower outputs)‖₂: the gradient of the term's contribution to the differentiated
   * loss w.r.t. the embeddings it reaches (image embeddings of every branch, plus class / prompt embeddings when the
   * text tower trains), before the towers' backward. Cheap (no extra backward) and every step; it is not the
   * parameter-space norm (the towers' Jacobians differ per branch). Keys as in `terms`. Optional for a method
   * that does not fill it yet (the loop reports {}).
   */
  termGradNorms?: Record<string, number>;
  /** The subspace distance's ridge ρ in force (AoS). */
  ridge?: number;
  /** Zero-shot accuracy of the training views under the training attack (for methods that classify). */
  trainRobustAccuracy?: number;
  /** Mean principal angle (degrees) per pair type of groups (AoS), computed on the GPU. */
  angles?: Record<string, number>;
  /** Principal-angle spectrum (degrees, index = angle index, mean over the batch's groups) per pair type (AoS), on the GPU. */
  spectra?: Spectra;
  debug?: Record<string, unknown>;
  /** Values still on the GPU: the loop reads them (`finish` then fills the fields above) and releases them. */
  pending?: PendingScalars;
}

export interface FineTuneMethod {
  readonly name: MethodName;
  readonly config: FineTuneConfig;
  /** Views per image the method needs (AoS: 1 + m). */
  readonly views: number;
  /** Tower passes (samples through a tower, forward with or without backward) one step costs. */
  passesPerStep(images: number, prompts: number): PassCounts;
  computeGradients(s: StepInputs): Promise<StepOutput>;
  /** Settings the method fixed while running (AoS: an 'auto' ridge), for checkpoints; plain numbers. */
  state?(): Record<string, number>;
  /** Restores `state()` from a checkpoint before the next step. */
  restore?(s: Record<string, unknown>): void;
}

/** The training attack's PGD options for a step. */
export function trainAttackOptions(c: FineTuneConfig, seed: number, step: number): ImagePgdOptions {
  return { eps: c.attack.eps, alpha: c.attack.alpha ?? c.attack.eps, steps: c.attack.steps, randomStart: c.attack.randomStart, seed: mixSeed(seed, 0xa77a), step };
}
