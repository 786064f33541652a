/**
 * PMG-AFT (Wang et al., CVPR 2024, "Pre-trained Model Guided Fine-Tuning for Zero-Shot Adversarial Robustness"):
 * TeCoA's loss plus two KL terms on the zero-shot class distributions (softmax of s · cos to the class embeddings):
 *   L = CE(z_adv, y) + α · KL(p_orig(x_adv) ‖ p(x_adv)) + β · KL(p(x) ‖ p(x_adv)),
 * z_adv = the current model on the adversarial images (PGD on the CE, as TeCoA), p_orig = the original, frozen model
 * (this model's forward fed with the initial weights) on the same adversarial images, p(x) = the current model on
 * the clean images. KL(target ‖ p_adv) is torch's KLDivLoss(log_softmax(z_adv), softmax(z_target)), batch mean.
 * The frozen branch gets no gradient; the clean branch does (it is the current model).
 */
import { zeroShotLoss } from '../kernels/zeroShot';
import { pgdImages, zeroShotCeObjective } from './attack';
import { resolvedTowers, type FineTuneConfig } from './config';
import { axpy, cosLogits, cosLogitsBackward, klDivergence, l2 } from './math';
import { trainAttackOptions, type FineTuneMethod, type StepInputs, type StepOutput } from './method';
import type { PassCounts } from './model';
import { attackSteps } from './tecoa';

export function createPmgAft(config: FineTuneConfig): FineTuneMethod {
  const { alpha, beta } = config.pmgAft;
  return {
    name: 'pmg-aft',
    config,
    views: 1,
    passesPerStep(images: number, prompts: number): PassCounts {
      // attack, adversarial (trained), clean (trained), original model on the adversarial images (forward only).
      return { vision: (attackSteps(config) + 1 + (beta > 0 ? 1 : 0) + (alpha > 0 ? 1 : 0)) * images, text: resolvedTowers(config).text ? prompts : 0 };
    },
    async computeGradients({ ctx, model, batch, text, step, seed, replay, debug }: StepInputs): Promise<StepOutput> {
      const N = batch.images * batch.views, D = model.dim, s = model.scale;
      const t = await text.forward();
      const C = t.ens.classes;
      const xAdv = replay?.xAdv ?? await pgdImages(ctx, model, batch.pixels, N, zeroShotCeObjective(ctx, model, t.classEmb, batch.labels), trainAttackOptions(config, seed, step));
      const a = await model.visionForward(xAdv, N, { keep: true });
      const ce = await zeroShotLoss(ctx, a.embeds, t.classEmb, batch.labels, { batch: N, classes: C, dim: D, logitScale: s, textGrad: text.trainable });
      const gAdv = Float64Array.from(ce.gradImages);
      const gText = text.trainable ? Float64Array.from(ce.gradTexts) : undefined;
      const terms: Record<string, number> = { ce: ce.meanLoss };
      const termGradNorms: Record<string, number> = { ce: Math.hypot(l2(ce.gradImages), gText ? l2(ce.gradTexts) : 0) };
      let loss = ce.meanLoss;
      const zAdv = cosLogits(a.embeds, t.classEmb, N, C, D, s);
      if (alpha > 0) {
        const o = await model.visionForward(xAdv, N, { original: true });
        const zOrig = cosLogits(o.embeds, t.classEmb, N, C, D, s);
        const kl = klDivergence(zOrig.logits, zAdv.logits, N, C);
        terms.klOriginal = kl.loss;
        loss += alpha * kl.loss;
        const g = cosLogitsBackward(zAdv, kl.dz);
        axpy(gAdv, g.gImages, alpha);
        if (gText) axpy(gText, g.gTexts, alpha);
        termGradNorms.klOriginal = alpha * Math.hypot(l2(g.gImages), gText ? l2(g.gTexts) : 0);
      }
      let gClean: Float64Array | undefined;
      let cleanState;
      if (beta > 0) {
        const c = await model.visionForward(batch.pixels, N, { keep: true });
        cleanState = c.state;
        const zClean = cosLogits(c.embeds, t.classEmb, N, C, D, s);
        const kl = klDivergence(zClean.logits, zAdv.logits, N, C);
        terms.klClean = kl.loss;
        loss += beta * kl.loss;
        const ga = cosLogitsBackward(zAdv, kl.dz), gc = cosLogitsBackward(zClean, kl.dTarget);
        axpy(gAdv, ga.gImages, beta);
        gClean = gc.gImages.map((v) => beta * v);
        if (gText) {
          axpy(gText, ga.gTexts, beta);
          axpy(gText, gc.gTexts, beta);
        }
        const textPart = gText ? Float64Array.from(ga.gTexts, (v, i) => v + gc.gTexts[i]) : [];
        termGradNorms.klClean = beta * Math.hypot(l2(ga.gImages), l2(gc.gImages), l2(textPart));
      }
      await model.visionBackward(a.state!, gAdv, { weights: true });
      if (cleanState) await model.visionBackward(cleanState, gClean!, { weights: true });
      await text.backward(t, { classEmb: gText });
      return { loss, terms, termGradNorms, trainRobustAccuracy: ce.accuracy, debug: debug ? { xAdv } : undefined };
    },
  };
}
