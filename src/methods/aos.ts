/**
 * AoS — a reconstruction of Dong et al., "Robustifying Zero-Shot Vision Language Models by Subspaces Alignment"
 * (ICCV 2025). Every choice below is configurable (`AosOptions`) and written down in src/methods/README.md.
 *
 * Groups (rows, L2-normalised embeddings):
 *   per image b:   clean group X_b = φ(view_0 … view_m)   (the image and m augmentations, 1 + m rows)
 *                  adversarial group A_b = φ(each view + its own PGD perturbation)
 *   per class c:   text group T_c = ψ(templates × synonyms of c)
 *                  adversarial text group T̃_c = ψ(same prompts, token embeddings + δ), δ = L2 PGD within
 *                  ε·‖token embeddings‖ maximising the zero-shot CE of the class's clean images (class c's
 *                  embedding taken from T̃_c, the others clean)
 * Loss (d(moving → target); with the default residual distance the target is fixed — no gradient through it):
 *   ceWeight · CE(s·cos(A, t̄), y)                     zero-shot CE on every adversarial view, t̄ = ensemble of T
 *   + λ1 · mean_b d(A_b → X_b)                          adversarial image group toward the clean one
 *   + λ2 · mean over (X_b → T_y_b) and (A_b → T_y_b)    image groups into their class's text span
 *   + λ3 · mean over classes in the batch d(T̃_c → T_c)  adversarial text group toward the clean one (text trains)
 * d = tr(P_X(I − P_Y))/n (src/subspace/residual, directional), or the symmetric ½‖P_X − P_Y‖²_F / second-moment
 * matching (gradients to both groups). ρ: fixed, or from the first batch's clean groups' spectrum.
 * Rank-1 ablation = mean-direction alignment: each group replaced by its mean row before d.
 */
import { residualDistance, ridgeFromSpectrum, subspaceLoss } from '../subspace';
import { zeroShotLoss } from '../kernels/zeroShot';
import { pgdImages, pgdImagesOnGpu, pgdPrompts, zeroShotCeObjective, type EmbeddingObjective } from './attack';
import { MIN_AUTO_RIDGE, resolvedTowers, type AosOptions, type FineTuneConfig } from './config';
import { ensemble, ensembleBackward } from '../kernels/ensemble';
import { axpy, gradNorm, groupMeans, groupMeansBackward, normalizeRows, normalizeRowsBackward } from './math';
import { trainAttackOptions, type FineTuneMethod, type StepInputs, type StepOutput } from './method';
import type { PassCounts } from './model';
import { attackSteps } from './tecoa';
import type { Spectra } from './geometry';
import { encodeGatherGroups, groupSpectra, groupSpectraOnDevice, type GroupShape } from './spectra';
import { aosImageTerms } from './aosImageTerms';
import { aosTextTerm } from './aosTextTerms';
import { promptCeRef } from '../kernels/promptAttack';
import type { GpuContext } from '../gpu/context';

/** Shape of a batch of group pairs: `pairs` moving groups of n rows, `targets` target groups of m rows, dimension d. */
export interface GroupPairs {
  pairs: number;
  n: number;
  m: number;
  d: number;
  targets: number;
}

/**
 * d(moving → target) over pairs on the GPU: x [pairs, n, d] moving groups, y [targets, m, d] target groups, pair p's
 * target `targetOf[p]`. Returns the mean, ∂/∂x, and ∂/∂y summed per target group — undefined for the directional
 * residual distance, whose targets are fixed.
 */
export async function groupDistance(
  ctx: GpuContext, x: ArrayLike<number>, y: ArrayLike<number>, shape: GroupPairs, targetOf: ArrayLike<number>,
  a: { distance: AosOptions['distance']; ridge: number },
): Promise<{ value: number; gx: Float64Array; gy?: Float64Array }> {
  if (a.distance === 'residual') {
    const r = await residualDistance(ctx, Float32Array.from(x), Float32Array.from(y), shape, { ridge: a.ridge }, targetOf);
    return { value: r.value, gx: Float64Array.from(r.gx) };
  }
  const opts = a.distance === 'projection' ? { proj: 1, moment: 0, ridge: a.ridge } : { proj: 0, moment: 1 };
  const yPairs = gather(y, targetOf, shape.m, shape.d);
  const r = await subspaceLoss(ctx, Float32Array.from(x), Float32Array.from(yPairs), shape, { ...opts, reduction: 'mean' });
  const gy = new Float64Array(shape.targets * shape.m * shape.d);
  scatterAdd(gy, r.gy, targetOf, shape.m, shape.d);
  return { value: r.value, gx: Float64Array.from(r.gx), gy };
}

