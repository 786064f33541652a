/**
 * PMG-AFT (Wang et al., CVPR 2024, "Pre-trained Model Guided Fine-Tuning for Zero-Shot Adversarial Robustness"):
 * TeCoA's loss plus two KL terms on the zero-shot class distributions (softmax of s · cos to the class embeddings):
 *   L = CE(z_adv, y) + α · KL(p(x_adv) ‖ p_orig(x_adv)) + β · KL(p(x) ‖ p(x_adv)),   KLs summed over the batch,
 * z_adv = the current model on the adversarial images (PGD on the CE, as TeCoA), p_orig = the original, frozen model
 * (this model's forward fed with the initial weights) on the same adversarial images, p(x) = the current model on
 * the clean images. As the authors' code: KLDivLoss(reduction="sum") (so each KL weighs ×B against the batch-mean
 * CE) and the α term `criterion_kl(log_softmax(output_ori), softmax(output))` = KL(p_adv ‖ p_orig). Options:
 * `klReduction: 'mean'` (batch mean), `klDirection: 'orig-adv'` (KL(p_orig ‖ p_adv)), the earlier behaviour.
 * The frozen branch gets no gradient; the clean branch does (it is the current model).
 * termGradNorms: ‖∂(weighted term)/∂(tower outputs)‖ — image embeddings of every branch, plus the class embeddings
 * when the text tower trains.
 * On GPU sessions (`model.outputsOnGpu`) the class embeddings, the attack, the CE and the KL terms stay on GPU buffers
 * (src/methods/pmgAftTerms.ts) and the values and norms are left for the loop's next read: no readback in a step.
 */
import { klDivergenceRef } from '../kernels/kl';
import { zeroShotLoss, zeroShotLossOnDevice, type ZeroShotDeviceResult } from '../kernels/zeroShot';
import { pgdImages, pgdImagesOnGpu, zeroShotCeObjective } from './attack';
import { resolvedTowers, type FineTuneConfig } from './config';
import { axpy, cosLogits, cosLogitsBackward, gradNorm } from './math';
import { trainAttackOptions, type FineTuneMethod, type StepInputs, type StepOutput } from './method';
import type { PassCounts, TowerState } from './model';
import { PmgAftKlTerms } from './pmgAftTerms';
import { attackSteps } from './tecoa';

