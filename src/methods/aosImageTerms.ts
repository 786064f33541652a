/**
 * AoS's image-side terms on GPU buffers, for sessions that leave the towers' outputs on the GPU (our executor,
 * onnxruntime-web WebGPU): the zero-shot CE of the adversarial views, λ1 d(A_b → X_b) and λ2 d(X_b, A_b → T_y) with
 * the directional residual distance, their gradients on the tower outputs, and each term's gradient norm — encoded in
 * one submission with nothing read back: the values and norms are `parts` for the loop's next read (a step's pending
 * scalars), the normalised rows stay on the GPU for the prompt attack and the spectra — instead of reading the
 * embeddings back and doing the normalisation and gathering in float64 on the CPU.
 *
 * Same loss as the host path of src/methods/aos.ts (`debug` and the other distances take that path; a test compares
 * the two on the executor): rows are L2-normalised, the text groups are fixed targets (the residual distance sends no
 * gradient into them), the CE weight reaches the CE gradient through per-sample weights.
 */
import type { GpuContext, Recorder } from '../gpu/context';
import { encodeAccumulate } from '../kernels/accumulate';
import { encodeNormalize, encodeNormalizeBackward } from '../kernels/normalize';
import { createGradNormBuffer, encodeGlobalGradNorm } from '../kernels/optim';
import { createZeroShotWorkspace, encodeZeroShotLoss, releaseZeroShotWorkspace } from '../kernels/zeroShot';
import { encodeResidualDistance, residualWorkspace } from '../subspace';
import type { AosOptions } from './config';
import type { RingPart } from './metricsRing';

export interface AosImageTermsInputs {
  /** Raw clean and adversarial view embeddings [B·V, D] (views of an image contiguous). */
  clean: GPUBuffer;
  adversarial: GPUBuffer;
  images: number;
  views: number;
  dim: number;
  /** Class embeddings [C, D] (raw) for the CE, and the L2-normalised text groups [C, G, D] (targets of λ2), on the GPU. */
  classEmb: GPUBuffer;
  textGroups: GPUBuffer;
  classes: number;
  prompts: number;
  /** Class of every view [B·V] and of every image [B]. */
  labels: Uint32Array;
  imageLabels: ArrayLike<number>;
  logitScale: number;
  /** Whether the class embeddings get a gradient (the text tower trains). */
  textGrad: boolean;
  ridge: number;
}

export interface AosImageTerms {
  /** What to read (in order) for `finish`: the CE's summary, each term's value, each gradient-norm header. */
  parts: RingPart[];
  /** Unweighted values (ce, and advClean / imageText when their λ > 0), per-term gradient norms and accuracy. */
  finish(values: Float32Array[]): { terms: Record<string, number>; termGradNorms: Record<string, number>; trainRobustAccuracy: number };
  /** ceWeight · ∂CE/∂classEmb [C, D] when `textGrad` and the CE is weighted (else nothing reaches the class embeddings). */
  gClassEmb?: GPUBuffer;
  /** Normalised clean and adversarial rows [B·V, D] (the prompt attack's and the spectra's inputs). */
  cleanUnit: GPUBuffer;
  advUnit: GPUBuffer;
  /** ∂loss/∂(raw adversarial embeddings) and, when a term reaches them, ∂loss/∂(raw clean embeddings). */
  gAdversarial: GPUBuffer;
  gClean?: GPUBuffer;
  /** Frees every buffer, the two gradients included (after the backward and the loop's read of `parts`). */
  release(): void;
}

