/**
 * FARE (Schlarmann et al., ICML 2024, "Robust CLIP: Unsupervised Adversarial Fine-Tuning of Vision Embeddings"):
 * unsupervised, no labels and no text:
 *   L = mean_b ‖φ(x_b + δ_b) − φ_orig(x_b)‖²₂   (or ‖·‖₂ with `loss: 'l2'`),
 * δ = PGD maximising the same loss, φ_orig = the original, frozen vision tower (this model's forward fed with the
 * initial weights) on the clean image, φ = the current one. Embeddings are the raw image_embeds (projection output).
 * The inner attack is the paper's PGD-10 (`fare.attackSteps`, default 10; step `fare.attackAlpha`, default
 * `attack.alpha` or ε/4), not the shared `attack.steps`; `passesPerStep` counts its steps.
 */
import { pgdImages, type EmbeddingObjective } from './attack';
import type { FineTuneConfig } from './config';
import { trainAttackOptions, type FineTuneMethod, type StepInputs, type StepOutput } from './method';
import type { PassCounts } from './model';
import { gradNorm } from './math';

/** FARE's inner-attack steps (0 when ε = 0). */
export function fareAttackSteps(c: FineTuneConfig): number {
  return c.attack.eps > 0 ? c.fare.attackSteps ?? 10 : 0;
}

/** FARE's PGD options for a step: the shared ε, random start and seed; its own steps and step size. */
export function fareAttackOptions(c: FineTuneConfig, seed: number, step: number) {
  return { ...trainAttackOptions(c, seed, step), steps: c.fare.attackSteps ?? 10, alpha: c.fare.attackAlpha ?? c.attack.alpha ?? c.attack.eps / 4 };
}

/** Per-sample loss and ∂(mean loss)/∂embeds of the FARE objective. */
export function fareLoss(embeds: ArrayLike<number>, target: ArrayLike<number>, n: number, d: number, kind: 'l2-squared' | 'l2'): { loss: number; grad: Float64Array; perSample: Float64Array } {
  const grad = new Float64Array(n * d), perSample = new Float64Array(n);
  let loss = 0;
  for (let i = 0; i < n; i++) {
    let ss = 0;
    for (let k = 0; k < d; k++) ss += (embeds[i * d + k] - target[i * d + k]) ** 2;
    const r = Math.sqrt(ss);
    perSample[i] = kind === 'l2' ? r : ss;
    loss += perSample[i] / n;
    // l2: ∂r = diff / r (0 at r = 0, the subgradient).
    const f = kind === 'l2' ? (r > 0 ? 1 / (r * n) : 0) : 2 / n;
    for (let k = 0; k < d; k++) grad[i * d + k] = f * (embeds[i * d + k] - target[i * d + k]);
  }
  return { loss, grad, perSample };
}

export function createFare(config: FineTuneConfig): FineTuneMethod {
  const kind = config.fare.loss;
  return {
    name: 'fare',
    config,
    views: 1,
    passesPerStep(images: number): PassCounts {
      // original model on the clean images (forward only), attack, training pass.
      return { vision: (fareAttackSteps(config) + 2) * images, text: 0 };
    },
    async computeGradients({ ctx, model, batch, step, seed, replay, debug }: StepInputs): Promise<StepOutput> {
      const N = batch.images * batch.views, D = model.dim;
      const target = (await model.visionForward(batch.pixels, N, { original: true })).embeds;
      // The attack ascends the per-sample loss (the mean's gradient × N has the same direction per sample).
      const objective: EmbeddingObjective = async (e) => fareLoss(e, target, N, D, kind).grad;
      const xAdv = replay?.xAdv ?? await pgdImages(ctx, model, batch.pixels, N, objective, fareAttackOptions(config, seed, step));
      const a = await model.visionForward(xAdv, N, { keep: true });
      const l = fareLoss(a.embeds, target, N, D, kind);
      await model.visionBackward(a.state!, l.grad, { weights: true });
      return { loss: l.loss, terms: { fare: l.loss }, termGradNorms: { fare: gradNorm(l.grad) }, debug: debug ? { xAdv, target } : undefined };
    },
  };
}