/** The ridge of a run: the configured one, or (`ridgeFromSpectrum`) from the clean image groups' spectrum at the first step. */
export function resolveRidge(a: Pick<AosOptions, 'ridge' | 'ridgeFromSpectrum'>, cleanUnitRows: ArrayLike<number>, groups: number, views: number, d: number): number {
  if (!a.ridgeFromSpectrum) return a.ridge;
  if (views < 2) return MIN_AUTO_RIDGE;
  return Math.max(MIN_AUTO_RIDGE, ridgeFromSpectrum(cleanUnitRows, groups, views, d));
}

/** Rows [groups · n, d] of chosen groups gathered into [picked, n, d]. */
function gather(src: ArrayLike<number>, picks: ArrayLike<number>, n: number, d: number): Float64Array {
  const out = new Float64Array(picks.length * n * d);
  for (let i = 0; i < picks.length; i++) for (let j = 0; j < n * d; j++) out[i * n * d + j] = src[picks[i] * n * d + j];
  return out;
}

/** Adds [picked, n, d] back into the groups they were gathered from. */
function scatterAdd(dst: Float64Array, g: ArrayLike<number>, picks: ArrayLike<number>, n: number, d: number): void {
  for (let i = 0; i < picks.length; i++) for (let j = 0; j < n * d; j++) dst[picks[i] * n * d + j] += g[i * n * d + j];
}

