/**
 * The shared fine-tuning loop: one step = the method's batch (with its views) → the method's loss terms and
 * gradients (the attack runs inside) → one optimiser update (AdamW or SGD, warm-up + cosine schedule, text tower
 * at lr × textLrMultiplier, global gradient-norm clip) → metrics. Checkpoints hold params, moments, the step and
 * the pass counters; every random draw derives from (seed, step), so a resumed run repeats the exact next step.
 *
 * Budgets are counted in tower passes (`FineTuneModel.passes.train`: images through the vision tower, a forward
 * with or without its backward counting once): `stepsForBudget` turns a pass budget into the steps each method
 * can afford, so methods are compared at equal cost (AoS pays 1 + m views per image).
 */
import type { GpuContext } from '../gpu/context';
import { runAttack } from '../attacks/attack';
import { lrAt } from '../train/schedule';
import { mixSeed } from '../train/data';
import { decodeCheckpoint, encodeCheckpoint } from '../train/checkpoint';
import { attackView } from './attack';
import { createAos } from './aos';
import { resolvedTowers, validateFineTuneConfig, type FineTuneConfig } from './config';
import type { BatchSource } from './data';
import { createFare } from './fare';
import type { FineTuneMethod, StepInputs, StepOutput } from './method';
import type { FineTuneModel, PassCounts } from './model';
import { createPmgAft } from './pmgAft';
import { createTecoa } from './tecoa';
import { ClassText, type ClassPrompts, type PromptSelection } from './text';
import { computeGeometry, type GeometryProbe, type GeometrySnapshot, type ProjectionBasis, type Spectra } from './geometry';
import { inPhase } from './stepPhases';
import { MetricsRing } from './metricsRing';

export function createMethod(config: FineTuneConfig): FineTuneMethod {
  validateFineTuneConfig(config);
  switch (config.method) {
    case 'tecoa': return createTecoa(config);
    case 'pmg-aft': return createPmgAft(config);
    case 'fare': return createFare(config);
    case 'aos': return createAos(config);
  }
}

/** The prompts a method's class embeddings (and AoS's text groups) are made of: the loop's prompt set, shared by every method. */
export function methodPromptSelection(c: FineTuneConfig): PromptSelection {
  return { templates: c.prompts.templates, synonyms: c.prompts.synonyms };
}

/** Steps a method can take within `visionPasses` image passes (its passes per step are constant). */
export function stepsForBudget(method: FineTuneMethod, images: number, prompts: number, visionPasses: number): number {
  const per = method.passesPerStep(images, prompts).vision;
  return Math.max(1, Math.floor(visionPasses / per));
}

export interface ValidationSet {
  /** f32 [n, C, H, W] in [0, 1]. */
  pixels: Float32Array;
  labels: Uint32Array;
}

export interface ValidationMetrics {
  clean: number;
  robust: number;
  /** The attack: PGD-k L∞ at the training ε, CE, worst case over the clean point and every iterate. */
  attack: string;
  warnings: string[];
}

