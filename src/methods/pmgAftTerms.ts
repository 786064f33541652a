/**
 * PMG-AFT's KL terms on GPU buffers (the GPU form of the host path in src/methods/pmgAft.ts; tests/methods/
 * gpu-losses.test.ts compares them): cosine logits s · î t̂ᵀ of each branch (adversarial, original model,
 * clean) from its tower output, the KL kernel (src/kernels/kl.ts), and the way back through the logits and the
 * normalisations to the embeddings of the branches that train and, with a trained text tower, to the class
 * embeddings. Each term's value and gradient norm are `parts` for the loop's next read; nothing is read back.
 */
import type { GpuContext, Recorder } from '../gpu/context';
import { encodeAccumulate } from '../kernels/accumulate';
import { encodeKl } from '../kernels/kl';
import { encodeMatmul } from '../kernels/matmul';
import { encodeNormalize, encodeNormalizeBackward, DEFAULT_NORMALIZE_EPS } from '../kernels/normalize';
import { createGradNormBuffer, encodeGlobalGradNorm } from '../kernels/optim';
import { statsFloats } from '../kernels/shape';
import type { RingPart } from './metricsRing';

export interface CosShape {
  batch: number;
  classes: number;
  dim: number;
  logitScale: number;
}

/** Cosine logits of one batch of embeddings against the (normalised once) class embeddings. */
export interface CosBranch {
  unit: GPUBuffer;
  norms: GPUBuffer;
  logits: GPUBuffer;
}

/**
 * The KL terms' buffers for one step: the class embeddings' unit rows, a branch per image side, and scratch for the
 * way back. `release` frees all of it except what `parts` still needs (freed by `releaseParts`).
 */
export class PmgAftKlTerms {
  private readonly owned: GPUBuffer[] = [];
  private readonly kept: GPUBuffer[] = [];
  readonly textUnit: GPUBuffer;
  readonly textNorms: GPUBuffer;
  /** Values and gradient-norm headers per term, in the order the terms were encoded. */
  readonly terms: { name: string; stats: GPUBuffer; norms: GPUBuffer[] }[] = [];

  constructor(private readonly ctx: GpuContext, private readonly s: CosShape, private readonly textGrad: boolean) {
    this.textUnit = this.buffer('textUnit', s.classes * s.dim);
    this.textNorms = this.buffer('textNorms', s.classes);
  }

  private buffer(name: string, floats: number, keep = false): GPUBuffer {
    const b = this.ctx.buffer(`pmgAft.${name}`, floats * 4);
    (keep ? this.kept : this.owned).push(b);
    return b;
  }

  private get normShape() {
    return { rows: this.s.batch, d: this.s.dim, eps: DEFAULT_NORMALIZE_EPS };
  }

  /** The class embeddings' unit rows (once per step, before any branch). */
  encodeTexts(rec: Recorder, classEmb: GPUBuffer): void {
    encodeNormalize(rec, classEmb, this.textUnit, this.textNorms, { rows: this.s.classes, d: this.s.dim, eps: DEFAULT_NORMALIZE_EPS }, 'pmgAft.texts');
  }

  /** s · î t̂ᵀ of `embeds` [batch, dim]. */
  encodeBranch(rec: Recorder, name: string, embeds: GPUBuffer): CosBranch {
    const { batch: N, classes: C, dim: D, logitScale } = this.s;
    const b = { unit: this.buffer(`${name}.unit`, N * D), norms: this.buffer(`${name}.norms`, N), logits: this.buffer(`${name}.logits`, N * C) };
    encodeNormalize(rec, embeds, b.unit, b.norms, this.normShape, `pmgAft.${name}.normalize`);
    encodeMatmul(rec, b.unit, this.textUnit, b.logits, { batch: 1, M: N, N: C, K: D, transB: true, alpha: logitScale }, `pmgAft.${name}.logits`);
    return b;
  }