export function createPmgAft(config: FineTuneConfig): FineTuneMethod {
  const { alpha, beta } = config.pmgAft;
  const reduction = config.pmgAft.klReduction ?? 'sum', direction = config.pmgAft.klDirection ?? 'adv-orig';
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
      // 'sum': KLDivLoss(reduction="sum") = N × the batch mean that klDivergenceRef returns (value and gradients).
      const r = reduction === 'sum' ? N : 1;
      if (!debug && !replay?.xAdv && model.outputsOnGpu) return deviceStep();
      const t = await text.forward();
      const C = t.ens.classes;
      const xAdv = replay?.xAdv ?? await pgdImages(ctx, model, batch.pixels, N, zeroShotCeObjective(ctx, model, t.classEmb, batch.labels), trainAttackOptions(config, seed, step));
      const a = await model.visionForward(xAdv, N, { keep: true });
      const ce = await zeroShotLoss(ctx, a.embeds, t.classEmb, batch.labels, { batch: N, classes: C, dim: D, logitScale: s, textGrad: text.trainable });
      const gAdv = Float64Array.from(ce.gradImages);
      const gText = text.trainable ? Float64Array.from(ce.gradTexts) : undefined;
      const terms: Record<string, number> = { ce: ce.meanLoss };
      const termGradNorms: Record<string, number> = { ce: gradNorm(ce.gradImages, gText) };
      let loss = ce.meanLoss;
      const zAdv = cosLogits(a.embeds, t.classEmb, N, C, D, s);
      if (alpha > 0) {
        const o = await model.visionForward(xAdv, N, { original: true });
        const zOrig = cosLogits(o.embeds, t.classEmb, N, C, D, s);
        // adv-orig: KL(p_adv ‖ p_orig), the adversarial side is the target; orig-adv: KL(p_orig ‖ p_adv).
        const kl = direction === 'adv-orig' ? klDivergenceRef(zAdv.logits, zOrig.logits, N, C) : klDivergenceRef(zOrig.logits, zAdv.logits, N, C);
        terms.klOriginal = r * kl.loss;
        loss += alpha * r * kl.loss;
        const g = cosLogitsBackward(zAdv, direction === 'adv-orig' ? kl.dTarget : kl.dz);
        axpy(gAdv, g.gImages, alpha * r);
        if (gText) axpy(gText, g.gTexts, alpha * r);
        termGradNorms.klOriginal = alpha * r * gradNorm(g.gImages, text.trainable ? g.gTexts : undefined);
      }
      let gClean: Float64Array | undefined;
      let cleanState;
      if (beta > 0) {
        const c = await model.visionForward(batch.pixels, N, { keep: true });
        cleanState = c.state;
        const zClean = cosLogits(c.embeds, t.classEmb, N, C, D, s);
        const kl = klDivergenceRef(zClean.logits, zAdv.logits, N, C);
        terms.klClean = r * kl.loss;
        loss += beta * r * kl.loss;
        const ga = cosLogitsBackward(zAdv, kl.dz), gc = cosLogitsBackward(zClean, kl.dTarget);
        axpy(gAdv, ga.gImages, beta * r);
        gClean = gc.gImages.map((v) => beta * r * v);
        let gt: Float64Array | undefined;
        if (gText) {
          gt = Float64Array.from(ga.gTexts);
          axpy(gt, gc.gTexts);
          axpy(gText, gt, beta * r);
        }
        termGradNorms.klClean = beta * r * gradNorm(ga.gImages, gc.gImages, gt);
      }
      await model.visionBackward(a.state!, gAdv, { weights: true });
      if (cleanState) await model.visionBackward(cleanState, gClean!, { weights: true });
      await text.backward(t, { classEmb: gText });
      return { loss, terms, termGradNorms, trainRobustAccuracy: ce.accuracy, debug: debug ? { xAdv } : undefined };

      async function deviceStep(): Promise<StepOutput> {
        const t = await text.forwardOnGpu();
        const C = t.classes;
        const kl = new PmgAftKlTerms(ctx, { batch: N, classes: C, dim: D, logitScale: s }, text.trainable);
        const owned: GPUBuffer[] = [];
        let ce: ZeroShotDeviceResult | undefined;
        try {
          const objective = zeroShotCeObjective(ctx, model, t.classEmb, batch.labels, C);
          const xAdv = await pgdImagesOnGpu(ctx, model, batch.pixels, N, objective, trainAttackOptions(config, seed, step));
          owned.push(xAdv);
          const a = await model.visionForward(xAdv, N, { keep: true, host: false });
          ce = await zeroShotLossOnDevice(ctx, a.gpuEmbeds!, t.classEmb, batch.labels, { batch: N, classes: C, dim: D, logitScale: s, textGrad: text.trainable }, 'pmgAft.ce');
          const gAdv = ce.gradImages, gText = text.trainable ? ce.gradTexts : undefined;
          let adv!: ReturnType<PmgAftKlTerms['encodeBranch']>;
          await ctx.run('pmgAft.adv', (rec) => {
            kl.encodeTexts(rec, t.classEmb);
            adv = kl.encodeBranch(rec, 'adv', a.gpuEmbeds!);
          });
          if (alpha > 0) {
            const o = await model.visionForward(xAdv, N, { original: true, keep: true, host: false });
            await ctx.run('pmgAft.klOriginal', (rec) => {
              const orig = kl.encodeBranch(rec, 'orig', o.gpuEmbeds!);
              // The original model is frozen: only the adversarial side gets a gradient.
              if (direction === 'adv-orig') kl.encodeKlTerm(rec, 'klOriginal', adv, orig, alpha * r, { p: gAdv }, gText);
              else kl.encodeKlTerm(rec, 'klOriginal', orig, adv, alpha * r, { q: gAdv }, gText);
            });
            model.discard(o.state!);
          }
          let clean: { state: TowerState; grad: GPUBuffer } | undefined;
          if (beta > 0) {
            const c = await model.visionForward(batch.pixels, N, { keep: true, host: false });
            const gClean = ctx.buffer('pmgAft.gClean', N * D * 4);
            owned.push(gClean);
            clean = { state: c.state!, grad: gClean };
            await ctx.run('pmgAft.klClean', (rec) => {
              rec.clear(gClean, 0, N * D * 4);
              const cb = kl.encodeBranch(rec, 'clean', c.gpuEmbeds!);
              kl.encodeKlTerm(rec, 'klClean', cb, adv, beta * r, { p: gClean, q: gAdv }, gText);
            });
          }
          await model.visionBackward(a.state!, gAdv, { weights: true });
          if (clean) await model.visionBackward(clean.state, clean.grad, { weights: true });
          await text.backwardOnGpu(t, { classEmb: gText });
        } catch (e) {
          ce?.release();
          kl.release();
          kl.releaseParts();
          text.releaseGpu(t);
          ctx.release(...owned);
          throw e;
        }
        kl.release();
        ctx.release(...owned);
        const res = ce;
        const ceParts = [{ buffer: res.summary, count: 2 }, { buffer: res.imagesNorm, count: 4 }, ...(res.textsNorm ? [{ buffer: res.textsNorm, count: 4 }] : [])];
        return {
          loss: NaN, terms: {}, termGradNorms: {},
          pending: {
            parts: [...ceParts, ...kl.parts()],
            finish(v, out) {
              const ceLoss = v[0][0];
              out.terms = { ce: ceLoss };
              out.termGradNorms = { ce: Math.sqrt(v[1][2] + (res.textsNorm ? v[2][2] : 0)) };
              out.trainRobustAccuracy = v[0][1];
              let loss = ceLoss;
              const weights: Record<string, number> = { klOriginal: alpha, klClean: beta };
              for (const [name, term] of Object.entries(kl.finish(v.slice(ceParts.length)))) {
                out.terms[name] = r * term.meanKl;
                out.termGradNorms[name] = term.gradNorm;
                loss += weights[name] * r * term.meanKl;
              }
              out.loss = loss;
            },
            release() {
              res.release();
              kl.releaseParts();
              text.releaseGpu(t);
            },
          },
        };
      }
    },
  };
}