export interface StepMetrics {
  step: number;
  lr: { vision: number; text: number };
  loss: number;
  terms: Record<string, number>;
  trainRobustAccuracy?: number;
  angles?: Record<string, number>;
  /**
   * Principal-angle spectra (degrees, index = angle index, mean over the groups): AoS's training batch every step
   * (GPU); for the other methods, the geometry probe's at the steps it is measured (`geometry` option).
   */
  spectra?: Spectra;
  /** The geometry probe measured after this step's update (every `geometry.every` steps). */
  geometry?: GeometrySnapshot;
  /** Its spectra alone (small: kept when a run's store drops old snapshots). */
  probeSpectra?: Spectra;
  /** The probe measured before this step's update: on the first step of a loop that starts at step 0 (the step-0 snapshot). */
  geometryBefore?: GeometrySnapshot;
  /** ‖g‖ over the trained towers before clipping. */
  gradNorm: number;
  /**
   * Set when ‖g‖ was not finite (NaN/Inf): the GPU masked the update (weights and optimiser moments are those of the
   * step before) and `run` stops with a `NonFiniteStepError` after reporting the step.
   */
  nonFinite?: true;
  /** Per term, ‖∂(weight · term)/∂(tower outputs)‖ (embedding space, see `StepOutput.termGradNorms`); {} if the method gives none. The loop always sets this, `clipFactor` and `distinctImages`; records stored before they existed lack them. */
  termGradNorms?: Record<string, number>;
  /** The global clip's factor min(1, maxGradNorm / ‖g‖) applied to this step's update (1: no clipping configured). */
  clipFactor?: number;
  /** Distinct training images (dataset indices) seen by this run up to and including this step. */
  distinctImages?: number;
  /** AoS: the subspace distance's ridge ρ in force. */
  ridge?: number;
  /** Training passes of this step and cumulative. */
  stepPasses: PassCounts;
  passes: PassCounts;
  val?: ValidationMetrics;
  seconds: number;
}

/** A step whose gradient was NaN/Inf: its update was masked on the GPU, so the weights are the previous step's. */
export class NonFiniteStepError extends Error {
  constructor(readonly metrics: StepMetrics) {
    const bad = Object.entries(metrics.terms).filter(([, v]) => !Number.isFinite(v)).map(([k]) => k);
    super(`step ${metrics.step}: the gradient is not finite (‖g‖ = ${metrics.gradNorm}${bad.length ? `; non-finite terms: ${bad.join(', ')}` : ''}). The update was skipped on the GPU, so the weights are those after step ${metrics.step - 1}; lower the learning rate or the loss weights, or resume from a checkpoint.`);
    this.name = 'NonFiniteStepError';
  }
}

export interface FineTuneLoopOptions {
  config: FineTuneConfig;
  model: FineTuneModel;
  data: BatchSource;
  /** Tokenised prompts for a selection of templates × synonyms of the training classes. */
  prompts: (sel: PromptSelection) => ClassPrompts;
  /** Validation batch (classes = the training data's). */
  validation?: ValidationSet;
  /**
   * Measure the geometry of a fixed probe (src/methods/geometry.ts) every `every` steps (after the update) into
   * `StepMetrics.geometry`. The projection plane is fixed by the loop's first snapshot (`measureGeometry()` before
   * the first step gives the step-0 one). Not counted as training or evaluation passes; not in `seconds`.
   * A function is called once, when the loop is built, with these options (e.g. to build the probe from `data`
   * and `prompts`); undefined: no geometry.
   */
  geometry?: GeometryOption | ((o: FineTuneLoopOptions) => GeometryOption | undefined);
}

export interface GeometryOption {
  every: number;
  probe: GeometryProbe;
  /**
   * The projection plane to keep from the start (e.g. a resumed run's, from its first stored snapshot); default:
   * fixed by the loop's first snapshot. A checkpoint carries the loop's plane and `resume` restores it.
   */
  basis?: ProjectionBasis;
  /**
   * The step-0 snapshot of this very probe on the loop's initial weights, measured before the loop existed (the
   * engine's run preparation, src/engine/prepareRun.ts): taken as the loop's step-0 snapshot instead of measuring
   * the same thing again. Used only before the first step.
   */
  initial?: GeometrySnapshot;
}

/** A plain-data projection plane read back from a checkpoint's `extra` (undefined when absent or malformed). */
export function basisFromExtra(v: unknown): ProjectionBasis | undefined {
  const b = v as ProjectionBasis | undefined;
  const nums = (a: unknown): a is number[] => Array.isArray(a) && a.every((x) => typeof x === 'number' && Number.isFinite(x));
  if (!b || typeof b !== 'object' || !nums(b.mean) || !Array.isArray(b.axes) || b.axes.length !== 2) return undefined;
  if (!b.axes.every((ax) => nums(ax) && ax.length === b.mean.length) || !(Number.isInteger(b.step) && b.step >= 0)) return undefined;
  if (!Array.isArray(b.explained) || b.explained.length !== 2 || !nums(b.explained)) return undefined;
  return { mean: [...b.mean], axes: [[...b.axes[0]], [...b.axes[1]]], step: b.step, explained: [b.explained[0], b.explained[1]] };
}

