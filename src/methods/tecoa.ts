/**
 * TeCoA (Mao et al., ICLR 2023, "Understanding Zero-Shot Adversarial Robustness for Large-Scale Models"): the
 * zero-shot cross-entropy of adversarial images against the class-prompt embeddings,
 *   L = CE(s · cos(φ(x + δ), t_y)),   δ = PGD maximising the same CE (current model, class embeddings fixed).
 * Class embeddings: the prompt ensemble (every template with the canonical synonym), or the first template only.
 * The vision tower trains (as published); with a trained text tower the CE also reaches the text weights.
 */
import { zeroShotLoss, zeroShotLossOnDevice, type ZeroShotDeviceResult } from '../kernels/zeroShot';
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
      const attack = trainAttackOptions(config, seed, step);
      if (!debug && !replay?.xAdv && model.outputsOnGpu) return deviceStep();
      const t = await text.forward();
      const C = t.ens.classes;
      const shape = { batch: N, classes: C, dim: model.dim, logitScale: model.scale, textGrad: text.trainable };
      const objective = zeroShotCeObjective(ctx, model, t.classEmb, batch.labels);
      const xAdv = replay?.xAdv ?? await pgdImages(ctx, model, batch.pixels, N, objective, attack);
      const a = await model.visionForward(xAdv, N, { keep: true });
      return hostStep(a, xAdv);

      // GPU sessions: class embeddings, the attack, the CE and both backwards on GPU buffers; the CE's value, accuracy
      // and gradient norms stay on the GPU for the loop's next read (`pending`), so the step reads nothing back.
      async function deviceStep(): Promise<StepOutput> {
        const t = await text.forwardOnGpu();
        const C = t.classes;
        const owned: GPUBuffer[] = [];
        let ce: ZeroShotDeviceResult | undefined;
        try {
          const objective = zeroShotCeObjective(ctx, model, t.classEmb, batch.labels, C);
          const xAdv = await pgdImagesOnGpu(ctx, model, batch.pixels, N, objective, attack);
          owned.push(xAdv);
          const a = await model.visionForward(xAdv, N, { keep: true, host: false });
          const embeds = a.gpuEmbeds ?? ctx.upload('tecoa.embeds', a.embeds);
          if (!a.gpuEmbeds) owned.push(embeds);
          ce = await zeroShotLossOnDevice(ctx, embeds, t.classEmb, batch.labels, { batch: N, classes: C, dim: model.dim, logitScale: model.scale, textGrad: text.trainable }, 'tecoa.ce');
          await model.visionBackward(a.state!, ce.gradImages, { weights: true });
          await text.backwardOnGpu(t, { classEmb: text.trainable ? ce.gradTexts : undefined });
        } catch (e) {
          ce?.release();
          text.releaseGpu(t);
          ctx.release(...owned);
          throw e;
        }
        ctx.release(...owned);
        const r = ce;
        return {
          loss: NaN, terms: {}, termGradNorms: {},
          pending: {
            parts: [{ buffer: r.summary, count: 2 }, { buffer: r.imagesNorm, count: 4 }, ...(r.textsNorm ? [{ buffer: r.textsNorm, count: 4 }] : [])],
            finish(v, out) {
              out.loss = v[0][0];
              out.terms = { ce: v[0][0] };
              out.trainRobustAccuracy = v[0][1];
              // ‖∂CE/∂(tower outputs)‖ over the image embeddings and, when the text tower trains, the class embeddings.
              out.termGradNorms = { ce: Math.sqrt(v[1][2] + (v[2]?.[2] ?? 0)) };
            },
            release() {
              r.release();
              text.releaseGpu(t);
            },
          },
        };
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