export function createAos(config: FineTuneConfig): FineTuneMethod {
  const a = config.aos;
  const V = 1 + a.augmentations;
  const towers = resolvedTowers(config);
  const textAttack = towers.text && a.lambda3 > 0;
  const textSteps = a.textSteps ?? config.attack.steps;
  // ρ of the run: fixed at the first step (from the spectrum) and carried by checkpoints (state/restore).
  let ridge: number | undefined = a.ridgeFromSpectrum ? undefined : a.ridge;
  /**
   * The step on GPU buffers (GPU sessions, the residual distance on rows): class embeddings and text groups from the
   * ensemble kernels, the image attack, both image groups, the image terms (src/methods/aosImageTerms.ts), the prompt
   * attack and λ3 (src/methods/aosTextTerms.ts), the backwards and the three spectra — the values, norms and angles
   * left on the GPU as the step's `pending` scalars. Only a ridge taken from the spectrum reads once, at the first step.
   */
  async function deviceStep({ ctx, model, batch, text, step, seed }: Omit<StepInputs, 'debug' | 'replay'>): Promise<StepOutput> {
    const B = batch.images, N = B * V, D = model.dim;
    const t = await text.forwardOnGpu();
    const C = t.classes, G = t.perClass;
    const present = [...new Set(batch.imageLabels)].sort((p, q) => p - q);
    const releases: Array<() => void> = [() => text.releaseGpu(t)];
    const owned: GPUBuffer[] = [];
    const releaseAll = () => {
      for (const r of releases.reverse()) r();
      releases.length = 0;
      ctx.release(...owned);
    };
    try {
      const objective = zeroShotCeObjective(ctx, model, t.classEmb, batch.labels, C);
      const xAdv = await pgdImagesOnGpu(ctx, model, batch.pixels, N, objective, trainAttackOptions(config, seed, step));
      owned.push(xAdv);
      const X = await model.visionForward(batch.pixels, N, { keep: true, host: false });
      const A = await model.visionForward(xAdv, N, { keep: true, host: false });
      const onDevice = (f: typeof X, label: string) => {
        if (f.gpuEmbeds) return f.gpuEmbeds;
        const b = ctx.upload(label, f.embeds);
        owned.push(b);
        return b;
      };
      const Xe = onDevice(X, 'aos.clean.embeds'), Ae = onDevice(A, 'aos.adv.embeds');
      // ρ from the first batch's clean groups (once per run; carried by checkpoints).
      if (ridge === undefined) ridge = resolveRidge(a, normalizeRows(await ctx.readF32(Xe, N * D), N, D).y, B, V, D);
      const rho = ridge;
      const img = await aosImageTerms(ctx, a, {
        clean: Xe, adversarial: Ae, images: B, views: V, dim: D, classEmb: t.classEmb, textGroups: t.unit,
        classes: C, prompts: G, labels: batch.labels, imageLabels: batch.imageLabels, logitScale: model.scale, textGrad: text.trainable, ridge: rho,
      });
      releases.push(() => img.release());
      const advText = textAttack && text.trainable
        ? await aosTextTerm(ctx, model, {
          text: t, ids: text.prompts.ids, cleanUnit: img.cleanUnit, labels: batch.labels, present, dim: D, logitScale: model.scale,
          lambda3: a.lambda3, ridge: rho, attack: { epsRel: a.textEps, alphaRel: a.textAlpha ?? a.textEps, steps: textSteps },
        })
        : undefined;
      if (advText) releases.push(() => advText.release());
      // With λ1 = 0 and λ2 on adversarial groups only, nothing reaches the clean group: no weight gradients for it.
      await model.visionBackward(X.state!, img.gClean ?? img.gAdversarial, { weights: !!img.gClean });
      await model.visionBackward(A.state!, img.gAdversarial, { weights: true });
      await text.backwardOnGpu(t, { classEmb: img.gClassEmb });
      if (advText) await model.textBackward(advText.state, advText.grad, { weights: true });

      // The spectra: each image's groups, its class's text group, and the batch's classes' adversarial text groups.
      const gathered = (label: string, groups: number) => {
        const b = ctx.buffer(`aos.spectra.${label}`, groups * G * D * 4);
        owned.push(b);
        return b;
      };
      const textOfImages = gathered('textOfImages', B);
      const items: Array<{ key: 'advClean' | 'imageText' | 'advText'; x: GPUBuffer; y: GPUBuffer; shape: GroupShape; capacity?: number }> = [
        { key: 'advClean', x: img.advUnit, y: img.cleanUnit, shape: { pairs: B, n: V, m: V, d: D } },
        { key: 'imageText', x: img.cleanUnit, y: textOfImages, shape: { pairs: B, n: V, m: G, d: D } },
      ];
      let advTextGroups: GPUBuffer | undefined, textOfPresent: GPUBuffer | undefined;
      if (advText) {
        advTextGroups = gathered('advText', present.length);
        textOfPresent = gathered('textOfPresent', present.length);
        // Sized for every class: the classes in a batch vary, the metrics ring's slot layout does not.
        items.push({ key: 'advText', x: advTextGroups, y: textOfPresent, shape: { pairs: present.length, n: G, m: G, d: D }, capacity: C });
      }
      await ctx.run('aos.spectra.gather', (rec) => {
        encodeGatherGroups(rec, t.unit, textOfImages, batch.imageLabels, G * D);
        if (advText) {
          encodeGatherGroups(rec, advText.unit, advTextGroups!, present, G * D);
          encodeGatherGroups(rec, t.unit, textOfPresent!, present, G * D);
        }
      });
      const spectra = await groupSpectraOnDevice(ctx, items, 'aos.spectra');
      releases.push(() => spectra.release());

      const nImg = img.parts.length, nText = advText ? advText.parts.length : 0;
      return {
        loss: NaN, terms: {}, termGradNorms: {}, ridge: rho,
        pending: {
          parts: [...img.parts, ...(advText?.parts ?? []), ...spectra.parts],
          finish(v, out) {
            const r = img.finish(v.slice(0, nImg));
            out.terms = { ...r.terms };
            out.termGradNorms = { ...r.termGradNorms };
            out.trainRobustAccuracy = r.trainRobustAccuracy;
            out.loss = a.ceWeight * r.terms.ce + a.lambda1 * (r.terms.advClean ?? 0) + a.lambda2 * (r.terms.imageText ?? 0);
            if (advText) {
              const tr = advText.finish(v.slice(nImg, nImg + nText));
              out.terms.advText = tr.value;
              out.termGradNorms.advText = tr.gradNorm;
              out.loss += a.lambda3 * tr.value;
            }
            const measured = spectra.finish(v.slice(nImg + nText));
            out.angles = {};
            out.spectra = {};
            items.forEach((it, i) => {
              out.angles![it.key] = measured[i].mean;
              out.spectra![it.key] = measured[i].spectrum;
            });
          },
          release: releaseAll,
        },
      };
    } catch (e) {
      releaseAll();
      throw e;
    }
  }

  return {
    name: 'aos',
    config,
    views: V,
    passesPerStep(images: number, prompts: number): PassCounts {
      // Every view: the attack's steps, the adversarial group, the clean group.
      const vision = (attackSteps(config) + 2) * images * V;
      const text = !towers.text ? 0 : prompts * (1 + (textAttack ? textSteps + 1 : 0));
      return { vision, text };
    },
    state: (): Record<string, number> => (ridge === undefined ? {} : { ridge }),
    restore(s) {
      if (a.ridgeFromSpectrum && typeof s.ridge === 'number' && s.ridge > 0 && Number.isFinite(s.ridge)) ridge = s.ridge;
    },
    async computeGradients({ ctx, model, batch, text, step, seed, debug, replay }: StepInputs): Promise<StepOutput> {
      const B = batch.images, N = B * V, D = model.dim, s = model.scale;
      if (batch.views !== V) throw new RangeError(`AoS: batch has ${batch.views} views per image, the method needs ${V}`);
      // GPU sessions: every term on GPU buffers, nothing read back (`deviceStep`); `debug`, replays, pinned targets,
      // the rank-1 ablation and the symmetric distances take the float64 host path below.
      if (!debug && !replay && a.distance === 'residual' && !a.rank1 && model.outputsOnGpu) return deviceStep({ ctx, model, batch, text, step, seed });
      const t = await text.forward();
      const C = t.ens.classes, G = t.ens.perClass;
      const n = a.rank1 ? 1 : V, g = a.rank1 ? 1 : G;
      const objective = zeroShotCeObjective(ctx, model, t.classEmb, batch.labels), attack = trainAttackOptions(config, seed, step);
      return stepWith(replay?.xAdv ?? await pgdImages(ctx, model, batch.pixels, N, objective, attack));

      async function stepWith(xAdv: Float32Array): Promise<StepOutput> {
        const X = await model.visionForward(batch.pixels, N, { keep: true });
        const A = await model.visionForward(xAdv, N, { keep: true });

        const terms: Record<string, number> = {};
        const dbg: Record<string, unknown> = {};
        const rep = (x: Float64Array, groups: number, rows: number) => (a.rank1 ? groupMeans(x, groups, rows, D) : x);
        const unrep = (gr: Float64Array, groups: number, rows: number) => (a.rank1 ? groupMeansBackward(gr, groups, rows, D) : gr);
        const Tn = normalizeRows(t.prompts, C * G, D), Tr = rep(Tn.y, C, G);
        // The directional distance's text targets (no gradient flows into them; a replay may pin them).
        const Tt = replay?.targets?.text ?? Tr;
        const present = [...new Set(batch.imageLabels)].sort((p, q) => p - q);

        // λ3: the prompt attack (class c's prompts maximise the CE of the clean views of class c) and d(T̃_c → T_c),
        // on the host in float64 (the text side is small); `cleanUnit` are the clean views' unit rows [N, D].
        const advTextTerm = async (cleanUnit: ArrayLike<number>, dist: { distance: AosOptions['distance']; ridge: number }) => {
          const objective: EmbeddingObjective = async (embeds) => {
            const ens = ensemble(embeds, C, G, D);
            return ensembleBackward(ens, promptCeRef(cleanUnit, t.ens.classEmb, ens.classEmb, batch.labels, { batch: N, classes: C, dim: D, logitScale: s }));
          };
          const delta = replay?.textDelta ?? await pgdPrompts(ctx, model, text.prompts.ids, C * G, objective, { epsRel: a.textEps, alphaRel: a.textAlpha ?? a.textEps, steps: textSteps });
          const adv = await model.textForward(text.prompts.ids, C * G, delta, { keep: true });
          const TAn = normalizeRows(adv.embeds, C * G, D);
          const TAr = rep(TAn.y, C, G);
          const x = gather(TAr, present, g, D);
          const d3 = await groupDistance(ctx, x, a.distance === 'residual' ? Tt : Tr, { pairs: present.length, n: g, m: g, d: D, targets: C }, present, dist);
          const gTAr = new Float64Array(TAr.length);
          scatterAdd(gTAr, scaled(d3.gx, a.lambda3), present, g, D);
          if (debug) Object.assign(dbg, { advTextGroups: { x, y: gather(Tr, present, g, D), shape: { pairs: present.length, n: g, m: g, d: D }, value: d3.value }, textDelta: delta });
          return { value: d3.value, gT: d3.gy && scaled(d3.gy, a.lambda3), TAn, advText: { state: adv.state!, grad: normalizeRowsBackward(TAn.y, TAn.norms, unrep(gTAr, C, G), C * G, D) } };
        };

        // Principal angles of the batch's groups on the GPU (src/methods/geometry.ts): the mean per pair type, and
        // the spectrum (mean over the groups, index by index); the pair types in one submission and one readback.
        const measureSpectra = async (cleanUnit: ArrayLike<number>, advUnit: ArrayLike<number>, advTextUnit?: ArrayLike<number>) => {
          const items: Array<{ key: 'advClean' | 'imageText' | 'advText'; x: ArrayLike<number>; y: ArrayLike<number>; shape: GroupShape }> = [
            { key: 'advClean', x: advUnit, y: cleanUnit, shape: { pairs: B, n: V, m: V, d: D } },
            { key: 'imageText', x: cleanUnit, y: gather(Tn.y, batch.imageLabels, G, D), shape: { pairs: B, n: V, m: G, d: D } },
          ];
          if (advTextUnit) items.push({ key: 'advText', x: gather(advTextUnit, present, G, D), y: gather(Tn.y, present, G, D), shape: { pairs: present.length, n: G, m: G, d: D } });
          const measured = await groupSpectra(ctx, items);
          const angles: Record<string, number> = {}, spectra: Spectra = {};
          items.forEach((it, i) => {
            angles[it.key] = measured[i].mean;
            spectra[it.key] = measured[i].spectrum;
          });
          return { angles, spectra };
        };

        // Host path: embeddings on the host (a session that kept them on the GPU reads them back here).
        if (!X.embeds.length && X.gpuEmbeds) X.embeds = await ctx.readF32(X.gpuEmbeds, N * D);
        if (!A.embeds.length && A.gpuEmbeds) A.embeds = await ctx.readF32(A.gpuEmbeds, N * D);

        const ce = await zeroShotLoss(ctx, A.embeds, t.classEmb, batch.labels, { batch: N, classes: C, dim: D, logitScale: s, textGrad: text.trainable });
        terms.ce = ce.meanLoss;
        let loss = a.ceWeight * ce.meanLoss;
        const gA = Float64Array.from(ce.gradImages, (v) => a.ceWeight * v);
        const gClassEmb = text.trainable ? Float64Array.from(ce.gradTexts, (v) => a.ceWeight * v) : undefined;
        const termGradNorms: Record<string, number> = { ce: gradNorm(gA, gClassEmb) };

        // Normalised rows and the group representation (rows, or each group's mean for the rank-1 ablation).
        const Xn = normalizeRows(X.embeds, N, D), An = normalizeRows(A.embeds, N, D);
        ridge ??= resolveRidge(a, Xn.y, B, V, D);
        const dist = { distance: a.distance, ridge };
        const Xr = rep(Xn.y, B, V), Ar = rep(An.y, B, V);
        // The directional distance's clean targets (no gradient flows into them; a replay may pin them).
        const Xt = replay?.targets?.clean ?? Xr;
        // Each term's gradient w.r.t. the group rows, kept apart for its norm (on the tower outputs), then summed.
        type Part = { gX?: Float64Array; gA?: Float64Array; gT?: Float64Array };
        const parts: Record<string, Part> = {};
        const imgs = Array.from({ length: B }, (_, b) => b);

        if (a.lambda1 > 0) {
          const d1 = await groupDistance(ctx, Ar, a.distance === 'residual' ? Xt : Xr, { pairs: B, n, m: n, d: D, targets: B }, imgs, dist);
          terms.advClean = d1.value;
          loss += a.lambda1 * d1.value;
          parts.advClean = { gA: scaled(d1.gx, a.lambda1), gX: d1.gy && scaled(d1.gy, a.lambda1) };
          if (debug) dbg.advClean = { x: Ar, y: Xr, shape: { pairs: B, n, m: n, d: D }, value: d1.value };
        }

        if (a.lambda2 > 0) {
          const sets: Array<['gX' | 'gA', Float64Array]> = [];
          if (a.imageTextGroups !== 'adversarial') sets.push(['gX', Xr]);
          if (a.imageTextGroups !== 'clean') sets.push(['gA', Ar]);
          const x = new Float64Array(sets.length * B * n * D), cls: number[] = [];
          sets.forEach(([, src], k) => {
            x.set(src, k * B * n * D);
            cls.push(...batch.imageLabels);
          });
          const d2 = await groupDistance(ctx, x, a.distance === 'residual' ? Tt : Tr, { pairs: cls.length, n, m: g, d: D, targets: C }, cls, dist);
          terms.imageText = d2.value;
          loss += a.lambda2 * d2.value;
          const part: Part = { gT: d2.gy && scaled(d2.gy, a.lambda2) };
          sets.forEach(([key], k) => (part[key] = scaled(d2.gx.subarray(k * B * n * D, (k + 1) * B * n * D), a.lambda2)));
          parts.imageText = part;
          if (debug) dbg.imageText = { x, y: gather(Tr, cls, g, D), shape: { pairs: cls.length, n, m: g, d: D }, value: d2.value };
        }

        let advText: Awaited<ReturnType<typeof advTextTerm>>['advText'] | undefined;
        let TAn: ReturnType<typeof normalizeRows> | undefined;
        if (textAttack && text.trainable) {
          const r = await advTextTerm(Xn.y, dist);
          terms.advText = r.value;
          loss += a.lambda3 * r.value;
          parts.advText = { gT: r.gT };
          advText = r.advText;
          TAn = r.TAn;
        }

        // Back through the group representation and the normalisation, per term (its norm on the tower outputs) and summed.
        const back = {
          gX: (gr: Float64Array) => normalizeRowsBackward(Xn.y, Xn.norms, unrep(gr, B, V), N, D),
          gA: (gr: Float64Array) => normalizeRowsBackward(An.y, An.norms, unrep(gr, B, V), N, D),
          gT: (gr: Float64Array) => normalizeRowsBackward(Tn.y, Tn.norms, unrep(gr, C, G), C * G, D),
        };
        const gX = new Float64Array(N * D), gPromptsAll = new Float64Array(C * G * D);
        for (const [name, part] of Object.entries(parts)) {
          const raws: Float64Array[] = [];
          for (const key of ['gX', 'gA', 'gT'] as const) {
            const gr = part[key];
            if (!gr || (key === 'gT' && !text.trainable)) continue;
            const raw = back[key](gr);
            raws.push(raw);
            axpy(key === 'gX' ? gX : key === 'gA' ? gA : gPromptsAll, raw);
          }
          termGradNorms[name] = gradNorm(...raws, name === 'advText' ? advText?.grad : undefined);
        }
        // With λ1 = 0 and λ2 on adversarial groups only, nothing reaches the clean group: skip its backward.
        await model.visionBackward(X.state!, gX, { weights: gX.some((v) => v !== 0) });
        await model.visionBackward(A.state!, gA, { weights: true });
        await text.backward(t, { classEmb: gClassEmb, prompts: text.trainable ? gPromptsAll : undefined });
        if (advText) await model.textBackward(advText.state, advText.grad, { weights: true });

        const { angles, spectra } = await measureSpectra(Xn.y, An.y, TAn?.y);
        if (debug) Object.assign(dbg, { batch, xAdv, cleanEmbeds: X.embeds, advEmbeds: A.embeds, prompts: t.prompts, ridge, targets: { clean: Xr, text: Tr } });
        return { loss, terms, termGradNorms, ridge, trainRobustAccuracy: ce.accuracy, angles, spectra, debug: debug ? dbg : undefined };
      }
    },
  };
}

function scaled(g: ArrayLike<number>, s: number): Float64Array {
  return Float64Array.from(g, (v) => s * v);
}
