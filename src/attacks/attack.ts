/**
 * Batched adversarial attacks on the pixels of a frozen CLIP vision tower, against zero-shot classification by
 * class-prompt embeddings, all on the GPU:
 *   - PGD (L∞ / L2, random starts, per-sample ε and α), APGD (Croce & Hein 2020: step size 2ε halved at the
 *     checkpoints, momentum 0.75, restarts from the best point), Square-style random search (L∞, gradient-free);
 *   - objectives: zero-shot cross-entropy (the zeroShot kernel), C&W margin, DLR; untargeted or targeted;
 *   - worst-case bookkeeping per sample over the clean input and every evaluated point (attack_track.wgsl), so
 *     robust accuracy ≤ clean accuracy and more steps or restarts never raise it;
 *   - progress per evaluation, AbortSignal, warnings when the loss stops rising (gradient masking), and optional
 *     snapping of the result to the 8-bit grid with re-verification.
 * Per step: the forward session writes the embeddings into our buffer, one submit computes logits, the objective,
 * its gradient w.r.t. the embeddings and the bookkeeping, the backward session gives ∂/∂pixels, one submit steps.
 */
import type { GpuContext, Recorder } from '../gpu/context';
import { encodePgdRandomStart, encodePgdStep } from '../kernels/pgd';
import {
  createZeroShotWorkspace, encodeZeroShotLoss, releaseZeroShotWorkspace, type ZeroShotShape,
} from '../kernels/zeroShot';
import {
  APGD_STATE, TRACK_STATS, apgdCheckpoints, encodeApgdCheckpoint, encodeApgdRecord, encodeApgdStep,
  encodeSnap8bit, encodeSquareAccept, encodeSquareInit, encodeSquarePropose, encodeTrackSummary, encodeTrackUpdate,
  squareSide, type ApgdBuffers, type AttackNorm, type TrackBuffers, type TrackShape,
} from './kernels';
import { ObjectiveRunner, type AttackLoss } from './objective';
import type { AttackTarget } from './model';

export type AttackMethod = 'pgd' | 'apgd' | 'square';
export type { AttackLoss, AttackNorm };

export interface AttackConfig {
  method: AttackMethod;
  /** Default 'linf'. Square is L∞ only. */
  norm?: AttackNorm;
  /** Budget per sample (or one for all), in [0, 1] pixel units. */
  eps: number | ArrayLike<number>;
  /** PGD step size (default 2.5 ε / steps). APGD adapts its own (starting at etaInit · ε). */
  alpha?: number | ArrayLike<number>;
  /** Iterations per restart (Square: queries per restart). 0 evaluates the start point only. */
  steps: number;
  /** Default 1. Restarts keep the bookkeeping: the result is the worst case over all of them. */
  restarts?: number;
  /** Start in a random point of the ε-ball (PGD, APGD; default true). */
  randomStart?: boolean;
  /** Default 'ce' for PGD/APGD, 'margin' for Square. */
  loss?: AttackLoss;
  /** Target class per sample: a targeted attack (the goal is predicted == target). */
  targets?: Uint32Array | GPUBuffer;
  /** C&W margin cap κ (objective = min(margin, κ)); default ∞. */
  kappa?: number;
  /** APGD: initial step size / ε (2), momentum weight (0.75), condition-1 threshold ρ (0.75). */
  etaInit?: number;
  momentum?: number;
  rho?: number;
  /** Square: initial fraction of pixels per square (default 0.3). */
  squareP?: number;
  seed?: number;
  /** Round the result to multiples of 1/255 inside the budget and re-verify it. */
  snap8bit?: boolean;
}

export interface AttackInputs {
  /** f32 [batch, C, H, W] in [0, 1]: the clean images. Not modified. */
  pixels: GPUBuffer;
  /** True class per sample. */
  labels: Uint32Array | GPUBuffer;
  /** f32 [classes, dim]: class-prompt embeddings (raw; normalised inside). */
  texts: GPUBuffer;
  classes: number;
  /** Logit scale s: logits = s · cos (CLIP: exp(logit_scale)). */
  logitScale: number;
}

