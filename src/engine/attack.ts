/**
 * The attack playground's engine (no React): runs src/attacks on the model the workbench shows and reports
 * everything through the attack store (src/state/attack.ts).
 *
 * It runs in the engine Worker (src/engine/bridge); this file is the playground's controller (its commands and
 * the preparation of model, classes and image), the rest is by concern in ./attack/: the model slots (slot.ts), the
 * single attack (single.ts), the batch (batch.ts), the compare slot (compare.ts), images (images.ts), the attack
 * plan (plan.ts), class scores (scores.ts), the PNG (png.ts) and the shared state with its one GPU job queue
 * (state.ts).
 *
 *  - Model: the one the Model panel shows (src/engine/model.ts: the bundled pre-trained tiny CLIP when
 *    public/models/tiny-clip/ exists, else a random-init tiny CLIP built in the browser, or a confirmed URL folder),
 *    validated by the model loader (src/models, `loadClipModel` over the folder's files).
 *  - Classes: prompt-ensembled class embeddings from the text tower (every template of src/data/prompts.ts with the
 *    class's canonical name; each embedding normalised, averaged, renormalised), for the dataset's class names or
 *    names the user typed.
 *  - Image: a test image of the bundled dataset (src/engine/data.ts loading), or any picked or dropped file,
 *    brought to the tower's input size by the CLIP preprocessing (src/image/preprocess.ts) — the attack space is
 *    the [0, 1] pixels at that size.
 *  - Single attack, live: `runAttack` with progress every step; a thin observer around the attack model reads back
 *    the point and embeddings of each evaluation, so the panel shows the current adversarial image, δ, and the
 *    probabilities of every step. The result is snapped to 8 bits, re-evaluated here by a fresh forward pass, and the
 *    PNG download encodes exactly those bytes.
 *  - Batch: 8–16 test images balanced over the classes, clean vs robust accuracy (float worst case and 8-bit
 *    re-verified).
 * GPU work is serialised (one queue per playground). One controller per engine root (./root.ts): its state (the
 * model slots, run tokens, the queue) lives in it, beside its commands.
 */
import type { ImageDataset } from '../data/bundle';
import { promptEnsemble } from '../data/prompts';
import type { ExperimentConfig } from '../experiment';
import { preprocessImage } from '../image/preprocess';
import { defaultEngine } from '../onnx/exec/select';
import { emptyBatch, emptySingle, type AttackEngineKind, type ClassSet, type PlayImage } from '../state/attack';
import { adversarialPng as adversarialPngOf } from './attack/png';
import { runBatchAttack as runBatch } from './attack/batch';
import { refreshCompare, refreshCompareRuns as refreshRuns, runCompareAttack as runCompare, selectCompareRun as selectCompare } from './attack/compare';
import { runCompareBatchAttack as runCompareBatch, stopCompareBatch } from './attack/compareBatch';
import { datasetImage, decodeFile } from './attack/images';
import { argmax, classesKey, parseClassNames, probabilities } from './attack/scores';
import { runSingleAttack as runSingle } from './attack/single';
import { attackModel, buildPrepared, classEmbeddings, embedHost, releasePrepared, type Prepared } from './attack/slot';
import { createPlaygroundState, message, patch, stopAttack as stop, store, type PlaygroundDeps } from './attack/state';
import { settledModel } from './model';

export { fmt255, plannedAttack, type PlannedAttack } from './attack/plan';
export { balancedIndices } from './attack/images';
export { parseClassNames };

export interface PlaygroundRequest {
  model: ExperimentConfig['model'];
  seed: number;
  datasetId: string;
}

export type AttackController = ReturnType<typeof createAttackController>;