/** Encodes the image terms in one submission; reads nothing back. */
export async function aosImageTerms(ctx: GpuContext, a: Pick<AosOptions, 'ceWeight' | 'lambda1' | 'lambda2' | 'imageTextGroups'>, x: AosImageTermsInputs): Promise<AosImageTerms> {
  const B = x.images, V = x.views, N = B * V, D = x.dim, C = x.classes, G = x.prompts;
  const owned: GPUBuffer[] = [];
  const buf = (label: string, floats: number) => { const b = ctx.buffer(`aos.${label}`, floats * 4); owned.push(b); return b; };
  const up = (label: string, data: Float32Array | Uint32Array) => { const b = ctx.upload(`aos.${label}`, data); owned.push(b); return b; };
  const ceShape = { batch: N, classes: C, dim: D, logitScale: x.logitScale, textGrad: x.textGrad };
  const ws = createZeroShotWorkspace(ctx, ceShape, 'aos.ce');
  const weighted = a.ceWeight > 0;
  const inputs = { images: x.adversarial, texts: x.classEmb, labels: up('labels', x.labels), weights: weighted ? up('ceWeights', new Float32Array(N).fill(a.ceWeight)) : undefined };
  const unit = { clean: buf('cleanUnit', N * D), adv: buf('advUnit', N * D) }, norms = { clean: buf('cleanNorms', N), adv: buf('advNorms', N) };
  const gAdversarial = buf('gAdversarial', N * D);
  const normBufs: Record<string, GPUBuffer[]> = { ce: [createGradNormBuffer(ctx, 'aos.norm.ce')] };
  // ∂CE/∂classEmb reaches the text tower only when it trains and the CE is weighted; its norm counts in the CE's.
  const textNorm = x.textGrad && weighted ? createGradNormBuffer(ctx, 'aos.norm.ce.texts') : undefined;
  if (textNorm) normBufs.ce.push(textNorm);
  owned.push(...normBufs.ce);
  const values: Record<string, GPUBuffer> = {};
  const sets: Array<'clean' | 'adv'> = a.lambda2 > 0 ? [...(a.imageTextGroups !== 'adversarial' ? ['clean' as const] : []), ...(a.imageTextGroups !== 'clean' ? ['adv' as const] : [])] : [];
  const gClean = sets.includes('clean') ? buf('gClean', N * D) : undefined;
  const released: Array<() => void> = [() => releaseZeroShotWorkspace(ctx, ws)];
  const rowShape = { rows: N, d: D };

  // A term's gradient on the unit rows → on the raw rows (normalisation backward) → its norm → added into the total.
  const backToRaw = (rec: Recorder, term: string, side: 'clean' | 'adv', gUnit: GPUBuffer, into: GPUBuffer, first: boolean) => {
    const raw = first ? into : buf(`${term}.${side}.raw`, N * D);
    encodeNormalizeBackward(rec, unit[side], norms[side], gUnit, raw, rowShape, `aos.${term}.${side}.normalizeBackward`);
    const nb = createGradNormBuffer(ctx, `aos.norm.${term}.${side}`);
    owned.push(nb);
    (normBufs[term] ??= []).push(nb);
    encodeGlobalGradNorm(rec, raw, nb, N * D, undefined, `aos.norm.${term}.${side}`);
    if (!first) encodeAccumulate(rec, into, raw, { count: N * D }, `aos.${term}.${side}.accumulate`);
  };

  try {
    await ctx.run('aos.imageTerms', (rec) => {
      encodeNormalize(rec, x.clean, unit.clean, norms.clean, rowShape, 'aos.normalize.clean');
      encodeNormalize(rec, x.adversarial, unit.adv, norms.adv, rowShape, 'aos.normalize.adv');
      encodeZeroShotLoss(rec, inputs, ws, ceShape, 'aos.ce');
      encodeGlobalGradNorm(rec, ws.gradImages, normBufs.ce[0], N * D, undefined, 'aos.norm.ce');
      if (textNorm) encodeGlobalGradNorm(rec, ws.gradTexts, textNorm, C * D, undefined, 'aos.norm.ce.texts');
      // The total adversarial gradient starts as the (weighted) CE gradient; without a CE weight it starts at 0.
      if (weighted) rec.copy(ws.gradImages, 0, gAdversarial, 0, N * D * 4);
      else rec.clear(gAdversarial);
      let cleanFirst = true;
      if (a.lambda1 > 0) {
        const shape = { pairs: B, n: V, m: V, d: D, targets: B };
        const rws = residualWorkspace(ctx, shape);
        released.push(() => rws.release());
        const gUnit = buf('advClean.gUnit', N * D);
        values.advClean = buf('advClean.value', 1);
        encodeResidualDistance(rec, { x: unit.adv, y: unit.clean, targetOf: up('advClean.targetOf', Uint32Array.from({ length: B }, (_, b) => b)), perPair: buf('advClean.perPair', B), value: values.advClean, gx: gUnit },
          rws, shape, { ridge: x.ridge, gradScale: a.lambda1 }, 'aos.advClean');
        backToRaw(rec, 'advClean', 'adv', gUnit, gAdversarial, false);
      }
      if (sets.length) {
        // The host path averages over all S·B pairs: each set's mean weighs 1/S.
        const shape = { pairs: B, n: V, m: G, d: D, targets: C };
        const rws = residualWorkspace(ctx, shape);
        released.push(() => rws.release());
        const targets = x.textGroups, targetOf = up('imageText.targetOf', Uint32Array.from(x.imageLabels));
        for (const side of sets) {
          const gUnit = buf(`imageText.${side}.gUnit`, N * D);
          values[`imageText.${side}`] = buf(`imageText.${side}.value`, 1);
          encodeResidualDistance(rec, { x: unit[side], y: targets, targetOf, perPair: buf(`imageText.${side}.perPair`, B), value: values[`imageText.${side}`], gx: gUnit },
            rws, shape, { ridge: x.ridge, gradScale: a.lambda2 / sets.length }, `aos.imageText.${side}`);
          if (side === 'clean') {
            backToRaw(rec, 'imageText', 'clean', gUnit, gClean!, cleanFirst);
            cleanFirst = false;
          } else {
            backToRaw(rec, 'imageText', 'adv', gUnit, gAdversarial, false);
          }
        }
      }
    });

    const names = Object.keys(values), normNames = Object.keys(normBufs);
    const parts: RingPart[] = [
      { buffer: ws.summary, count: 2 },
      ...names.map((k) => ({ buffer: values[k], count: 1 })),
      ...normNames.flatMap((k) => normBufs[k].map((b) => ({ buffer: b, count: 4 }))),
    ];
    const finish = (read: Float32Array[]) => {
      const summary = read[0];
      const value = (k: string) => read[1 + names.indexOf(k)][0];
      // Weighted, the CE's mean is ceWeight · CE; without a weight it ran unweighted (for its value only).
      const terms: Record<string, number> = { ce: weighted ? summary[0] / a.ceWeight : summary[0] };
      if (a.lambda1 > 0) terms.advClean = value('advClean');
      if (sets.length) terms.imageText = sets.reduce((s, side) => s + value(`imageText.${side}`), 0) / sets.length;
      const termGradNorms: Record<string, number> = {};
      let at = 1 + names.length;
      for (const k of normNames) {
        let ss = 0;
        for (let i = 0; i < normBufs[k].length; i++) ss += read[at++][2];
        termGradNorms[k] = Math.sqrt(ss);
      }
      if (!weighted) termGradNorms.ce = 0;
      return { terms, termGradNorms, trainRobustAccuracy: summary[1] };
    };
    return {
      parts, finish, gClassEmb: x.textGrad && weighted ? ws.gradTexts : undefined,
      cleanUnit: unit.clean, advUnit: unit.adv, gAdversarial, gClean,
      release: () => {
        for (const r of released) r();
        ctx.release(...owned);
      },
    };
  } catch (e) {
    for (const r of released) r();
    ctx.release(...owned);
    throw e;
  }
}