export interface AttackProgress {
  restart: number;
  /** Iteration within the restart (0 = start point; -1 = the clean evaluation). */
  step: number;
  steps: number;
  /** Forward passes so far (the clean one included). */
  evaluations: number;
  /** Mean objective (oriented: the attack maximises it) at the current points. */
  meanLoss: number;
  /** Worst-case accuracy so far. */
  robustAccuracy: number;
  /** Accuracy at the current points. */
  accuracy: number;
  /** Fraction of samples whose goal is not reached yet (untargeted: = robustAccuracy). */
  remaining: number;
}

/**
 * - 'loss-not-rising': a restart's mean objective never rose above its start value;
 * - 'samples-stuck': samples never fooled whose objective never rose above its clean value (zero gradients:
 *   saturated softmax, non-differentiable pre-processing… — the classic signature of gradient masking);
 * - 'loss-stalled': the mean objective stopped rising for the second half of a restart while unfooled samples remain.
 */
export type AttackWarningCode = 'loss-not-rising' | 'samples-stuck' | 'loss-stalled';

export interface AttackWarning {
  code: AttackWarningCode;
  /** The restart concerned (-1: the whole attack). */
  restart: number;
  message: string;
  /** 'samples-stuck': the samples concerned. */
  samples?: number[];
}

export interface SnapReport {
  /** 1 where the snapped image reaches the goal (verified by a fresh forward pass). */
  success: Uint32Array;
  /** 1 where the clean image and the snapped image are both classified correctly. */
  robustCorrect: Uint32Array;
  robustAccuracy: number;
  /** Samples whose goal was reached before snapping but not by the snapped image. */
  lost: number;
  /** Largest excess over the budget (0 when inside; per element L∞, per sample L2). */
  maxViolation: number;
  /** Values not on the 8-bit grid (should be 0). */
  offGrid: number;
}

export interface AttackResult {
  config: AttackConfig;
  cleanAccuracy: number;
  /** Worst case over the clean input and every evaluated point. */
  robustAccuracy: number;
  /** Fraction of samples whose goal was reached at some point. */
  successRate: number;
  cleanCorrect: Uint32Array;
  robustCorrect: Uint32Array;
  success: Uint32Array;
  /** Objective of the kept point per sample. */
  bestObjective: Float32Array;
  /**
   * f32 [batch, C, H, W]: per sample the first point that reached the goal, else the highest-objective point (the
   * snapped image with `snap8bit`). Owned by the caller: `ctx.release(result.adversarial)`.
   */
  adversarial: GPUBuffer;
  trace: AttackProgress[];
  warnings: AttackWarning[];
  evaluations: number;
  snapped?: SnapReport;
}

export interface AttackRunOptions {
  onProgress?: (p: AttackProgress) => void;
  signal?: AbortSignal;
  /**
   * Steps between progress reports (default 1). Each report reads a few floats back from the GPU; 0 reports only
   * the clean and the final point, so the step loop itself never waits on a readback (the loss warnings, built from
   * the reports, then have nothing to go on).
   */
  progressEvery?: number;
}

function perSample(v: number | ArrayLike<number>, batch: number, what: string): Float32Array {
  const out = typeof v === 'number' ? new Float32Array(batch).fill(v) : Float32Array.from(v);
  if (out.length !== batch) throw new RangeError(`attack: ${what} has ${out.length} values, batch is ${batch}`);
  for (const x of out) if (!(x >= 0 && Number.isFinite(x))) throw new RangeError(`attack: ${what} must be finite and ≥ 0, got ${x}`);
  return out;
}

function throwIfAborted(signal?: AbortSignal): void {
  if (!signal?.aborted) return;
  const reason = signal.reason;
  if (reason instanceof Error) throw reason;
  const e = new Error(typeof reason === 'string' ? reason : 'attack aborted');
  e.name = 'AbortError';
  throw e;
}

/**
 * A value "rose" when it exceeds the old one by more than 1e-4 relative plus 1e-7 absolute: relative, because a
 * confidently classified sample's CE is tiny (1e-5) and still informative; the floor, because a CE saturated in f32
 * is exactly 0 and stays 0 (that sample's gradient says nothing any more: masking by rounding).
 */
const riseTol = (v: number) => 1e-4 * Math.abs(v) + 1e-7;

