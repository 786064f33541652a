/**
 * TeCoA (Mao et al., ICLR 2023, "Understanding Zero-Shot Adversarial Robustness for Large-Scale Models"): the
 * zero-shot cross-entropy of adversarial images against the class-prompt embeddings,
 *   L = CE(s · cos(φ(x + δ), t_y)),   δ = PGD maximising the same CE (current model, class embeddings fixed).
 * Class embeddings: the prompt ensemble (every template with the canonical synonym), or the first template only.
 * The vision tower trains (as published); with a trained text tower the CE also reaches the text weights.
 */
import { zeroShotLoss, zeroShotLossOnGpu } from '../kernels/zeroShot';
import { pgdImages, pgdImagesOnGpu, zeroShotCeObjective } from './attack';
import { resolvedTowers, type FineTuneConfig } from './config';
import { gradNorm } from './math';
import { trainAttackOptions, type FineTuneMethod, type StepInputs, type StepOutput } from './method';
import type { ForwardResult, PassCounts } from './model';

export function attackSteps(c: FineTuneConfig): number {
  return c.attack.eps > 0 ? c.attack.steps : 0;
}

export function createTecoa(config: FineTuneConfig): FineTuneMethod {
  return {
    name: 'tecoa',
    config,
    views: 1,
    passesPerStep(images: number, prompts: number): PassCounts {
      return { vision: (attackSteps(config) + 1) * images, text: resolvedTowers(config).text ? prompts : 0 };
    },
    async computeGradients({ ctx, model, batch, text, step, seed, replay, debug }: StepInputs): Promise<StepOutput> {
      const N = batch.images * batch.views;
      const t = await text.forward();
      const C = t.ens.classes;
      const objective = zeroShotCeObjective(ctx, model, t.classEmb, batch.labels), attack = trainAttackOptions(config, seed, step);
      const shape = { batch: N, classes: C, dim: model.dim, logitScale: model.scale, textGrad: text.trainable };
      if (!debug && !replay?.xAdv) {
        // The adversarial images stay on the GPU (released after the backward, which may read the forward's input).
        const xAdvGpu = await pgdImagesOnGpu(ctx, model, batch.pixels, N, objective, attack);
        try {
          return await onGpuStep(await model.visionForward(xAdvGpu, N, { keep: true, host: false }));
        } finally {
          ctx.release(xAdvGpu);
        }
      }
      const xAdv = replay?.xAdv ?? await pgdImages(ctx, model, batch.pixels, N, objective, attack);
      const a = await model.visionForward(xAdv, N, { keep: true });
      return hostStep(a, xAdv);

      async function onGpuStep(a: ForwardResult): Promise<StepOutput> {
        if (!a.gpuEmbeds) return hostStep(a);
        // GPU session: the CE on the tower's output buffer, its image gradient fed back without a readback.
        const ce = await zeroShotLossOnGpu(ctx, a.gpuEmbeds, t.classEmb, batch.labels, shape);
        try {
          await model.visionBackward(a.state!, ce.gradImages, { weights: true });
        } finally {
          ce.release();
        }
        await text.backward(t, { classEmb: text.trainable ? ce.gradTexts : undefined });
        const norm = Math.hypot(ce.gradImagesNorm, text.trainable ? gradNorm(ce.gradTexts) : 0);
        return { loss: ce.meanLoss, terms: { ce: ce.meanLoss }, termGradNorms: { ce: norm }, trainRobustAccuracy: ce.accuracy };
      }

      async function hostStep(a: ForwardResult, xAdv?: Float32Array): Promise<StepOutput> {
        const ce = await zeroShotLoss(ctx, a.embeds, t.classEmb, batch.labels, shape);
        await model.visionBackward(a.state!, ce.gradImages, { weights: true });
        await text.backward(t, { classEmb: text.trainable ? ce.gradTexts : undefined });
        return { loss: ce.meanLoss, terms: { ce: ce.meanLoss }, termGradNorms: { ce: gradNorm(ce.gradImages, text.trainable ? ce.gradTexts : undefined) }, trainRobustAccuracy: ce.accuracy, debug: debug ? { xAdv, advEmbeds: a.embeds } : undefined };
      }
    },
  };
}
