/**
 * The text side of fine-tuning: per class a group of prompts (templates × synonyms, src/data/prompts.ts), their
 * embeddings from the text tower, and the class embeddings of zero-shot classification = the prompt ensemble of
 * the group (normalised mean of normalised prompt embeddings). When the text tower trains, gradients w.r.t. the
 * class embeddings and the prompt embeddings flow back through the ensemble into the text tower; when it is
 * frozen, the embeddings are computed once (not counted in the budget) and reused.
 */
import { PROMPT_TEMPLATES, fillTemplate, synonymsFor } from '../data/prompts';
import type { ClipTokenizer } from '../text/tokenizer';
import { createEnsembleBuffers, encodeEnsemble, encodeEnsembleBackward, ensemble, ensembleBackward, releaseEnsembleBuffers, type Ensemble, type EnsembleBuffers } from '../kernels/ensemble';
import { encodeAccumulate } from '../kernels/accumulate';
import { axpy } from './math';
import type { FineTuneModel, PassKind, TowerState } from './model';

export interface ClassPrompts {
  classes: number;
  /** Prompts per class (templates × synonyms). */
  perClass: number;
  contextLength: number;
  /** [classes · perClass, T] token ids, class-major, template-major within a class. */
  ids: BigInt64Array;
  texts: string[][];
}

export interface PromptSelection {
  /** The first `templates` templates (default all). */
  templates?: number;
  /** The first `synonyms` synonyms of every class (default all; capped at the fewest any class has). */
  synonyms?: number;
  /** Use the lowercased class name for classes without synonyms. */
  fallback?: boolean;
}

/** Prompt texts per class: template-major (group[t·S + s] = template t with synonym s). */
export function promptTexts(classNames: readonly string[], o: PromptSelection = {}): string[][] {
  const templates = PROMPT_TEMPLATES.slice(0, o.templates ?? PROMPT_TEMPLATES.length);
  const syn = classNames.map((c) => synonymsFor(c, o.fallback ?? true));
  const S = Math.min(o.synonyms ?? Infinity, ...syn.map((s) => s.length));
  return syn.map((s) => templates.flatMap((t) => s.slice(0, S).map((w) => fillTemplate(t, w))));
}

/** Tokenised prompt groups for the classes. */
export function classPrompts(tokenizer: ClipTokenizer, classNames: readonly string[], o: PromptSelection = {}): ClassPrompts {
  const texts = promptTexts(classNames, o);
  const tok = tokenizer.tokenize(texts.flat());
  if (tok.truncated.some(Boolean)) throw new RangeError(`classPrompts: a prompt does not fit the context length ${tok.contextLength}`);
  return { classes: classNames.length, perClass: texts[0].length, contextLength: tok.contextLength, ids: tok.inputIds, texts };
}

export interface TextForward {
  /** [classes · perClass, P] raw prompt embeddings. */
  prompts: Float32Array;
  ens: Ensemble;
  /** [classes, P] unit class embeddings (f32, for the GPU kernels). */
  classEmb: Float32Array;
  state?: TowerState;
}

/** `ClassText.forwardOnGpu`'s result: the embeddings on the GPU (valid until `releaseGpu`). */
export interface GpuTextForward {
  classes: number;
  perClass: number;
  /** [classes, P] unit class embeddings. */
  classEmb: GPUBuffer;
  /** [classes · perClass, P] unit prompt rows (AoS's text groups). */
  unit: GPUBuffer;
  /** Trained tower: the forward's state and the ensemble's buffers, for `backwardOnGpu`. */
  state?: TowerState;
  ens?: EnsembleBuffers;
  /** A host session's embeddings uploaded for the ensemble (released with it). */
  uploaded?: GPUBuffer;
}

export class ClassText {
  private frozen: TextForward | undefined;
  /** The frozen tower's class embeddings and unit rows uploaded once (with `frozen`). */
  private frozenGpu: { classEmb: GPUBuffer; unit: GPUBuffer } | undefined;

  constructor(readonly model: FineTuneModel, readonly prompts: ClassPrompts, readonly trainable: boolean) {}

  get batch(): number {
    return this.prompts.classes * this.prompts.perClass;
  }

  /**
   * Prompt and class embeddings with the current (trained) or fixed (frozen) text tower. Passes count as `count`
   * (default: 'train' for a trained tower; 'none' for a frozen one, computed once).
   */
  async forward(count: PassKind = this.trainable ? 'train' : 'none'): Promise<TextForward> {
    if (!this.trainable && this.frozen) return this.frozen;
    const p = this.prompts, D = this.model.dim;
    const f = await this.model.textForward(p.ids, this.batch, undefined, { keep: this.trainable, count });
    const ens = ensemble(f.embeds, p.classes, p.perClass, D);
    const out: TextForward = { prompts: f.embeds, ens, classEmb: Float32Array.from(ens.classEmb), state: f.state };
    if (!this.trainable) this.frozen = out;
    return out;
  }