/** Warnings from the per-evaluation trace of one gradient restart (see `AttackWarningCode`). */
export function lossWarnings(trace: readonly AttackProgress[], restart: number): AttackWarning[] {
  const run = trace.filter((p) => p.restart === restart && p.step >= 0);
  if (run.length < 3) return [];
  const last = run[run.length - 1];
  if (last.remaining === 0) return []; // nothing left to attack: a flat loss means nothing
  const f0 = run[0].meanLoss;
  const tol = riseTol;
  const maxF = Math.max(...run.map((p) => p.meanLoss));
  if (!(maxF > f0 + tol(f0))) {
    return [{
      code: 'loss-not-rising', restart,
      message: `restart ${restart}: the mean objective never rose above its start value ${f0.toPrecision(4)} over ${run.length - 1} steps while ${(100 * last.remaining).toFixed(1)}% of the samples were not fooled (zero or misleading gradients: possible gradient masking)`,
    }];
  }
  let best = -Infinity, lastRise = 0, lastAccChange = 0;
  run.forEach((p, i) => {
    if (p.meanLoss > best + tol(best === -Infinity ? 0 : best)) {
      best = p.meanLoss;
      lastRise = i;
    }
    if (i > 0 && p.remaining !== run[i - 1].remaining) lastAccChange = i;
  });
  const steps = run.length - 1, window = Math.max(3, Math.ceil(steps / 2));
  if (steps - lastRise >= window && steps - lastAccChange >= window) {
    return [{
      code: 'loss-stalled', restart,
      message: `restart ${restart}: the mean objective stopped rising after step ${lastRise} of ${steps} (best ${best.toPrecision(4)}) and ${(100 * last.remaining).toFixed(1)}% of the samples stayed unfooled since step ${lastAccChange}`,
    }];
  }
  return [];
}

