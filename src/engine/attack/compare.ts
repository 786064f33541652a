/**
 * The compare slot ('finetuned'): a model built from a fine-tuning run's checkpoint (src/engine/fineTune.ts:
 * `fineTunedAvailable`, `fineTunedModelFiles`), evaluated on the same images as the model under attack — the clean
 * image and the kept 8-bit adversarial image the attack found on the original model (transfer).
 */
import { runAttack, type AttackResult } from '../../attacks';
import { useExperimentStore } from '../../state/experiment';
import { advIsOf, type CompareOwnAttack, type CompareRunOption } from '../../state/attack';
import { stopCompareBatch } from './compareBatch';
import { plannedAttack, type PlannedAttack } from './plan';
import { argmax, classesKey, probabilities } from './scores';
import { attackModel, buildFromFiles, classEmbeddings, embedHost, releasePrepared } from './slot';
import { message, patchCompare, store, type PlaygroundState } from './state';

/** Runs whose fine-tuned weights can be compared (a checkpoint is stored, the run is not running). */
export async function fineTunedAvailable(st: PlaygroundState): Promise<{ available: boolean; runs: CompareRunOption[]; reason: string }> {
  await st.deps.runs.ensureRunsLoaded();
  return (await st.deps.fineTune()).fineTunedAvailable();
}

/** Refreshes the compare slot's list of runs. */
export async function refreshCompareRuns(st: PlaygroundState): Promise<void> {
  try {
    const a = await fineTunedAvailable(st);
    patchCompare({ runs: a.runs, reason: a.available ? `${a.reason} with a stored checkpoint` : a.reason });
  } catch (e) {
    patchCompare({ runs: [], reason: `the runs could not be read: ${message(e)}` });
  }
}

/** Puts a run's fine-tuned model in the compare slot (null empties it). */
export async function selectCompareRun(st: PlaygroundState, id: string | null): Promise<void> {
  const token = ++st.compareToken;
  stopCompareBatch(st);
  const old = st.comparePrepared;
  st.comparePrepared = null;
  if (old) void releasePrepared(st.serial, old);
  if (!id) {
    patchCompare({ runId: null, status: 'idle', error: null, progress: null, title: null, clean: null, adv: null, own: null, batch: null });
    return;
  }
  const opt = store().compare.runs.find((r) => r.id === id);
  patchCompare({ runId: id, status: 'loading', error: null, progress: 'building the fine-tuned model from the run’s checkpoint…', title: null, clean: null, adv: null, own: null, batch: null });
  try {
    const ft = await st.deps.fineTune();
    const { files, step } = await ft.fineTunedModelFiles(id);
    if (token !== st.compareToken) return;
    const engine = st.prepared?.info.engine ?? store().engine;
    const title = `${opt?.method ?? 'fine-tuned'} · ${opt?.name ?? id} · step ${step}`;
    const map = new Map<string, Uint8Array | string>(Object.entries(files as unknown as Record<string, Uint8Array | string>));
    const p = await buildFromFiles(st.deps.gpu, `finetuned:${id}:${step}|${engine}`, map, {
      slot: 'finetuned', kind: st.prepared?.info.kind ?? 'bundled', title, origin: `checkpoint of run ${opt?.name ?? id} (step ${step})`, notes: [],
    }, engine);
    if (token !== st.compareToken) {
      void releasePrepared(st.serial, p);
      return;
    }
    const base = st.prepared;
    if (base && base.info.inputDims.join('x') !== p.info.inputDims.join('x')) {
      void releasePrepared(st.serial, p);
      throw new Error(`the fine-tuned model reads ${p.info.inputDims.join('×')} images, the model under attack ${base.info.inputDims.join('×')}: they cannot see the same image`);
    }
    st.comparePrepared = p;
    patchCompare({ status: 'ready', title, progress: null });
    await refreshCompare(st);
  } catch (e) {
    if (token === st.compareToken) patchCompare({ status: 'error', error: message(e), progress: null });
  }
}

