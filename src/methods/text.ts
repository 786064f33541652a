/**
 * The text side of fine-tuning: per class a group of prompts (templates × synonyms, src/data/prompts.ts), their
 * embeddings from the text tower, and the class embeddings of zero-shot classification = the prompt ensemble of
 * the group (normalised mean of normalised prompt embeddings). When the text tower trains, gradients w.r.t. the
 * class embeddings and the prompt embeddings flow back through the ensemble into the text tower; when it is
 * frozen, the embeddings are computed once (not counted in the budget) and reused.
 */
import { PROMPT_TEMPLATES, fillTemplate, synonymsFor } from '../data/prompts';
import type { ClipTokenizer } from '../text/tokenizer';
import { ensemble, ensembleBackward, type Ensemble } from '../kernels/ensemble';
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

export class ClassText {
  private frozen: TextForward | undefined;

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

  /** The frozen embeddings, if computed, are dropped (e.g. after loading other weights). */
  invalidate(): void {
    this.frozen = undefined;
  }
}