/** Runs one attack on one batch (the model's batch size). */
export async function runAttack(
  ctx: GpuContext, model: AttackTarget, inputs: AttackInputs, config: AttackConfig, options: AttackRunOptions = {},
): Promise<AttackResult> {
  const B = model.batch, n = model.n, C = inputs.classes;
  const [, channels, height, width] = model.pixelDims;
  const method = config.method;
  if (method !== 'pgd' && method !== 'apgd' && method !== 'square') throw new RangeError(`attack: unknown method '${String(method)}'`);
  const norm: AttackNorm = config.norm ?? 'linf';
  if (norm !== 'linf' && norm !== 'l2') throw new RangeError(`attack: unknown norm '${String(norm)}'`);
  if (method === 'square' && norm !== 'linf') throw new RangeError('attack: the Square-style search is L∞ only');
  const loss: AttackLoss = config.loss ?? (method === 'square' ? 'margin' : 'ce');
  if (loss !== 'ce' && loss !== 'margin' && loss !== 'dlr') throw new RangeError(`attack: unknown loss '${String(loss)}'`);
  const steps = config.steps, restarts = config.restarts ?? 1;
  if (!Number.isInteger(steps) || steps < 0) throw new RangeError(`attack: steps must be an integer ≥ 0, got ${steps}`);
  if (!Number.isInteger(restarts) || restarts < 1) throw new RangeError(`attack: restarts must be an integer ≥ 1, got ${restarts}`);
  if (!Number.isInteger(C) || C < 2) throw new RangeError(`attack: classes must be ≥ 2, got ${C}`);
  const targeted = config.targets !== undefined;
  const eps = perSample(config.eps, B, 'eps');
  const alpha = perSample(config.alpha ?? Array.from(eps, (e) => (2.5 * e) / Math.max(steps, 1)), B, 'alpha');
  const seed = (config.seed ?? 0) >>> 0;
  const randomStart = config.randomStart ?? true;
  const { onProgress, signal } = options;
  const progressEvery = options.progressEvery ?? 1;
  if (!Number.isInteger(progressEvery) || progressEvery < 0) throw new RangeError(`attack: progressEvery must be an integer ≥ 0, got ${progressEvery}`);
  throwIfAborted(signal);

  const owned: GPUBuffer[] = [];
  const buf = (label: string, bytes: number) => {
    const b = ctx.buffer(`attack.${label}`, bytes);
    owned.push(b);
    return b;
  };
  const up = (label: string, data: ArrayBufferView) => {
    const b = ctx.upload(`attack.${label}`, data);
    owned.push(b);
    return b;
  };
  if (inputs.labels instanceof Uint32Array) {
    if (inputs.labels.length !== B) throw new RangeError(`attack: ${inputs.labels.length} labels for batch ${B}`);
    for (const y of inputs.labels) if (y >= C) throw new RangeError(`attack: label ${y} ≥ classes ${C}`);
  }
  if (config.targets instanceof Uint32Array) {
    if (config.targets.length !== B) throw new RangeError(`attack: ${config.targets.length} targets for batch ${B}`);
    for (const t of config.targets) if (t >= C) throw new RangeError(`attack: target ${t} ≥ classes ${C}`);
  }
  const labels = inputs.labels instanceof Uint32Array ? up('labels', inputs.labels) : inputs.labels;
  const targets = config.targets instanceof Uint32Array ? up('targets', config.targets) : config.targets;
  const x0 = inputs.pixels;
  const epsBuf = up('eps', eps), alphaBuf = up('alpha', alpha);
  const x = buf('x', B * n * 4), g = buf('grad', B * n * 4);
  const track: TrackBuffers = { flags: buf('flags', B * 4), best: buf('best', B * 4), xAdv: ctx.buffer('attack.adversarial', B * n * 4) };
  const stats = buf('stats', TRACK_STATS * 4);
  let runner: ObjectiveRunner | undefined;
  let success = false;
  try {
    runner = new ObjectiveRunner(ctx, model, {
      texts: inputs.texts, classes: C, logitScale: inputs.logitScale, loss, labels, targets, kappa: config.kappa,
    });
  } catch (e) {
    ctx.release(...owned, track.xAdv);
    throw e;
  }
  const objective = runner.objective, objSign = runner.objSign;
  const trackShape: TrackShape = { batch: B, n, targeted, objSign };

  let apgd: ApgdBuffers | undefined;
  if (method === 'apgd') {
    apgd = {
      x, x0, g, eps: epsBuf, xPrev: buf('xPrev', B * n * 4), state: buf('apgdState', B * APGD_STATE * 4),
      xMax: buf('xMax', B * n * 4), gMax: buf('gMax', B * n * 4),
    };
  }
  const cand = method === 'square' ? buf('candidate', B * n * 4) : undefined;
  const objCur = method === 'square' ? buf('objCurrent', B * 4) : undefined;
  const squareShape = { batch: B, channels, height, width };

  const trace: AttackProgress[] = [];
  const warnings: AttackWarning[] = [];
  let evaluations = 0;

  /** Forward (+ backward into g when `withGrad`) at `point`, objective, bookkeeping; returns the stats. */
  async function evaluate(point: GPUBuffer, o: { withGrad: boolean; track: boolean; read?: boolean; init?: boolean; after?: (rec: Recorder) => void }) {
    throwIfAborted(signal);
    const r = runner!;
    await r.evaluate(point, o.withGrad ? g : undefined, (rec) => {
      if (o.track) {
        encodeTrackUpdate(rec, point, objective, r.predicted, labels, targets, track, trackShape, !!o.init);
        encodeTrackSummary(rec, objective, r.predicted, labels, track, stats, trackShape);
      }
      o.after?.(rec);
    });
    evaluations++;
    return o.track && o.read !== false ? ctx.readF32(stats, TRACK_STATS) : undefined;
  }

  function report(restart: number, step: number, total: number, s: Float32Array): void {
    const p: AttackProgress = {
      // The rates are counts / batch: rounded to those exact fractions (the f32 sums are exact counts).
      restart, step, steps: total, evaluations, meanLoss: s[0],
      robustAccuracy: Math.round(s[1] * B) / B, accuracy: Math.round(s[2] * B) / B, remaining: Math.round(s[3] * B) / B,
    };
    trace.push(p);
    onProgress?.(p);
  }

  try {
    // The clean input is the first point of the worst case.
    report(0, -1, steps, (await evaluate(x0, { withGrad: false, track: true, init: true }))!);
    const [flagBytes, bestBytes] = await ctx.readMany([{ buffer: track.flags, count: B }, { buffer: track.best, count: B }]);
    const cleanFlags = new Uint32Array(flagBytes), cleanObjective = new Float32Array(bestBytes);
    const pgdShape = { batch: B, n, norm, box: true };
    const checkpoints = new Set(apgdCheckpoints(steps));
    const windowAt = new Map<number, number>();
    [...checkpoints].forEach((w, j, all) => windowAt.set(w, w - (j > 0 ? all[j - 1] : 0)));

    for (let r = 0; r < restarts; r++) {
      if (method === 'square') {
        const rseed = (seed ^ Math.imul(r + 1, 0x9e3779b1)) >>> 0;
        const objSquare = { seed: rseed, objSign };
        await ctx.run('attack.square.init', (rec) => encodeSquareInit(rec, x0, epsBuf, cand!, squareShape, objSquare));
        for (let i = 0; i < Math.max(steps, 1); i++) {
          if (i > 0) {
            const side = squareSide(i, steps, config.squareP ?? 0.3, height, width);
            await ctx.run('attack.square.propose', (rec) => encodeSquarePropose(rec, x0, epsBuf, x, cand!, squareShape, { ...objSquare, iter: i, side }));
          }
          const s = await evaluate(cand!, {
            withGrad: false, track: true,
            after: (rec) => encodeSquareAccept(rec, cand!, objective, x, objCur!, squareShape, { ...objSquare, force: i === 0 }),
          });
          report(r, i, steps, s!);
        }
        continue;
      }

      await ctx.run('attack.start', (rec) => {
        if (randomStart) encodePgdRandomStart(rec, x, x0, epsBuf, pgdShape, { seed, step: r });
        else rec.copy(x0, 0, x, 0, B * n * 4);
      });
      for (let k = 0; k <= steps; k++) {
        const withGrad = k < steps;
        const read = !withGrad || (progressEvery > 0 && k % progressEvery === 0);
        const s = await evaluate(x, { withGrad, track: true, read });
        if (s) report(r, k, steps, s);
        if (!withGrad) break;
        if (method === 'pgd') {
          await ctx.run('attack.pgd.step', (rec) => encodePgdStep(rec, x, x0, g, epsBuf, alphaBuf, pgdShape));
          continue;
        }
        const q = {
          objSign, etaInit: config.etaInit ?? 2, rho: config.rho ?? 0.75, init: k === 0,
          a: k === 0 ? 1 : config.momentum ?? 0.75, window: windowAt.get(k) ?? 0,
        };
        await ctx.run('attack.apgd.step', (rec) => {
          encodeApgdRecord(rec, apgd!, objective, { batch: B, n, norm }, q);
          if (checkpoints.has(k)) encodeApgdCheckpoint(rec, apgd!, { batch: B, n, norm }, q);
          encodeApgdStep(rec, apgd!, { batch: B, n, norm }, q);
        });
      }
      if (Math.max(...eps) > 0) warnings.push(...lossWarnings(trace, r)); // with ε = 0 nothing can move
    }

    const [endFlags, endBest] = await ctx.readMany([{ buffer: track.flags, count: B }, { buffer: track.best, count: B }]);
    const flags = new Uint32Array(endFlags);
    const robustCorrect = flags.map((f) => f & 1);
    const successFlags = flags.map((f) => ((f >> 1) & 1) ^ 1);
    const bestObjective = new Float32Array(endBest);
    if (method !== 'square') {
      const stuck: number[] = [];
      for (let b = 0; b < B; b++) {
        const f0 = cleanObjective[b];
        if (eps[b] > 0 && !successFlags[b] && !(bestObjective[b] > f0 + riseTol(f0))) stuck.push(b);
      }
      if (stuck.length) {
        warnings.push({
          code: 'samples-stuck', restart: -1, samples: stuck,
          message: `${stuck.length} of ${successFlags.reduce((a, v) => a + (v ? 0 : 1), 0)} unfooled samples never raised their objective above its clean value (zero or misleading gradients: possible gradient masking${loss === 'ce' ? '; a CE saturated in float32 stays 0: try the margin or DLR loss' : ''})`,
        });
      }
    }
    const mean = (a: Uint32Array) => a.reduce((s, v) => s + v, 0) / B;
    let adversarial = track.xAdv;
    let snapped: SnapReport | undefined;

    if (config.snap8bit) {
      const xs = ctx.buffer('attack.adversarial8bit', B * n * 4);
      try {
        await ctx.run('attack.snap8bit', (rec) => encodeSnap8bit(rec, track.xAdv, x0, epsBuf, xs, { batch: B, n, norm }));
        await evaluate(xs, { withGrad: false, track: false });
        const pred = await ctx.readU32(runner.predicted, B);
        const y = inputs.labels instanceof Uint32Array ? inputs.labels : await ctx.readU32(labels, B);
        const t = !targeted ? undefined : config.targets instanceof Uint32Array ? config.targets : await ctx.readU32(targets!, B);
        const snapSuccess = pred.map((p, b) => (t ? p === t[b] : p !== y[b]) ? 1 : 0);
        const snapRobust = pred.map((p, b) => (cleanFlags[b] & 1) && p === y[b] ? 1 : 0);
        const [xsHost, x0Host] = [await ctx.readF32(xs, B * n), await ctx.readF32(x0, B * n)];
        let maxViolation = 0, offGrid = 0;
        for (let b = 0; b < B; b++) {
          let dd = 0;
          for (let j = b * n; j < (b + 1) * n; j++) {
            const d = Math.abs(xsHost[j] - x0Host[j]);
            if (norm === 'linf') maxViolation = Math.max(maxViolation, d - eps[b]);
            dd += d * d;
            const v = xsHost[j] * 255;
            if (Math.abs(v - Math.round(v)) > 1e-4) offGrid++;
          }
          if (norm === 'l2') maxViolation = Math.max(maxViolation, Math.sqrt(dd) - eps[b]);
        }
        snapped = {
          success: snapSuccess, robustCorrect: snapRobust, robustAccuracy: mean(snapRobust),
          lost: successFlags.reduce((s, v, b) => s + (v && !snapSuccess[b] ? 1 : 0), 0),
          maxViolation: Math.max(0, maxViolation), offGrid,
        };
        ctx.release(track.xAdv);
        adversarial = xs;
      } catch (e) {
        ctx.release(xs);
        throw e;
      }
    }

    success = true;
    return {
      config,
      cleanAccuracy: mean(cleanFlags.map((f) => f & 1)),
      robustAccuracy: mean(robustCorrect),
      successRate: mean(successFlags),
      cleanCorrect: cleanFlags.map((f) => f & 1),
      robustCorrect,
      success: successFlags,
      bestObjective,
      adversarial,
      trace,
      warnings,
      evaluations,
      snapped,
    };
  } finally {
    runner.release();
    ctx.release(...owned);
    if (!success) ctx.release(track.xAdv);
  }
}