/** The experiment's attack run against the fine-tuned model itself (white-box) on the current image; not live. */
export async function runCompareAttack(st: PlaygroundState): Promise<void> {
  const p = st.comparePrepared, s = store();
  const img = s.image, cls = s.classes.value;
  if (!p || !img || !cls || s.classes.status !== 'ready') {
    patchCompare({ own: { status: 'error', imageId: img?.id ?? -1, classesKey: '', message: 'choose a fine-tuned model and an image first', describe: '' } });
    return;
  }
  const key = classesKey(cls.names);
  const exp = useExperimentStore.getState().config;
  const K = cls.names.length;
  const trueClass = s.trueClass ?? s.clean?.pred ?? 0;
  const target = exp.attack.targetClass;
  let plan: PlannedAttack;
  try {
    if (target !== null && (target >= K || target === trueClass)) throw new Error(target >= K ? `target class ${target} does not exist` : 'the target class is the true class');
    plan = plannedAttack(exp.attack, K, exp.seed, target !== null);
  } catch (e) {
    patchCompare({ own: { status: 'error', imageId: img.id, classesKey: key, message: message(e), describe: '' } });
    return;
  }
  const token = st.compareToken;
  const patchOwn = (o: CompareOwnAttack) => { if (token === st.compareToken) patchCompare({ own: o }); };
  patchOwn({ status: 'running', imageId: img.id, classesKey: key, message: 'attacking the fine-tuned model…', describe: plan.describe });
  const t0 = performance.now();
  try {
    const texts = await classEmbeddings(st.serial, p, cls.names);
    await st.serial(async () => {
      const { ctx } = p;
      const D = p.info.dim;
      const model = await attackModel(p, 1);
      const pixels = ctx.upload('compare.clean', img.pixels);
      const textBuf = ctx.upload('compare.texts', texts);
      const emb = ctx.buffer('compare.finalEmbeds', D * 4);
      let result: AttackResult | undefined;
      try {
        result = await runAttack(ctx, model, { pixels, labels: Uint32Array.of(trueClass), texts: textBuf, classes: K, logitScale: p.info.logitScale },
          { ...plan.config, targets: target === null ? undefined : Uint32Array.of(target) }, { progressEvery: 0 });
        await model.embed(result.adversarial, emb);
        const xs = await ctx.readF32(result.adversarial, model.n);
        const probs = probabilities(await ctx.readF32(emb, D), texts, K, D, p.info.logitScale);
        let linf = 0;
        for (let j = 0; j < xs.length; j++) linf = Math.max(linf, Math.abs(Math.round(xs[j] * 255) - Math.round(img.pixels[j] * 255)));
        patchOwn({
          status: 'done', imageId: img.id, classesKey: key, describe: plan.describe, probs, pred: argmax(probs), linf255: linf,
          ms: performance.now() - t0, message: `${result.evaluations} forward passes in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
        });
      } finally {
        ctx.release(pixels, textBuf, emb, result?.adversarial);
      }
    });
  } catch (e) {
    patchOwn({ status: 'error', imageId: img.id, classesKey: key, message: message(e), describe: plan.describe });
  }
}

/** The fine-tuned model's probabilities on the current clean image and on the single attack's kept result. */
export async function refreshCompare(st: PlaygroundState): Promise<void> {
  const p = st.comparePrepared, s = store();
  const img = s.image, cls = s.classes.value;
  if (!p || !img || !cls || s.classes.status !== 'ready') return;
  const token = st.compareToken;
  const key = classesKey(cls.names);
  try {
    const texts = await classEmbeddings(st.serial, p, cls.names);
    const K = cls.names.length;
    const probsOf = async (pixels: Float32Array) => probabilities(
      await st.serial(async () => embedHost(p, await attackModel(p, 1), pixels, 1)), texts, K, p.info.dim, p.info.logitScale);
    const c = store().compare;
    let clean = c.clean && c.clean.imageId === img.id && c.clean.classesKey === key ? c.clean : null;
    if (!clean) {
      const probs = await probsOf(img.pixels);
      clean = { imageId: img.id, classesKey: key, probs, pred: argmax(probs) };
    }
    const single = store().single;
    const r = single.status === 'done' && single.imageId === img.id ? single.result : null;
    let adv = r && advIsOf(c.adv, r.bytes) && c.adv?.classesKey === key ? c.adv : null;
    if (r && !adv) {
      const probs = await probsOf(r.pixels);
      adv = { imageId: img.id, classesKey: key, probs, pred: argmax(probs), resultOf: r.bytes };
    }
    if (token !== st.compareToken || store().image?.id !== img.id || classesKey(store().classes.value?.names ?? []) !== key) return;
    patchCompare({ clean, adv, error: null });
  } catch (e) {
    if (token === st.compareToken) patchCompare({ status: 'error', error: message(e) });
  }
}