/** A step whose update is made and whose scalars are on the GPU (in the metrics ring), not yet read. */
interface TakenStep {
  step: number;
  lr: { vision: number; text: number };
  out: StepOutput;
  geometryBefore?: GeometrySnapshot;
  distinctImages: number;
  stepPasses: PassCounts;
  passes: PassCounts;
  /** Host time of the step (computing and encoding; the GPU may still be running it). */
  seconds: number;
}

export class FineTuneLoop {
  readonly method: FineTuneMethod;
  readonly config: FineTuneConfig;
  readonly model: FineTuneModel;
  readonly text: ClassText;
  /** The zero-shot class prompts of validation: every template × every synonym. */
  readonly evalText: ClassText;
  step = 0;
  /** The projection plane of the first geometry snapshot (kept for every later one). */
  geometryBasis: ProjectionBasis | undefined;
  /** The resolved geometry option (undefined: none). */
  readonly geometry: GeometryOption | undefined;
  /** Dataset indices of every training image seen (checkpointed as `extra.seenImages`). */
  readonly seenImages = new Set<number>();
  /** Whether this loop has measured a geometry snapshot (the step-0 one is taken once, before the first step). */
  private measuredGeometry = false;
  /** Steps taken whose metrics are still in the metrics ring (read every k steps by `run`). */
  private taken: TakenStep[] = [];

  private constructor(private readonly ctx: GpuContext, private readonly o: FineTuneLoopOptions) {
    this.config = o.config;
    this.method = createMethod(o.config);
    this.model = o.model;
    const towers = resolvedTowers(o.config);
    if (towers.text !== o.model.text.trainable || towers.vision !== o.model.vision.trainable) {
      throw new RangeError(`FineTuneLoop: the config trains ${JSON.stringify(towers)}, the model ${JSON.stringify({ vision: o.model.vision.trainable, text: o.model.text.trainable })}`);
    }
    this.geometry = typeof o.geometry === 'function' ? o.geometry(o) : o.geometry;
    if (this.geometry && !(Number.isInteger(this.geometry.every) && this.geometry.every >= 1)) throw new RangeError(`FineTuneLoop: geometry.every must be a positive integer, got ${this.geometry.every}`);
    if (this.geometry?.basis) this.geometryBasis = this.geometry.basis;
    this.text = new ClassText(o.model, o.prompts(methodPromptSelection(o.config)), towers.text);
    this.evalText = new ClassText(o.model, o.prompts({}), false);
  }

  static create(ctx: GpuContext, o: FineTuneLoopOptions): FineTuneLoop {
    return new FineTuneLoop(ctx, o);
  }

  /** Passes one step costs, by the method's accounting. */
  get passesPerStep(): PassCounts {
    return this.method.passesPerStep(this.config.batchSize, this.text.batch);
  }

  lrAt(step: number): { vision: number; text: number } {
    const c = this.config;
    const v = lrAt(step, { peak: c.lr, warmupSteps: c.warmupSteps, totalSteps: c.steps, minRatio: c.minLrRatio });
    return { vision: v, text: v * c.textLrMultiplier };
  }

  /**
   * Computes the next step's loss and gradients without updating (tests, diagnostics): values the method left on the
   * GPU are read at once (one readback). Leaves the gradients accumulated.
   */
  async computeStep(debug = false, replay?: StepInputs['replay']): Promise<StepOutput> {
    const out = await this.computeGradients(debug, replay);
    const pending = out.pending;
    if (!pending) return out;
    try {
      const values = await this.ctx.readMany(pending.parts);
      pending.finish(values.map((v) => new Float32Array(v)), out);
    } finally {
      pending.release();
      delete out.pending;
    }
    return out;
  }

