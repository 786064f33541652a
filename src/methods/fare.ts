/**
 * FARE (Schlarmann et al., ICML 2024, "Robust CLIP: Unsupervised Adversarial Fine-Tuning of Vision Embeddings"):
 * unsupervised, no labels and no text:
 *   L = mean_b ‖φ(x_b + δ_b) − φ_orig(x_b)‖²₂   (or ‖·‖₂ with `loss: 'l2'`),
 * δ = PGD maximising the same loss, φ_orig = the original, frozen vision tower (this model's forward fed with the
 * initial weights) on the clean image, φ = the current one. Embeddings are the raw image_embeds (projection output).
 * The inner attack is the paper's PGD-10 (`fare.attackSteps`, default 10; step `fare.attackAlpha`, default
 * `attack.alpha` or ε/4), not the shared `attack.steps`; `passesPerStep` counts its steps.
 * On GPU sessions (`model.outputsOnGpu`) the target, the attack's objective, the loss and its gradient stay on GPU
 * buffers (src/kernels/fare.ts) and the loss and ‖∂/∂embeds‖ are left for the loop's next read: no readback in a step.
 */
import { encodeFareLoss, fareLossRef, type FareShape } from '../kernels/fare';
import { createGradNormBuffer, encodeGlobalGradNorm } from '../kernels/optim';
import { statsFloats } from '../kernels/shape';
import { pgdImages, pgdImagesOnGpu, type EmbeddingObjective } from './attack';
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
      const attack = fareAttackOptions(config, seed, step);
      if (!debug && !replay?.xAdv && model.outputsOnGpu) return deviceStep();
      const target = (await model.visionForward(batch.pixels, N, { original: true })).embeds;
      // The attack ascends the per-sample loss (the mean's gradient × N has the same direction per sample).
      const objective: EmbeddingObjective = async (e) => fareLossRef(e, target, N, D, kind).grad;
      const xAdv = replay?.xAdv ?? await pgdImages(ctx, model, batch.pixels, N, objective, attack);
      const a = await model.visionForward(xAdv, N, { keep: true });
      const l = fareLossRef(a.embeds, target, N, D, kind);
      await model.visionBackward(a.state!, l.grad, { weights: true });
      return { loss: l.loss, terms: { fare: l.loss }, termGradNorms: { fare: gradNorm(l.grad) }, debug: debug ? { xAdv, target } : undefined };

      async function deviceStep(): Promise<StepOutput> {
        const shape: FareShape = { batch: N, dim: D, kind };
        const bytes = N * D * 4;
        const b = { target: ctx.buffer('fare.target', bytes), grad: ctx.buffer('fare.grad', bytes), stats: ctx.buffer('fare.stats', statsFloats(N) * 4) };
        const norm = createGradNormBuffer(ctx, 'fare.gradNorm');
        const owned: GPUBuffer[] = [];
        try {
          // The original tower's embeddings, copied out of the session's output (which the next run may reuse).
          const o = await model.visionForward(batch.pixels, N, { original: true, keep: true, host: false });
          await ctx.run('fare.target', (rec) => rec.copy(o.gpuEmbeds!, 0, b.target, 0, bytes));
          model.discard(o.state!);
          const objective: EmbeddingObjective = async () => { throw new Error('internal: FARE on a GPU session attacks on the GPU'); };
          objective.gpu = () => {
            const g = { grad: ctx.buffer('fare.pgd.grad', bytes), stats: ctx.buffer('fare.pgd.stats', statsFloats(N) * 4) };
            return {
              grad: g.grad,
              encode: (rec, embeds) => encodeFareLoss(rec, { embeds, target: b.target, ...g }, shape, 'fare.pgd.objective'),
              release: () => ctx.release(g.grad, g.stats),
            };
          };
          const xAdv = await pgdImagesOnGpu(ctx, model, batch.pixels, N, objective, attack);
          owned.push(xAdv);
          const a = await model.visionForward(xAdv, N, { keep: true, host: false });
          const embeds = a.gpuEmbeds!;
          await ctx.run('fare.loss', (rec) => {
            encodeFareLoss(rec, { embeds, target: b.target, grad: b.grad, stats: b.stats }, shape, 'fare.loss');
            encodeGlobalGradNorm(rec, b.grad, norm, N * D, undefined, 'fare.gradNorm');
          });
          await model.visionBackward(a.state!, b.grad, { weights: true });
        } catch (e) {
          ctx.release(b.target, b.grad, b.stats, norm, ...owned);
          throw e;
        }
        ctx.release(b.target, b.grad, ...owned);
        return {
          loss: NaN, terms: {}, termGradNorms: {},
          pending: {
            parts: [{ buffer: b.stats, count: 1 }, { buffer: norm, count: 4 }],
            finish(v, out) {
              out.loss = v[0][0];
              out.terms = { fare: v[0][0] };
              out.termGradNorms = { fare: Math.sqrt(v[1][2]) };
            },
            release() {
              ctx.release(b.stats, norm);
            },
          },
        };
      }
    },
  };
}