  /**
   * weight · KL(softmax(p) ‖ softmax(q)) (mean over the batch) and its gradient, taken back to the embeddings of the
   * sides listed in `into` (a side missing there is frozen) and, with a trained text tower, to the class embeddings
   * (added into `textGradInto`). The gradient w.r.t. each side's embeddings is added into its buffer.
   */
  encodeKlTerm(
    rec: Recorder, name: string, p: CosBranch, q: CosBranch, weight: number,
    into: { p?: GPUBuffer; q?: GPUBuffer }, textGradInto?: GPUBuffer,
  ): void {
    const { batch: N, classes: C, dim: D, logitScale } = this.s;
    const stats = this.buffer(`${name}.stats`, statsFloats(N), true);
    const dP = this.buffer(`${name}.dP`, N * C), dQ = this.buffer(`${name}.dQ`, N * C);
    encodeKl(rec, { zP: p.logits, zQ: q.logits, dP, dQ, stats }, { batch: N, classes: C, weight }, `pmgAft.${name}.kl`);
    const norms: GPUBuffer[] = [];
    const normOf = (g: GPUBuffer, count: number, what: string) => {
      const h = createGradNormBuffer(this.ctx, `pmgAft.${name}.${what}.gradNorm`);
      this.kept.push(h);
      encodeGlobalGradNorm(rec, g, h, count, undefined, `pmgAft.${name}.${what}.gradNorm`);
      norms.push(h);
    };
    const gradTextUnit = this.textGrad && textGradInto ? this.buffer(`${name}.gradTextUnit`, C * D) : undefined;
    let textParts = 0;
    for (const [side, branch, d, dst] of [['p', p, dP, into.p], ['q', q, dQ, into.q]] as const) {
      if (!dst) continue;
      const gUnit = this.buffer(`${name}.${side}.gradUnit`, N * D), g = this.buffer(`${name}.${side}.grad`, N * D);
      encodeMatmul(rec, d, this.textUnit, gUnit, { batch: 1, M: N, N: D, K: C, alpha: logitScale }, `pmgAft.${name}.${side}.gradUnit`);
      encodeNormalizeBackward(rec, branch.unit, branch.norms, gUnit, g, this.normShape, `pmgAft.${name}.${side}.grad`);
      normOf(g, N * D, side);
      encodeAccumulate(rec, dst, g, { count: N * D }, `pmgAft.${name}.${side}.accumulate`);
      if (gradTextUnit) {
        // Both sides' contributions to ∂/∂t̂ summed before the (linear) normalisation backward.
        const part = textParts++ === 0 ? gradTextUnit : this.buffer(`${name}.${side}.gradTextUnit`, C * D);
        encodeMatmul(rec, d, branch.unit, part, { batch: 1, M: C, N: D, K: N, transA: true, alpha: logitScale }, `pmgAft.${name}.${side}.gradTextUnit`);
        if (part !== gradTextUnit) encodeAccumulate(rec, gradTextUnit, part, { count: C * D }, `pmgAft.${name}.gradTextUnit.accumulate`);
      }
    }
    if (gradTextUnit && textGradInto && textParts > 0) {
      const gText = this.buffer(`${name}.gradText`, C * D);
      encodeNormalizeBackward(rec, this.textUnit, this.textNorms, gradTextUnit, gText, { rows: C, d: D, eps: DEFAULT_NORMALIZE_EPS }, `pmgAft.${name}.gradText`);
      normOf(gText, C * D, 'text');
      encodeAccumulate(rec, textGradInto, gText, { count: C * D }, `pmgAft.${name}.gradText.accumulate`);
    }
    this.terms.push({ name, stats, norms });
  }

  /** Each term's mean KL and its norm headers, for the loop's read (see `finish`). */
  parts(): RingPart[] {
    return this.terms.flatMap((t) => [{ buffer: t.stats, count: 1 }, ...t.norms.map((b) => ({ buffer: b, count: 4 }))]);
  }

  /** Per term, from the values `parts` read: the mean KL and ‖∂(weighted term)/∂(tower outputs)‖. */
  finish(values: Float32Array[]): Record<string, { meanKl: number; gradNorm: number }> {
    const out: Record<string, { meanKl: number; gradNorm: number }> = {};
    let at = 0;
    for (const t of this.terms) {
      const meanKl = values[at++][0];
      let ss = 0;
      for (let k = 0; k < t.norms.length; k++) ss += values[at++][2];
      out[t.name] = { meanKl, gradNorm: Math.sqrt(ss) };
    }
    return out;
  }

  /** Frees the scratch (after the step's last submission that reads it). */
  release(): void {
    this.ctx.release(...this.owned.splice(0));
  }

  /** Frees what `parts` reads (after the loop read it). */
  releaseParts(): void {
    this.ctx.release(...this.kept.splice(0));
  }
}