  /**
   * Backpropagates ∂/∂class embeddings and ∂/∂prompt embeddings into the text weights (trained tower only) and
   * releases the forward state. Call once per `forward` of a trained tower.
   */
  async backward(f: TextForward, g: { classEmb?: ArrayLike<number>; prompts?: ArrayLike<number> }): Promise<void> {
    if (!f.state) return;
    const total = new Float64Array(f.prompts.length);
    if (g.classEmb) axpy(total, ensembleBackward(f.ens, g.classEmb));
    if (g.prompts) axpy(total, g.prompts);
    const state = f.state;
    f.state = undefined;
    await this.model.textBackward(state, total, { weights: true });
  }

  /**
   * `forward` with the embeddings left on the GPU: a trained tower's output goes through the ensemble kernels
   * (src/kernels/ensemble.ts) without a readback; a frozen tower's are computed once and uploaded once.
   */
  async forwardOnGpu(count: PassKind = this.trainable ? 'train' : 'none'): Promise<GpuTextForward> {
    const p = this.prompts, D = this.model.dim, ctx = this.model.ctx, shape = { classes: p.classes, perClass: p.perClass, d: D };
    if (!this.trainable) {
      const f = await this.forward(count);
      this.frozenGpu ??= { classEmb: ctx.upload('methods.text.frozen.classEmb', f.classEmb), unit: ctx.upload('methods.text.frozen.unit', Float32Array.from(f.ens.unit)) };
      return { classes: p.classes, perClass: p.perClass, ...this.frozenGpu };
    }
    const f = await this.model.textForward(p.ids, this.batch, undefined, { keep: true, count, host: false });
    const uploaded = f.gpuEmbeds ? undefined : ctx.upload('methods.text.embeds', f.embeds);
    const ens = createEnsembleBuffers(ctx, shape, 'methods.text.ensemble');
    try {
      await ctx.run('methods.text.ensemble', (rec) => encodeEnsemble(rec, f.gpuEmbeds ?? uploaded!, ens, shape, 'methods.text.ensemble'));
    } catch (e) {
      releaseEnsembleBuffers(ctx, ens);
      if (uploaded) ctx.release(uploaded);
      throw e;
    }
    return { classes: p.classes, perClass: p.perClass, classEmb: ens.classEmb, unit: ens.unit, state: f.state, ens, uploaded };
  }

  /**
   * Backpropagates ∂/∂class embeddings and ∂/∂prompt embeddings (GPU buffers, [classes, P] and [classes · perClass, P])
   * into the text weights (trained tower only), without a readback; disposes the forward state.
   */
  async backwardOnGpu(f: GpuTextForward, g: { classEmb?: GPUBuffer; prompts?: GPUBuffer }): Promise<void> {
    if (!f.state || !f.ens) return;
    const p = this.prompts, D = this.model.dim, ctx = this.model.ctx, rows = this.batch;
    const total = ctx.buffer('methods.text.gPrompts', rows * D * 4);
    const state = f.state;
    f.state = undefined;
    try {
      await ctx.run('methods.text.ensembleBackward', (rec) => {
        if (g.classEmb) encodeEnsembleBackward(rec, f.ens!, g.classEmb, total, { classes: p.classes, perClass: p.perClass, d: D }, 'methods.text.ensembleBackward');
        else rec.clear(total);
        if (g.prompts) encodeAccumulate(rec, total, g.prompts, { count: rows * D }, 'methods.text.addPromptGrads');
      });
      await this.model.textBackward(state, total, { weights: true });
    } finally {
      ctx.release(total);
    }
  }

  /** Frees what `forwardOnGpu` allocated for a trained tower (a frozen tower's buffers stay, cached). */
  releaseGpu(f: GpuTextForward): void {
    if (f.state) for (const v of Object.values(f.state.outputs)) v.dispose();
    f.state = undefined;
    if (f.ens) releaseEnsembleBuffers(this.model.ctx, f.ens);
    if (f.uploaded) this.model.ctx.release(f.uploaded);
    f.ens = undefined;
    f.uploaded = undefined;
  }

  /** The frozen embeddings, if computed, are dropped (e.g. after loading other weights). */
  invalidate(): void {
    this.frozen = undefined;
    if (this.frozenGpu) this.model.ctx.release(this.frozenGpu.classEmb, this.frozenGpu.unit);
    this.frozenGpu = undefined;
  }
}
