/**
 * AoS's λ3 term on GPU buffers (the text side of src/methods/aosImageTerms.ts): the prompt attack — L2 PGD on the
 * prompts' token embeddings within ε·‖token embeddings up to EOS‖, ascending the zero-shot CE of the batch's clean
 * views where each view's own class embedding comes from the adversarial text group — then d(T̃_c → T_c) for the
 * classes in the batch with the directional residual distance, its gradient back through the normalisation, and the
 * term's value and gradient norm as `parts` for the loop's next read. Nothing is read back.
 *
 * The same term as the host path of src/methods/aos.ts (`advTextTerm`); tests/methods/gpu-losses.test.ts compares them.
 */
import type { GpuContext } from '../gpu/context';
import { createEnsembleBuffers, encodeEnsemble, encodeEnsembleBackward, releaseEnsembleBuffers, type EnsembleShape } from '../kernels/ensemble';
import { encodeNormalize, encodeNormalizeBackward } from '../kernels/normalize';
import { createGradNormBuffer, encodeGlobalGradNorm } from '../kernels/optim';
import { encodePromptCe } from '../kernels/promptAttack';
import { encodeResidualDistance, residualWorkspace } from '../subspace';
import { pgdPromptsOnGpu, type GpuEmbeddingObjective, type PromptPgdOptions } from './attack';
import { encodeGatherGroups, encodeScatterGroups } from './spectra';
import type { RingPart } from './metricsRing';
import type { FineTuneModel, TowerState } from './model';
import type { GpuTextForward } from './text';

/**
 * The prompt attack's objective on the GPU: prompt embeddings [C·G, D] → ∂CE/∂prompts, the CE of the clean unit views
 * `cleanUnit` [N, D] (class `labels`) against the clean class embeddings with each view's own class taken from the
 * adversarial prompts' ensemble.
 */
export function promptCeObjective(ctx: GpuContext, cleanUnit: GPUBuffer, cleanClassEmb: GPUBuffer, labels: Uint32Array, s: EnsembleShape & { logitScale: number }): GpuEmbeddingObjective {
  const ens = createEnsembleBuffers(ctx, s, 'aos.textAttack.ensemble');
  const N = labels.length;
  const gLabels = ctx.upload('aos.textAttack.labels', labels), coef = ctx.buffer('aos.textAttack.coef', N * 4);
  const gClass = ctx.buffer('aos.textAttack.gClass', s.classes * s.d * 4), grad = ctx.buffer('aos.textAttack.grad', s.classes * s.perClass * s.d * 4);
  return {
    grad,
    encode(rec, embeds) {
      encodeEnsemble(rec, embeds, ens, s, 'aos.textAttack.ensemble');
      encodePromptCe(rec, { unit: cleanUnit, cleanClass: cleanClassEmb, advClass: ens.classEmb, labels: gLabels, coef, gClass }, { batch: N, classes: s.classes, dim: s.d, logitScale: s.logitScale }, 'aos.textAttack.ce');
      encodeEnsembleBackward(rec, ens, gClass, grad, s, 'aos.textAttack.ensembleBackward');
    },
    release() {
      releaseEnsembleBuffers(ctx, ens);
      ctx.release(gLabels, coef, gClass, grad);
    },
  };
}

export interface AosTextTerm {
  /** The term's value (mean over the batch's classes) and its gradient-norm header, for the loop's read. */
  parts: RingPart[];
  finish(values: Float32Array[]): { value: number; gradNorm: number };
  /** Unit rows of the adversarial prompts [C·G, D] (the advText spectrum's input). */
  unit: GPUBuffer;
  /** The adversarial text forward's state and λ3 · ∂d/∂(its raw embeddings), for the text backward. */
  state: TowerState;
  grad: GPUBuffer;
  release(): void;
}

export interface AosTextTermInputs {
  text: GpuTextForward;
  ids: BigInt64Array;
  cleanUnit: GPUBuffer;
  /** Class of every clean view [N]. */
  labels: Uint32Array;
  /** Classes in the batch, ascending (the term's pairs). */
  present: number[];
  dim: number;
  logitScale: number;
  lambda3: number;
  ridge: number;
  attack: PromptPgdOptions;
}

export async function aosTextTerm(ctx: GpuContext, model: FineTuneModel, x: AosTextTermInputs): Promise<AosTextTerm> {
  const C = x.text.classes, G = x.text.perClass, D = x.dim, P = x.present.length, rows = C * G;
  const shape = { classes: C, perClass: G, d: D };
  const objective = promptCeObjective(ctx, x.cleanUnit, x.text.classEmb, x.labels, { ...shape, logitScale: x.logitScale });
  let delta: GPUBuffer;
  try {
    delta = await pgdPromptsOnGpu(ctx, model, x.ids, rows, objective, x.attack);
  } finally {
    objective.release();
  }
  // δ stays alive until the backward (which may read the forward's inputs).
  const owned: GPUBuffer[] = [delta];
  const buf = (label: string, floats: number) => { const b = ctx.buffer(`aos.advText.${label}`, floats * 4); owned.push(b); return b; };
  let state: TowerState | undefined;
  try {
    const adv = await model.textForward(x.ids, rows, delta, { keep: true, host: false });
    state = adv.state!;
    const raw = adv.gpuEmbeds ?? ctx.upload('aos.advText.embeds', adv.embeds);
    if (!adv.gpuEmbeds) owned.push(raw);
    const unit = buf('unit', rows * D), norms = buf('norms', rows), moving = buf('moving', P * G * D), gMoving = buf('gMoving', P * G * D);
    const gUnit = buf('gUnit', rows * D), grad = buf('grad', rows * D), value = buf('value', 1), perPair = buf('perPair', P);
    const normHeader = createGradNormBuffer(ctx, 'aos.advText.gradNorm');
    owned.push(normHeader);
    const targetOf = ctx.upload('aos.advText.targetOf', Uint32Array.from(x.present));
    owned.push(targetOf);
    const rShape = { pairs: P, n: G, m: G, d: D, targets: C };
    const rws = residualWorkspace(ctx, rShape);
    try {
      await ctx.run('aos.advText', (rec) => {
        encodeNormalize(rec, raw, unit, norms, { rows, d: D }, 'aos.advText.normalize');
        encodeGatherGroups(rec, unit, moving, x.present, G * D);
        encodeResidualDistance(rec, { x: moving, y: x.text.unit, targetOf, perPair, value, gx: gMoving }, rws, rShape, { ridge: x.ridge, gradScale: x.lambda3 }, 'aos.advText.distance');
        rec.clear(gUnit);
        encodeScatterGroups(rec, gMoving, gUnit, x.present, G * D);
        encodeNormalizeBackward(rec, unit, norms, gUnit, grad, { rows, d: D }, 'aos.advText.normalizeBackward');
        encodeGlobalGradNorm(rec, grad, normHeader, rows * D, undefined, 'aos.advText.gradNorm');
      });
    } finally {
      rws.release();
    }
    const s = state;
    return {
      parts: [{ buffer: value, count: 1 }, { buffer: normHeader, count: 4 }],
      finish: (v) => ({ value: v[0][0], gradNorm: Math.sqrt(v[1][2]) }),
      unit, state: s, grad,
      release: () => ctx.release(...owned),
    };
  } catch (e) {
    if (state) for (const v of Object.values(state.outputs)) v.dispose();
    ctx.release(...owned);
    throw e;
  }
}