export interface ZeroShotEvaluation {
  predicted: Uint32Array;
  correct: Uint32Array;
  accuracy: number;
  /** f32 [batch, classes] logits. */
  logits: Float32Array;
}

/** Zero-shot predictions of the model on `pixels` (f32 [batch, C, H, W] in [0, 1], e.g. an attack's result). */
export async function evaluateZeroShot(
  ctx: GpuContext, model: AttackTarget, inputs: Omit<AttackInputs, 'labels'> & { labels: Uint32Array },
): Promise<ZeroShotEvaluation> {
  const B = model.batch, C = inputs.classes;
  if (inputs.labels.length !== B) throw new RangeError(`evaluateZeroShot: ${inputs.labels.length} labels for batch ${B}`);
  const shape: ZeroShotShape = { batch: B, classes: C, dim: model.dim, logitScale: inputs.logitScale, imageGrad: false, textGrad: false };
  const ws = createZeroShotWorkspace(ctx, shape, 'evaluate.zeroShot');
  const embeds = ctx.buffer('evaluate.embeds', B * model.dim * 4);
  const labels = ctx.upload('evaluate.labels', inputs.labels);
  try {
    await model.embed(inputs.pixels, embeds);
    await ctx.run('evaluate.zeroShot', (rec) => encodeZeroShotLoss(rec, { images: embeds, texts: inputs.texts, labels }, ws, shape, 'evaluate.zeroShot'));
    const [predictedBytes, logits] = await ctx.readMany([{ buffer: ws.predicted, count: B }, { buffer: ws.logits, count: B * C }]);
    const predicted = new Uint32Array(predictedBytes);
    const correct = predicted.map((p, b) => (p === inputs.labels[b] ? 1 : 0));
    return { predicted, correct, accuracy: correct.reduce((a, v) => a + v, 0) / B, logits: new Float32Array(logits) };
  } finally {
    releaseZeroShotWorkspace(ctx, ws);
    ctx.release(embeds, labels);
  }
}
