/**
 * The single-image attack, live: `runAttack` with progress every step; a thin observer around the attack model reads
 * back the point and embeddings of each evaluation, so the panel shows the current adversarial image, δ, and the
 * probabilities of every step. The result is snapped to 8 bits and re-evaluated by a fresh forward pass; a stopped
 * attack keeps the best point so far.
 */
import { runAttack, type AttackProgress, type AttackResult, type VisionAttackModel } from '../../attacks';
import type { GpuContext } from '../../gpu/context';
import { emptySingle, type SingleResult, type SingleRun, type TracePoint } from '../../state/attack';
import { useExperimentStore } from '../../state/experiment';
import { yieldToPage } from '../yieldToPage';
import { refreshCompare } from './compare';
import { plannedAttack, type PlannedAttack } from './plan';
import { argmax, goalScore, probabilities } from './scores';
import { attackModel, classEmbeddings } from './slot';
import { message, patch, patchSingleNow, stopAttack, store, type PlaygroundState } from './state';

export interface Snapshot { x: Float32Array; e: Float32Array }

/**
 * The attack model with an observer: after each forward pass the evaluated point and its embeddings are read back
 * (a few KB) and the page gets a turn. Everything else is the model's own (prototype delegation).
 */
export function observed(model: VisionAttackModel, ctx: GpuContext, onEval: (s: Snapshot) => void): VisionAttackModel {
  const spy = Object.create(model) as VisionAttackModel;
  const n = model.batch * model.n, d = model.batch * model.dim;
  const look = async (pixels: GPUBuffer, embeds: GPUBuffer) => {
    onEval({ x: await ctx.readF32(pixels, n), e: await ctx.readF32(embeds, d) });
    await yieldToPage();
  };
  spy.forward = async (pixels, embeds) => {
    const state = await model.forward(pixels, embeds);
    await look(pixels, embeds);
    return state;
  };
  spy.embed = async (pixels, embeds) => {
    await model.embed(pixels, embeds);
    await look(pixels, embeds);
  };
  return spy;
}

export function tracePoint(trace: TracePoint[], pr: AttackProgress): TracePoint {
  return { i: trace.length, restart: pr.restart, step: pr.step, loss: pr.meanLoss, robust: pr.robustAccuracy };
}

export function warningsOf(r: AttackResult): string[] {
  return r.warnings.map((w) => w.message);
}

