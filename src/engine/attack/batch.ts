/** The batch attack: 8–16 test images balanced over the classes, clean vs robust accuracy (float and 8-bit). */
import { runAttack, type AttackResult, type VisionAttackModel } from '../../attacks';
import { emptyBatch, type BatchRun, type BatchTile, type TracePoint } from '../../state/attack';
import { useExperimentStore } from '../../state/experiment';
import { balancedIndices, datasetInput } from './images';
import { plannedAttack, type PlannedAttack } from './plan';
import { argmax, probabilities } from './scores';
import { observed, tracePoint, warningsOf, type Snapshot } from './single';
import { attackModel, classEmbeddings } from './slot';
import { message, patch, patchBatchNow, stopAttack, store, type PlaygroundState } from './state';

/** Attacks a batch of test images at once (the dataset's classes): clean vs robust accuracy. */
export async function runBatchAttack(st: PlaygroundState): Promise<void> {
  const p = st.prepared, s = store(), ds = s.picker.value;
  const size = s.batchSize;
  if (!p || !ds) {
    patchBatchNow({ status: 'error', message: 'the model and the test split must be loaded first' });
    return;
  }
  const exp = useExperimentStore.getState().config;
  const names = [...ds.classes], K = names.length;
  const target = exp.attack.targetClass;
  let plan: PlannedAttack;
  try {
    if (target !== null && target >= K) throw new Error(`target class ${target} does not exist: the dataset has ${K} classes`);
    plan = plannedAttack(exp.attack, K, exp.seed, target !== null);
  } catch (e) {
    patchBatchNow({ status: 'error', message: message(e) });
    return;
  }
  const indices = balancedIndices(ds.labels, K, size, s.batchFrom);
  if (indices.length < size) {
    patchBatchNow({ status: 'error', message: `only ${indices.length} test images from position ${s.batchFrom} of each class: lower the start` });
    return;
  }
  stopAttack(st, 'batch');
  const abort = (st.batchAbort = new AbortController());
  const token = ++st.batchToken;
  const patchBatch = (q: Partial<BatchRun>) => { if (token === st.batchToken) patchBatchNow(q); };
  const [C, H, W] = p.info.inputDims, n = C * H * W, D = p.info.dim;
  const labels = Uint32Array.from(indices, (i) => ds.labels[i]);
  const pixelsHost = new Float32Array(size * n);
  indices.forEach((idx, b) => pixelsHost.set(datasetInput(ds, idx, p).pixels, b * n));
  patch({
    batch: {
      ...emptyBatch(size), status: 'waiting', message: `preparing the attack graphs for a batch of ${size}…`, describe: plan.describe,
      evaluations: 1 + exp.attack.restarts * (exp.attack.steps + 1),
    },
  });
  let texts: Float32Array;
  try {
    texts = await classEmbeddings(st.serial, p, names);
  } catch (e) {
    patchBatch({ status: 'error', message: message(e) });
    return;
  }
  const t0 = performance.now();
  await st.serial(async () => {
    if (abort.signal.aborted) {
      patchBatch({ status: 'stopped', message: 'stopped before the first step' });
      return;
    }
    const { ctx } = p;
    let model: VisionAttackModel;
    try {
      model = await attackModel(p, size);
    } catch (e) {
      patchBatch({ status: 'error', message: message(e) });
      return;
    }
    const predsOf = (emb: Float32Array) => {
      const pr = probabilities(emb, texts, K, D, p.info.logitScale);
      return Array.from({ length: size }, (_, b) => argmax(pr, b * K, K));
    };
    let cleanPred: number[] = [];
    let last: Snapshot | null = null;
    const spy = observed(model, ctx, (snap) => { last = snap; });
    const trace: TracePoint[] = [];
    const pixels = ctx.upload('playground.batch', pixelsHost);
    const textBuf = ctx.upload('playground.batchTexts', texts);
    let result: AttackResult | undefined;
    const tilesOf = (x: Float32Array, preds: number[]): BatchTile[] => indices.map((index, b) => ({
      index, label: labels[b], cleanPred: cleanPred[b] ?? -1, advPred: preds[b], pixels: x.slice(b * n, (b + 1) * n),
    }));
    try {
      patchBatch({ status: 'running', message: 'clean evaluation…' });
      result = await runAttack(ctx, spy, { pixels, labels, texts: textBuf, classes: K, logitScale: p.info.logitScale },
        { ...plan.config, targets: target === null ? undefined : new Uint32Array(size).fill(target) }, {
          signal: abort.signal, progressEvery: 1,
          onProgress: (pr) => {
            trace.push(tracePoint(trace, pr));
            const snap = last as Snapshot | null;
            const preds = snap ? predsOf(snap.e) : [];
            if (pr.step < 0) cleanPred = preds;
            patchBatch({
              trace: trace.slice(), tiles: snap ? tilesOf(snap.x, preds) : [],
              cleanAccuracy: trace[0].robust,
              message: pr.step < 0 ? 'clean evaluation' : `restart ${pr.restart + 1}/${exp.attack.restarts} · step ${pr.step}/${pr.steps} · robust so far ${(100 * pr.robustAccuracy).toFixed(1)}%`,
            });
          },
        });
      const emb = ctx.buffer('playground.batchEmbeds', size * D * 4);
      try {
        await model.embed(result.adversarial, emb);
        const advPred = predsOf(await ctx.readF32(emb, size * D));
        const xs = await ctx.readF32(result.adversarial, size * n);
        patchBatch({
          status: 'done', tiles: tilesOf(Float32Array.from(xs, (v) => Math.round(v * 255) / 255), advPred),
          cleanAccuracy: result.cleanAccuracy, robustAccuracy: result.robustAccuracy, robust8bit: result.snapped?.robustAccuracy ?? null,
          successRate: result.successRate, ms: performance.now() - t0, warnings: warningsOf(result),
          message: `${result.evaluations} forward passes of ${size} images in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
        });
      } finally {
        ctx.release(emb);
      }
    } catch (e) {
      const stopped = (e as Error)?.name === 'AbortError' || abort.signal.aborted;
      // Stopping keeps what the run measured: the worst case so far (the attack's own bookkeeping), which can only
      // fall had it gone on — an upper bound on the robust accuracy, said as such.
      const lastPoint = trace.length > 1 ? trace[trace.length - 1] : null;
      patchBatch({
        status: stopped ? 'stopped' : 'error',
        message: !stopped ? message(e) : lastPoint
          ? `stopped at restart ${lastPoint.restart + 1}, step ${lastPoint.step}: robust so far ${(100 * lastPoint.robust).toFixed(1)}% (at most this: the attack did not finish)`
          : 'stopped before the first attack step: no robust accuracy yet',
      });
    } finally {
      ctx.release(pixels, textBuf, result?.adversarial);
      if (st.batchAbort === abort) st.batchAbort = null;
    }
  });
}