  /** The method's loss and gradients for the next step (its values may still be on the GPU: `pending`). */
  private async computeGradients(debug = false, replay?: StepInputs['replay']): Promise<StepOutput> {
    const step = this.step + 1, c = this.config;
    const batch = this.o.data.batch(step, c.batchSize, this.method.views);
    this.model.zeroGrad();
    for (const i of batch.indices) this.seenImages.add(i);
    return this.method.computeGradients({ ctx: this.ctx, model: this.model, batch, text: this.text, step, seed: c.seed, debug, replay });
  }

  /**
   * One optimisation step; validation every `evalEvery` steps. Its metrics are read back at once (one readback with
   * the optimiser's ‖g‖); a non-finite step is reported (`nonFinite`), not thrown.
   */
  async trainStep(): Promise<StepMetrics> {
    const ring = new MetricsRing(this.ctx, 1, 'methods.loop.metrics');
    try {
      const done = await this.takeStep(ring, Infinity);
      return done.length ? done[0] : (await this.readRing(ring))[0];
    } finally {
      this.taken = [];
      ring.release();
    }
  }

  /**
   * Takes one step, its scalars (the method's pending values and the optimiser's ‖g‖ header) captured into `ring`;
   * returns the metrics of the steps read back meanwhile: when the ring was full or of another layout (before this
   * step), or after it when the ring is full, `until` is reached, or this step's validation or geometry is due
   * (they measure the weights right after it).
   */
  private async takeStep(ring: MetricsRing, until: number): Promise<StepMetrics[]> {
    const clock = this.model.phases;
    const before0 = this.geometry && this.step === 0 && !this.measuredGeometry ? await inPhase(clock, 'geometry', () => this.measureGeometry()) : undefined;
    const t0 = performance.now();
    const before = { ...this.model.passes.train };
    const out = await this.computeGradients();
    const done: StepMetrics[] = [];
    try {
      const parts = [...(out.pending?.parts ?? []), { buffer: this.model.optimizer.gradNormBuffer, count: 4 }];
      if (!ring.fits(parts)) {
        done.push(...await this.readRing(ring));
        // A non-finite step among them stops here: this step's gradients are dropped, its update never made.
        if (done.some((m) => m.nonFinite)) return done;
      }
      const step = this.step + 1;
      const lr = this.lrAt(step);
      await this.model.updateOnGpu(step, lr, (rec) => ring.encode(rec, parts));
      this.step = step;
      const p = this.model.passes.train;
      this.taken.push({
        step, lr, out, geometryBefore: before0, distinctImages: this.seenImages.size, seconds: (performance.now() - t0) / 1000,
        stepPasses: { vision: p.vision - before.vision, text: p.text - before.text }, passes: { ...p },
      });
    } finally {
      out.pending?.release();
    }
    const step = this.step, every = this.config.evalEvery, g = this.geometry;
    const due = (!!this.o.validation && every > 0 && step % every === 0) || (!!g && step % g.every === 0);
    if (ring.full || due || step >= until) done.push(...await this.readRing(ring));
    return done;
  }

  /**
   * Reads the ring (one readback) and completes the steps taken since the last read, in order. At the first
   * non-finite step it stops: that step's update and every later one were masked on the GPU (the flag is sticky), so
   * the loop goes back to that step (weights after the step before it; later steps' images and passes stay counted)
   * and clears the flag.
   */
  private async readRing(ring: MetricsRing): Promise<StepMetrics[]> {
    const slots = await ring.read();
    const taken = this.taken;
    this.taken = [];
    if (slots.length !== taken.length) throw new Error(`FineTuneLoop: ${slots.length} metric slots read for ${taken.length} steps taken`);
    const done: StepMetrics[] = [];
    for (let i = 0; i < taken.length; i++) {
      const m = await this.completeStep(taken[i], slots[i]);
      done.push(m);
      if (m.nonFinite) {
        this.step = m.step;
        this.model.optimizer.clearNonFinite();
        break;
      }
    }
    return done;
  }