/** Runs the experiment's attack on the chosen image, live. */
export async function runSingleAttack(st: PlaygroundState): Promise<void> {
  const p = st.prepared, s = store();
  const img = s.image, cls = s.classes.value, clean = s.clean;
  if (!p || !img || !cls || !clean || clean.imageId !== img.id) {
    patchSingleNow({ status: 'error', message: 'choose an image and wait for its clean prediction first' });
    return;
  }
  const exp = useExperimentStore.getState().config;
  const K = cls.names.length;
  const trueClass = s.trueClass ?? clean.pred;
  const target = exp.attack.targetClass;
  let plan: PlannedAttack;
  try {
    if (target !== null && target >= K) throw new Error(`target class ${target} does not exist: there are ${K} classes (0–${K - 1})`);
    if (target !== null && target === trueClass) throw new Error(`the target class is the true class (${cls.names[target]}): pick another target`);
    plan = plannedAttack(exp.attack, K, exp.seed, target !== null);
  } catch (e) {
    patchSingleNow({ status: 'error', message: message(e) });
    return;
  }
  stopAttack(st, 'single');
  const abort = (st.singleAbort = new AbortController());
  const token = ++st.singleToken;
  const patchSingle = (q: Partial<SingleRun>) => { if (token === st.singleToken) patchSingleNow(q); };
  patch({
    single: {
      ...emptySingle(), status: 'waiting', message: 'preparing the attack graphs (forward + backward of the vision tower)…',
      describe: plan.describe, eps: exp.attack.epsilon, norm: plan.norm, steps: exp.attack.steps, restarts: exp.attack.restarts,
      trueClass, target, imageId: img.id,
    },
  });
  const texts = await classEmbeddings(st.serial, p, cls.names);
  const t0 = performance.now();
  await st.serial(async () => {
    if (abort.signal.aborted) {
      patchSingle({ status: 'stopped', message: 'stopped before the first step' });
      return;
    }
    const { ctx } = p;
    const D = p.info.dim;
    let model: VisionAttackModel;
    try {
      model = await attackModel(p, 1);
    } catch (e) {
      patchSingle({ status: 'error', message: message(e) });
      return;
    }
    let last: Snapshot | null = null;
    const spy = observed(model, ctx, (snap) => { last = snap; });
    const trace: TracePoint[] = [];
    const pixels = ctx.upload('playground.clean', img.pixels);
    const textBuf = ctx.upload('playground.texts', texts);
    const emb = ctx.buffer('playground.finalEmbeds', D * 4);
    let result: AttackResult | undefined;
    // The best point evaluated so far (furthest past the goal: `goalScore`): kept if the attack is stopped.
    let best: { x: Float32Array; score: number; restart: number; step: number } | null = null as { x: Float32Array; score: number; restart: number; step: number } | null;
    /** A kept point snapped to 8 bits, classified again with a fresh forward pass, with its budget checked. */
    const keptResult = async (x: Float32Array, o: { evaluations: number; lostBySnapping: number; warnings: string[]; floatIterate?: boolean }): Promise<SingleResult> => {
      const bytes = new Uint8Array(x.length);
      let linf = 0, l2 = 0, offGrid = 0;
      for (let j = 0; j < x.length; j++) {
        const b = Math.min(255, Math.max(0, Math.round(x[j] * 255)));
        bytes[j] = b;
        if (Math.fround(b / 255) !== x[j]) offGrid++;
        const d = b - Math.round(img.pixels[j] * 255);
        linf = Math.max(linf, Math.abs(d));
        l2 += (d / 255) ** 2;
      }
      l2 = Math.sqrt(l2);
      const snapped = Float32Array.from(bytes, (b) => b / 255);
      const xb = ctx.upload('playground.kept', snapped);
      try {
        await model!.embed(xb, emb);
      } finally {
        ctx.release(xb);
      }
      const probs = probabilities(await ctx.readF32(emb, D), texts, K, D, p.info.logitScale);
      const pred = argmax(probs);
      const eps = exp.attack.epsilon;
      const warnings = [...o.warnings];
      // A point kept at a stop is a float iterate, off the grid by nature: rounding it is expected, not a warning.
      if (offGrid && !o.floatIterate) warnings.push(`${offGrid} values of the result were not on the 8-bit grid (rounded here)`);
      return {
        bytes, pixels: snapped, probs, pred, success: target === null ? pred !== trueClass : pred === target,
        linf255: linf, l2, alreadyAtGoal: target === null ? clean.pred !== trueClass : clean.pred === target,
        lostBySnapping: o.lostBySnapping, withinBudget: plan.norm === 'linf' ? linf <= eps * 255 + 1e-6 : l2 <= eps * (1 + 1e-6),
        warnings, ms: performance.now() - t0, evaluations: o.evaluations,
      };
    };
    try {
      patchSingle({ status: 'running', message: 'clean evaluation…' });
      result = await runAttack(ctx, spy, {
        pixels, labels: Uint32Array.of(trueClass), texts: textBuf, classes: K, logitScale: p.info.logitScale,
      }, { ...plan.config, targets: target === null ? undefined : Uint32Array.of(target) }, {
        signal: abort.signal, progressEvery: 1,
        onProgress: (pr) => {
          const snap = last as Snapshot | null;
          const probs = snap ? probabilities(snap.e, texts, K, D, p.info.logitScale) : null;
          trace.push({ ...tracePoint(trace, pr), pTrue: probs?.[trueClass] });
          if (snap && probs && pr.step >= 0) {
            const score = goalScore(probs, trueClass, target);
            if (!best || score > best.score) best = { x: snap.x, score, restart: pr.restart, step: pr.step };
          }
          patchSingle({
            trace: trace.slice(), at: { restart: pr.restart, step: pr.step },
            current: pr.step < 0 ? null : snap?.x ?? null,
            currentProbs: pr.step < 0 ? null : probs,
            message: pr.step < 0 ? 'clean evaluation' : `restart ${pr.restart + 1}/${exp.attack.restarts} · step ${pr.step}/${pr.steps}`,
          });
        },
      });
      const res = await keptResult(await ctx.readF32(result.adversarial, model.n), {
        evaluations: result.evaluations, lostBySnapping: result.snapped?.lost ?? 0, warnings: warningsOf(result),
      });
      patchSingle({
        status: 'done', result: res, current: res.pixels, currentProbs: res.probs,
        message: `${result.evaluations} forward passes in ${(res.ms / 1000).toFixed(1)} s`,
      });
      // Not awaited: its GPU jobs queue behind this one.
      if (token === st.singleToken) void refreshCompare(st);
    } catch (e) {
      const stopped = (e as Error)?.name === 'AbortError' || abort.signal.aborted;
      const at = store().single.at;
      const where = at && at.step >= 0 ? ` at restart ${at.restart + 1}, step ${at.step}` : '';
      const kept = best;
      if (stopped && kept) {
        // Stopping keeps the best point so far (snapped to 8 bits and checked again), not nothing.
        try {
          let res = await keptResult(kept.x, { evaluations: trace.length, lostBySnapping: 0, warnings: [], floatIterate: true });
          // The float point was past the goal (score > 0) but its 8-bit image is not: rounding undid it.
          if (kept.score > 0 && !res.success) res = { ...res, lostBySnapping: 1 };
          patchSingle({
            status: 'stopped', result: res, current: res.pixels, currentProbs: res.probs, at: { restart: kept.restart, step: kept.step },
            message: `stopped${where}: kept the best point so far (restart ${kept.restart + 1}, step ${kept.step})${res.success ? ', which reaches the goal' : ', which does not reach the goal yet'}`,
          });
        } catch (e2) {
          patchSingle({ status: 'stopped', message: `stopped${where}: the best point could not be checked again (${message(e2)})` });
        }
      } else {
        patchSingle({
          status: stopped ? 'stopped' : 'error',
          message: stopped ? `stopped${where}: no step was evaluated, so no result was kept` : message(e),
        });
      }
    } finally {
      ctx.release(pixels, textBuf, emb, result?.adversarial);
      if (st.singleAbort === abort) st.singleAbort = null;
    }
  });
}