export function createAttackController(deps: PlaygroundDeps) {
  const st = createPlaygroundState(deps);
  const { gpuContext } = deps.gpu;
  const { getSplit } = deps.data;
  const { currentFolder, showModel } = deps.model;

  /** The class names in use now: typed ones, else the dataset's. */
  function classNamesNow(ds: ImageDataset | null): { names: string[]; source: ClassSet['source'] } | { error: string } {
    const typed = store().customClasses;
    if (typed !== null) {
      const r = parseClassNames(typed);
      return 'error' in r ? r : { names: r.names, source: 'custom' };
    }
    if (!ds) return { error: 'the dataset is not loaded' };
    return { names: [...ds.classes], source: 'dataset' };
  }

  /**
   * Brings the playground in line with the experiment (model, seed, dataset) and the engine choice: model, test
   * split, class embeddings, a first image and its clean prediction. Later calls supersede earlier ones.
   */
  async function preparePlayground(req: PlaygroundRequest): Promise<void> {
    const gen = ++st.generation;
    const live = () => gen === st.generation;
    if (!st.engineChosen) {
      // Until the user picks one, the engine is the measured default for this adapter (src/onnx/exec/select.ts).
      st.engineChosen = true;
      const d = defaultEngine((await gpuContext()).adapter);
      if (store().engine !== d.engine) patch({ engine: d.engine });
      if (!live()) return;
    }
    const engine = store().engine;
    // Test split for the picker (independent of the model).
    const splitKey = `${req.datasetId}/test`;
    const splitP = (async () => {
      if (store().picker.key === splitKey && store().picker.status === 'ready') return store().picker.value;
      patch({ picker: { status: 'loading', value: null, error: null, key: splitKey, progress: 'downloading, verifying sha256, decoding…' } });
      try {
        const ds = await getSplit(req.datasetId, 'test');
        if (live()) patch({ picker: { status: 'ready', value: ds, error: null, key: splitKey } });
        return ds;
      } catch (e) {
        if (live()) patch({ picker: { status: 'error', value: null, error: message(e), key: splitKey } });
        return null;
      }
    })();

    let p: Prepared | null;
    try {
      p = await ensureModel(req, engine, live);
    } catch (e) {
      if (live()) patch({ model: { status: 'error', value: null, error: message(e), key: null } });
      return;
    }
    const ds = await splitP;
    if (!live() || !p) return;
    await refreshClasses(p, ds, live);
    if (!live()) return;
    // An image a link asked for: shown when the split has it, else a note says why the default image is shown.
    const linked = store().linkImage;
    if (linked !== null && ds) {
      const inRange = linked < ds.count;
      patch({ linkImage: null, linkImageNote: inRange ? null : linkImageNote(linked, ds) });
      if (inRange) return selectTestImage(linked);
    }
    const img = store().image;
    const stale = !img || img.dims.join() !== p.info.inputDims.join() || (img.origin === 'dataset' && img.datasetId !== req.datasetId);
    if (stale && ds) await selectTestImage(ds.count > 0 ? 0 : -1);
    else await refreshClean();
  }

  const datasetTitle = (id: string): string => (id === 'fashion-mnist' ? 'Fashion-MNIST' : id === 'mnist' ? 'MNIST' : id);

  function linkImageNote(index: number, ds: ImageDataset): string {
    const range = ds.count > 0 ? `images #0 to #${ds.count - 1}` : 'no images';
    return `The link asked for test image #${index}, but the ${datasetTitle(ds.dataset)} test split has ${range}: pick one below.`;
  }

  async function ensureModel(req: PlaygroundRequest, engine: AttackEngineKind, live: () => boolean): Promise<Prepared | null> {
    if (store().model.status !== 'ready') patch({ model: { ...store().model, status: 'loading', error: null, progress: 'waiting for the model (the Model panel’s)…' } });
    await showModel(req.model, req.seed);
    const shown = await settledModel();
    if (!live()) return null;
    if (shown.status === 'idle') {
      stop(st);
      const old = st.prepared;
      st.prepared = null;
      if (old) void releasePrepared(st.serial, old);
      patch({ model: { status: 'idle', value: null, error: null, key: shown.key, progress: 'The model URL is waiting for your confirmation in the Model panel: nothing is downloaded before that.' } });
      return null;
    }
    if (shown.status === 'error' || !shown.value) throw new Error(shown.error ?? 'the model could not be loaded');
    const folder = currentFolder();
    if (!folder) throw new Error('the model folder is not available');
    const key = `${shown.key}|${engine}`;
    if (st.prepared?.key === key) {
      patch({ model: { status: 'ready', value: st.prepared.info, error: null, key } });
      return st.prepared;
    }
    stop(st);
    if (st.preparing?.key !== key) {
      const old = st.prepared;
      st.prepared = null;
      patch({
        model: { status: 'loading', value: null, error: null, key, progress: 'checking the model folder, building the text tower…' },
        classes: { status: 'idle', value: null, error: null, key: null }, clean: null, single: emptySingle(), batch: emptyBatch(store().batchSize),
      });
      st.singleToken++;
      st.batchToken++;
      const promise = (async () => {
        if (old) await releasePrepared(st.serial, old);
        return buildPrepared(deps.gpu, key, shown.value!, folder, engine);
      })();
      st.preparing = { key, promise };
      promise.then((p) => { if (st.preparing?.key === key) { st.prepared = p; st.preparing = null; } }, () => { if (st.preparing?.key === key) st.preparing = null; });
    }
    const p = await st.preparing!.promise;
    if (!p || !live()) return null;
    patch({ model: { status: 'ready', value: p.info, error: null, key } });
    return p;
  }

  async function refreshClasses(p: Prepared, ds: ImageDataset | null, live: () => boolean): Promise<void> {
    const now = classNamesNow(ds);
    if ('error' in now) {
      patch({ classes: { status: 'error', value: null, error: now.error, key: null } });
      return;
    }
    const key = classesKey(now.names);
    if (store().classes.key === key && store().classes.status === 'ready') return;
    const prompts = promptEnsemble(now.names.slice(0, 1), { fallback: true })[0];
    patch({ classes: { status: 'loading', value: null, error: null, key, progress: `encoding ${now.names.length} × ${prompts.length} prompts with the text tower…` } });
    try {
      await classEmbeddings(st.serial, p, now.names);
      if (!live() && store().classes.key !== key) return;
      patch({ classes: { status: 'ready', value: { source: now.source, names: now.names, promptsPerClass: prompts.length, example: prompts[0] }, error: null, key } });
    } catch (e) {
      patch({ classes: { status: 'error', value: null, error: message(e), key } });
    }
  }

  /** Uses typed class names (null: back to the dataset's classes). */
  async function setCustomClasses(text: string | null): Promise<void> {
    patch({ customClasses: text });
    const p = st.prepared;
    if (!p) return;
    const gen = st.generation;
    await refreshClasses(p, store().picker.value, () => gen === st.generation);
    await refreshClean();
  }

  /** The clean prediction of the image against the classes; sets the true class when it is not chosen. */
  async function refreshClean(): Promise<void> {
    const p = st.prepared, s = store();
    const img = s.image, cls = s.classes.value;
    if (!p || !img || !cls || s.classes.status !== 'ready') return;
    const key = classesKey(cls.names);
    if (s.clean && s.clean.imageId === img.id && s.clean.classesKey === key) return;
    try {
      const texts = await classEmbeddings(st.serial, p, cls.names);
      const emb = await st.serial(async () => embedHost(p, await attackModel(p, 1), img.pixels, 1));
      const probs = probabilities(emb, texts, cls.names.length, p.info.dim, p.info.logitScale);
      const pred = argmax(probs);
      const cur = store();
      if (cur.image?.id !== img.id || classesKey(cur.classes.value?.names ?? []) !== key) return;
      const byName = img.label === null ? -1 : cls.names.findIndex((n) => n.toLowerCase() === img.label!.toLowerCase());
      patch({ clean: { imageId: img.id, classesKey: key, probs, pred }, trueClass: byName >= 0 ? byName : pred, imageStatus: { status: 'ready', value: null, error: null, key: String(img.id) } });
      void refreshCompare(st);
    } catch (e) {
      patch({ imageStatus: { status: 'error', value: null, error: message(e), key: String(img.id) } });
    }
  }

  function setImage(img: PlayImage): void {
    st.singleToken++;
    patch({
      image: img, clean: null, trueClass: null, single: emptySingle(),
      imageStatus: { status: 'loading', value: null, error: null, key: String(img.id), progress: 'classifying the clean image…' },
    });
  }

  /** Picks image `index` of the dataset's test split. */
  async function selectTestImage(index: number): Promise<void> {
    const p = st.prepared, ds = store().picker.value;
    if (!p || !ds || index < 0 || index >= ds.count) return;
    stop(st, 'single');
    setImage(datasetImage(ds, index, p, datasetTitle(ds.dataset), ++st.imageCounter));
    await refreshClean();
  }

  /** Any image file (picked or dropped): decoded in the browser and preprocessed to the model's input. */
  async function selectImageFile(file: File): Promise<void> {
    const p = st.prepared;
    if (!p) return;
    stop(st, 'single');
    patch({ imageStatus: { status: 'loading', value: null, error: null, key: file.name, progress: `decoding ${file.name}…` } });
    try {
      if (file.size > 64 << 20) throw new Error(`${file.name} is ${(file.size / 1e6).toFixed(1)} MB; pick an image under 64 MB`);
      const [C, H, W] = p.info.inputDims;
      const d = await decodeFile(file, Math.max(H, W));
      const t = preprocessImage({ data: d.data, width: d.width, height: d.height, channels: 4 }, p.preprocessor, { channels: C === 1 ? 1 : 3 });
      const note = `${d.scaled ?? `${d.width}×${d.height}`} → ${W}×${H} ${C === 1 ? 'grey (PIL “L” weights)' : 'RGB'} by the CLIP preprocessing; alpha dropped`;
      setImage({ id: ++st.imageCounter, origin: 'file', name: file.name.slice(0, 120), label: null, pixels: t.data, dims: [C, H, W], note });
      await refreshClean();
    } catch (e) {
      patch({ imageStatus: { status: 'error', value: null, error: `${file.name}: ${message(e)}`, key: file.name } });
    }
  }

  /** Batch size (8–16) and the position in each class's test images the batch starts from. */
  function setBatchOptions(o: { size?: number; from?: number }): void {
    const size = o.size === undefined ? store().batchSize : Math.min(16, Math.max(8, Math.round(o.size)));
    const from = o.from === undefined ? store().batchFrom : Math.min(999, Math.max(0, Math.floor(o.from) || 0));
    patch({ batchSize: size, batchFrom: from });
  }

  function setTrueClass(k: number): void {
    patch({ trueClass: k });
  }

  async function setEngine(engine: AttackEngineKind, req: PlaygroundRequest): Promise<void> {
    st.engineChosen = true;
    if (store().engine === engine) return;
    patch({ engine });
    await preparePlayground(req);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Commands that run the attacks (./attack/*.ts)

  /** Stops the single-image attack, the batch run, or both (default). */
  function stopAttack(which: 'single' | 'batch' | 'both' = 'both'): void {
    stop(st, which);
  }

  /** Runs the experiment's attack on the chosen image, live. */
  const runSingleAttack = (): Promise<void> => runSingle(st);
  /** Attacks a batch of test images at once (the dataset's classes): clean vs robust accuracy. */
  const runBatchAttack = (): Promise<void> => runBatch(st);
  /** Refreshes the compare slot's list of runs. */
  const refreshCompareRuns = (): Promise<void> => refreshRuns(st);
  /** Puts a run's fine-tuned model in the compare slot (null empties it). */
  const selectCompareRun = (id: string | null): Promise<void> => selectCompare(st, id);
  /** The experiment's attack run against the fine-tuned model itself (white-box) on the current image. */
  const runCompareAttack = (): Promise<void> => runCompare(st);
  /** The batch attack on the compare slot's fine-tuned model, beside the original model's batch. */
  const runCompareBatchAttack = (): Promise<void> => runCompareBatch(st);
  const stopCompareBatchAttack = (): void => stopCompareBatch(st);
  /** The adversarial image as PNG: the verified 8-bit bytes. */
  const adversarialPng = (): Promise<{ blob: Blob; name: string } | null> => adversarialPngOf();

  return {
    preparePlayground, selectTestImage, selectImageFile, setCustomClasses, setBatchOptions, setTrueClass, setEngine, stopAttack,
    runSingleAttack, runBatchAttack, refreshCompareRuns, selectCompareRun, runCompareAttack, runCompareBatchAttack, stopCompareBatchAttack,
    adversarialPng, parseClassNames,
  };
}