  /** A taken step's metrics from its slot's values; then its validation and geometry when due. */
  private async completeStep(t: TakenStep, values: Float32Array[]): Promise<StepMetrics> {
    const clock = this.model.phases, out = t.out, t0 = performance.now();
    if (out.pending) out.pending.finish(values.slice(0, -1), out);
    const header = values[values.length - 1];
    const gradNorm = header[0];
    const maxG = this.config.maxGradNorm;
    const clipFactor = maxG !== undefined && gradNorm > 0 ? Math.min(1, maxG / gradNorm) : 1;
    const m: StepMetrics = {
      step: t.step, lr: t.lr, loss: out.loss, terms: out.terms, trainRobustAccuracy: out.trainRobustAccuracy, angles: out.angles, spectra: out.spectra, gradNorm,
      termGradNorms: { ...(out.termGradNorms ?? {}) }, clipFactor, distinctImages: t.distinctImages,
      ...(out.ridge !== undefined ? { ridge: out.ridge } : {}),
      stepPasses: t.stepPasses, passes: t.passes, seconds: 0,
    };
    if (header[3] !== 0 || !Number.isFinite(gradNorm)) m.nonFinite = true;
    const every = this.config.evalEvery, step = t.step;
    if (this.o.validation && every > 0 && step % every === 0 && !m.nonFinite) m.val = await inPhase(clock, 'validation', () => this.validate());
    m.seconds = t.seconds + (performance.now() - t0) / 1000;
    const g = this.geometry;
    if (t.geometryBefore) m.geometryBefore = t.geometryBefore;
    if (g && step % g.every === 0 && !m.nonFinite) {
      m.geometry = await inPhase(clock, 'geometry', () => this.measureGeometry());
      m.probeSpectra = m.geometry.spectra;
      if (!m.spectra) m.spectra = m.geometry.spectra;
    }
    if (!m.spectra) delete m.spectra;
    return m;
  }

  /** The geometry probe's snapshot of the current model (step = steps taken); the first one fixes the plane. */
  async measureGeometry(): Promise<GeometrySnapshot> {
    const g = this.geometry;
    if (!g) throw new Error('FineTuneLoop.measureGeometry: no geometry probe configured');
    const snap = this.step === 0 && g.initial ? g.initial : await computeGeometry(this.ctx, this.model, g.probe, { step: this.step, basis: this.geometryBasis });
    this.measuredGeometry = true;
    this.geometryBasis ??= { mean: snap.projection.mean, axes: snap.projection.axes, step: snap.projection.step, explained: snap.projection.explained };
    return snap;
  }

  /** Clean and robust zero-shot accuracy of the current model on the validation batch (the attacks' bookkeeping). */
  async validate(): Promise<ValidationMetrics> {
    const v = this.o.validation;
    if (!v) throw new Error('FineTuneLoop.validate: no validation set');
    const ctx = this.ctx, c = this.config, n = v.labels.length;
    const classEmb = await this.classEmbeddings();
    const texts = ctx.upload('methods.val.texts', classEmb);
    const pixels = ctx.upload('methods.val.pixels', v.pixels);
    const steps = c.valAttackSteps;
    try {
      const r = await runAttack(ctx, attackView(ctx, this.model, n), { pixels, labels: v.labels, texts, classes: this.evalText.prompts.classes, logitScale: this.model.scale },
        { method: 'pgd', norm: 'linf', eps: c.attack.eps, steps, loss: 'ce', seed: mixSeed(c.seed, 0x7a1) });
      ctx.release(r.adversarial);
      return { clean: r.cleanAccuracy, robust: r.robustAccuracy, attack: `PGD-${steps} L∞ ε=${(c.attack.eps * 255).toFixed(2)}/255 CE`, warnings: r.warnings.map((w) => w.code) };
    } finally {
      ctx.release(texts, pixels);
    }
  }

