/**
 * Batch robust accuracy of the compare slot's fine-tuned model, beside the original model's (./batch.ts): the same
 * attack settings and the same balanced batch of test images, attacked on the fine-tuned model itself (white-box).
 * When the original model's batch ran on the same images, its kept 8-bit adversarial images are also shown to the
 * fine-tuned model (transfer), which costs one forward pass.
 */
import { runAttack, type AttackResult } from '../../attacks';
import { useExperimentStore } from '../../state/experiment';
import type { CompareBatch } from '../../state/attack';
import { balancedIndices, datasetInput } from './images';
import { plannedAttack } from './plan';
import { argmax, probabilities } from './scores';
import { attackModel, classEmbeddings, embedHost } from './slot';
import { message, patchCompare, store, type PlaygroundState } from './state';

/** Stops the fine-tuned model's batch run (its own Stop: the original model's runs are not touched). */
export function stopCompareBatch(st: PlaygroundState): void {
  const e = new Error('stopped');
  e.name = 'AbortError';
  st.compareBatchAbort?.abort(e);
  st.compareBatchAbort = null;
}

/** Runs the experiment's attack on a batch against the fine-tuned model; reports in `compare.batch`. */
export async function runCompareBatchAttack(st: PlaygroundState): Promise<void> {
  const p = st.comparePrepared, s = store(), ds = s.picker.value;
  const report = (b: CompareBatch) => { if (token === st.compareToken && st.compareBatchAbort === abort) patchCompare({ batch: b }); };
  const base: CompareBatch = {
    status: 'error', message: '', describe: '', size: s.batchSize, from: s.batchFrom, indices: [],
    cleanAccuracy: null, robustAccuracy: null, robust8bit: null, transferAccuracy: null,
  };
  if (!p || !ds) {
    patchCompare({ batch: { ...base, message: 'choose a fine-tuned model and wait for the test split first' } });
    return;
  }
  const exp = useExperimentStore.getState().config;
  const names = [...ds.classes], K = names.length, size = s.batchSize, D = p.info.dim;
  const target = exp.attack.targetClass;
  const indices = balancedIndices(ds.labels, K, size, s.batchFrom);
  let plan;
  try {
    if (target !== null && target >= K) throw new Error(`target class ${target} does not exist: the dataset has ${K} classes`);
    if (indices.length < size) throw new Error(`only ${indices.length} test images from position ${s.batchFrom} of each class: lower the start`);
    plan = plannedAttack(exp.attack, K, exp.seed, target !== null);
  } catch (e) {
    patchCompare({ batch: { ...base, message: message(e) } });
    return;
  }
  stopCompareBatch(st);
  const abort = (st.compareBatchAbort = new AbortController());
  const token = st.compareToken;
  const run: CompareBatch = { ...base, status: 'running', describe: plan.describe, indices, message: 'attacking the fine-tuned model on the batch…' };
  report(run);
  const [C, H, W] = p.info.inputDims, n = C * H * W;
  const labels = Uint32Array.from(indices, (i) => ds.labels[i]);
  const pixelsHost = new Float32Array(size * n);
  indices.forEach((idx, b) => pixelsHost.set(datasetInput(ds, idx, p).pixels, b * n));
  // The original model's kept adversarial batch, when it attacked these very images.
  const b0 = s.batch;
  const sameBatch = b0.status === 'done' && b0.tiles.length === size && b0.tiles.every((t, i) => t.index === indices[i]);
  const t0 = performance.now();
  try {
    const texts = await classEmbeddings(st.serial, p, names);
    await st.serial(async () => {
      if (abort.signal.aborted) throw abort.signal.reason;
      const { ctx } = p;
      const model = await attackModel(p, size);
      let transferAccuracy: number | null = null;
      if (sameBatch) {
        const adv = new Float32Array(size * n);
        b0.tiles.forEach((t, i) => adv.set(t.pixels, i * n));
        const pr = probabilities(await embedHost(p, model, adv, size), texts, K, D, p.info.logitScale);
        transferAccuracy = labels.reduce((a, l, i) => a + (argmax(pr, i * K, K) === l ? 1 : 0), 0) / size;
      }
      const pixels = ctx.upload('compare.batch', pixelsHost);
      const textBuf = ctx.upload('compare.batchTexts', texts);
      let result: AttackResult | undefined;
      try {
        result = await runAttack(ctx, model, { pixels, labels, texts: textBuf, classes: K, logitScale: p.info.logitScale },
          { ...plan.config, targets: target === null ? undefined : new Uint32Array(size).fill(target) }, {
            signal: abort.signal, progressEvery: 1,
            onProgress: (pr) => report({ ...run, transferAccuracy, message: pr.step < 0 ? 'clean evaluation' : `restart ${pr.restart + 1}/${exp.attack.restarts} · step ${pr.step}/${pr.steps} · robust so far ${(100 * pr.robustAccuracy).toFixed(1)}%` }),
          });
        report({
          ...run, status: 'done', transferAccuracy, cleanAccuracy: result.cleanAccuracy, robustAccuracy: result.robustAccuracy,
          robust8bit: result.snapped?.robustAccuracy ?? null,
          message: `${result.evaluations} forward passes of ${size} images in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
        });
      } finally {
        ctx.release(pixels, textBuf, result?.adversarial);
      }
    });
  } catch (e) {
    const stopped = (e as Error)?.name === 'AbortError' || abort.signal.aborted;
    report({ ...run, status: stopped ? 'stopped' : 'error', message: stopped ? 'stopped: no robust accuracy (the run did not finish)' : message(e) });
  } finally {
    if (st.compareBatchAbort === abort) st.compareBatchAbort = null;
  }
}