  /** Zero-shot class embeddings (every template × synonym) from the current text tower. */
  async classEmbeddings(): Promise<Float32Array> {
    this.evalText.invalidate();
    return (await this.evalText.forward('eval')).classEmb;
  }

  /**
   * Runs `steps` more steps (default: to the config's total). `metricsEvery` k: the steps' metrics stay on the GPU
   * (a ring, src/methods/metricsRing.ts) and are read every k steps — a step then reads nothing back — and `onStep`
   * is called for each of them at that read (and before any validation or geometry snapshot, which read the weights).
   * A non-finite step stops the run with a `NonFiniteStepError` at the read that finds it.
   */
  async run(o: { steps?: number; onStep?: (m: StepMetrics) => void | Promise<void>; signal?: AbortSignal; metricsEvery?: number } = {}): Promise<StepMetrics[]> {
    const out: StepMetrics[] = [];
    const until = o.steps !== undefined ? this.step + o.steps : this.config.steps;
    const ring = new MetricsRing(this.ctx, o.metricsEvery ?? 1, 'methods.loop.metrics');
    const deliver = async (ms: StepMetrics[]) => {
      for (const m of ms) {
        out.push(m);
        await o.onStep?.(m);
        if (m.nonFinite) throw new NonFiniteStepError(m);
      }
    };
    try {
      while (this.step < until) {
        if (o.signal?.aborted) break;
        await deliver(await this.takeStep(ring, until));
      }
      await deliver(await this.readRing(ring));
    } finally {
      this.taken = [];
      ring.release();
    }
    return out;
  }

  /**
   * Checkpoint bytes (src/train/checkpoint format: params and moments of both towers, vision first). `extra` also
   * carries the geometry projection plane (`geometryBasis`) once one is fixed, so a resumed loop keeps it, and the
   * settings the method fixed while running (`methodState`: AoS's 'auto' ridge).
   */
  async checkpoint(extra: Record<string, unknown> = {}): Promise<Uint8Array> {
    const state = await this.model.state(this.step);
    const plane = this.geometryBasis ? { geometryBasis: this.geometryBasis } : {};
    const methodState = this.method.state?.();
    return encodeCheckpoint(state, this.config.seed, { ...extra, ...plane, ...(methodState ? { methodState } : {}), method: this.config.method, passes: this.model.passes, config: this.config, seenImages: [...this.seenImages].sort((a, b) => a - b) });
  }

  /** Restores a checkpoint of the same method and model (built from the same original weights). */
  async resume(bytes: Uint8Array): Promise<void> {
    const ck = decodeCheckpoint(bytes);
    if (ck.meta.extra.method !== this.config.method) throw new RangeError(`resume: checkpoint of '${String(ck.meta.extra.method)}', this loop runs '${this.config.method}'`);
    if (ck.meta.seed !== this.config.seed) throw new RangeError(`resume: checkpoint seed ${ck.meta.seed}, config seed ${this.config.seed}`);
    await this.model.loadState(ck.state);
    this.step = ck.meta.step;
    const passes = ck.meta.extra.passes as FineTuneModel['passes'] | undefined;
    if (passes) {
      Object.assign(this.model.passes.train, passes.train);
      Object.assign(this.model.passes.eval, passes.eval);
    }
    // The plane of the run's first snapshot (checkpoints written before any snapshot, or by older versions, have
    // none: the loop keeps the plane it has — the option's `basis` — or fixes one at its next snapshot).
    // Older checkpoints have no `seenImages`: the count then restarts from this loop's batches.
    this.seenImages.clear();
    const seen = ck.meta.extra.seenImages;
    if (Array.isArray(seen)) for (const i of seen) if (Number.isInteger(i)) this.seenImages.add(i as number);
    const plane = basisFromExtra(ck.meta.extra.geometryBasis);
    if (plane) this.geometryBasis = plane;
    const methodState = ck.meta.extra.methodState;
    if (methodState && typeof methodState === 'object') this.method.restore?.(methodState as Record<string, unknown>);
    this.text.invalidate();
  }
}
