/**
 * The fine-tuning engine of the page (no React): runs src/methods' FineTuneLoop on the model the workbench shows
 * and the chosen bundled dataset, with the Fine-tune panel's settings, and reports through the runs store
 * (src/state/runs.ts). Runs persist through src/engine/runs.ts (IndexedDB): record and metrics after every step,
 * the latest checkpoint every `checkpointSeconds` and at every pause, stop and the end.
 *
 *  - start: maps the experiment configuration (`fromExperimentConfig`), loads the model folder, the train split and
 *    the validation batch, builds the loop, and steps it; the page gets a turn between steps.
 *  - pause: the step in flight finishes, a checkpoint is written, the live loop is kept; resume continues it.
 *  - stop: ends the run after the step in flight (checkpoint kept for the model export).
 *  - resume of a run without a live loop (after a reload, a lost GPU device, or an error): a loop is rebuilt from
 *    the original model and the stored checkpoint; metrics after the checkpoint's step are dropped, so the next
 *    step is exactly the one the run would have taken (checkpoints resume bit-identically on one adapter).
 *  - a lost GPU device makes the run 'interrupted'.
 *
 * Extra loop options (e.g. geometry snapshots for the Subspaces panel) go through `setExtraLoopOptions`: the one
 * place where every loop this engine builds gets its options.
 *
 * One controller per engine root (./root.ts) holds the live run, the model cache (one entry) and the preparation;
 * development builds also put that state on the Worker's `globalThis.__aosFineTuneEngine` for e2e specs to reach.
 */
import type { GpuContext } from '../gpu/context';
import { fromExperimentConfig, validateFineTuneConfig, withFineTuneConfig, type FineTuneConfig } from '../methods/config';
import { FineTuneData, splitBatch } from '../methods/data';
import { writeModelZip } from '../models/modelZip';
import { fineTunedFolder, fineTuneModelFor, loadClipFiles, tokenizerPrompts, type LoadedClip } from '../methods/load';
import { basisFromExtra, FineTuneLoop, NonFiniteStepError, type FineTuneLoopOptions, type StepMetrics } from '../methods/loop';
import type { FineTuneModel } from '../methods/model';
import { checkpointWeights } from '../storage/checkpointWeights';
import { canApply, metricsUpTo, runFileBase, type RunOptions, type RunRecord } from '../storage/runRecord';
import { useAppStore } from '../state/store';
import { useExperimentStore } from '../state/experiment';
import { activeRun, useRunsStore, type LiveState } from '../state/runs';
import type { DataController } from './data';
import type { GpuController } from './engine';
import type { ModelController } from './model';
import { holdRunLock, type RunsController } from './runs';
import { runGeometryOption } from './geometry';
import { yieldToPage } from './yieldToPage';
import { describeFailure, followRunInSubspaces, newId, withEvent } from './runSteps';
import { firstStepInPhases } from './firstStep';
import { adoptPreparedSnapshot, preparedModelKey, RunPreparation, warmModel } from './prepareRun';
import type { ProbeSettings } from '../methods/probeSettings';

const message = (e: unknown): string => String((e as Error)?.message ?? e);
const runs = () => useRunsStore.getState();

// ---------------------------------------------------------------------------------------------------------------
// Extra loop options: one place

/** Options of FineTuneLoop beyond what this engine builds (config, model, data, prompts, validation). */
export type ExtraLoopOptions = Partial<Omit<FineTuneLoopOptions, 'config' | 'model' | 'data' | 'prompts' | 'validation'>>;

// Geometry snapshots of the Subspaces panel's probe (src/engine/geometry.ts: its settings, the run's training split).
const DEFAULT_EXTRA: ExtraLoopOptions = { geometry: runGeometryOption };

export type FineTuneController = ReturnType<typeof createFineTuneController>;

export function createFineTuneController(deps: { gpu: GpuController; data: DataController; model: ModelController; runs: RunsController }) {
  const { gpuContext } = deps.gpu;
  const loadData = deps.data.loadRunData;
  const { shownModelFiles } = deps.model;
  const { ensureRunsLoaded, loadCheckpoint, saveCheckpointAndRun, saveRun, showRun } = deps.runs;

  interface EngineState {
    extra: ExtraLoopOptions;
    clipCache: ClipEntry | null;
    live: Live | null;
    /** The driving promise while steps run (one at a time). */
    driving: Promise<void> | null;
    /** A run's model built and warmed before its start (./prepareRun.ts). */
    preparation: RunPreparation;
  }
  const S: EngineState = { extra: {}, clipCache: null, live: null, driving: null, preparation: new RunPreparation() };
  if (import.meta.env?.DEV) (globalThis as unknown as { __aosFineTuneEngine?: EngineState }).__aosFineTuneEngine = S;

  /** Sets options passed to every loop built from now on (merged over the engine's own). */
  function setExtraLoopOptions(o: ExtraLoopOptions): void {
    S.extra = { ...S.extra, ...o };
  }

  /** The loop options of a run: the engine's, then the extra ones. */
  function loopOptions(base: FineTuneLoopOptions): FineTuneLoopOptions {
    return { ...base, ...DEFAULT_EXTRA, ...S.extra } as FineTuneLoopOptions;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Model and data

  interface ClipEntry {
    key: string;
    title: string;
    kind: string;
    clip: LoadedClip;
  }

  /** The model of an experiment configuration as fine-tuning needs it (the Model panel's folder). */
  async function loadClip(model: RunRecord['config']['model'], seed: number): Promise<ClipEntry> {
    const shown = await shownModelFiles(model, seed);
    if (S.clipCache?.key === shown.key) return S.clipCache;
    S.clipCache = { key: shown.key, title: shown.title, kind: shown.kind, clip: loadClipFiles(shown.files) };
    return S.clipCache;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // The live run

  interface Live {
    id: string;
    ctx: GpuContext;
    loop: FineTuneLoop;
    model: FineTuneModel;
    lost: boolean;
    /** No step taken yet by this loop (its first step builds the sessions). */
    fresh: boolean;
    stopLost: () => void;
    releaseLock: () => void;
  }

  function setLive(p: Partial<LiveState> | null, id?: string): void {
    if (p === null) return runs().patch({ live: null });
    const cur = runs().live;
    const base: LiveState = cur && cur.runId === (id ?? cur.runId) ? cur : { runId: id!, phase: 'idle', pauseRequested: false, stopRequested: false, note: null };
    runs().patch({ live: { ...base, ...p } });
  }

  function recordOf(id: string): RunRecord {
    const r = runs().runs.find((x) => x.id === id);
    if (!r) throw new Error(`no run ${id}`);
    return r;
  }

  async function releaseLive(): Promise<void> {
    const l = S.live;
    S.live = null;
    if (!l) return;
    l.stopLost();
    l.releaseLock();
    if (!l.lost) await l.model.release().catch(() => undefined);
  }

  /** Whether this page is running (or preparing) a run now. */
  function isBusy(): boolean {
    return S.driving !== null;
  }

  /** Builds a live loop for a record (fresh, or resumed from `checkpoint`). */
  async function buildLive(r: RunRecord, checkpoint: Uint8Array | null): Promise<Live> {
    const note = (n: string) => setLive({ phase: 'preparing', note: n }, r.id);
    note('loading the model folder…');
    const entry = await loadClip(r.config.model, r.config.seed);
    if (entry.key !== r.model.key) throw new Error(`this run fine-tunes '${r.model.title}' (${r.model.key}); the workbench now loads '${entry.title}' (${entry.key})`);
    note('loading and verifying the dataset…');
    const data = await loadData(r.dataset.id, r.config.data.evalSplit);
    const ctx = await gpuContext();
    note(S.preparation.key ? 'taking the prepared gradient graphs…' : 'building the gradient graphs of the towers (forward + backward ONNX)…');
    const prepared = await S.preparation.take(preparedModelKey(entry.key, r.fineTune), ctx);
    const model = prepared?.model ?? await fineTuneModelFor(ctx, entry.clip, r.fineTune);
    if (prepared) runs().patch({ preparation: null }); // taken: the next one is prepared when asked for
    try {
      const validation = r.fineTune.evalEvery > 0 ? splitBatch(data.val, 0, r.options.valImages) : undefined;
      const loop = FineTuneLoop.create(ctx, loopOptions({
        config: r.fineTune, model, prompts: tokenizerPrompts(entry.clip.tokenizer, data.train.classes), validation,
        data: new FineTuneData(data.train, { seed: r.fineTune.seed, hflip: data.hflip, augment: r.fineTune.augment, limit: r.config.data.trainLimit || undefined }),
      }));
      if (prepared && !checkpoint) adoptPreparedSnapshot(loop, prepared.warmed);
      if (checkpoint) {
        note('restoring the checkpoint…');
        await loop.resume(checkpoint);
        // The checkpoint carries the projection plane of the run's first geometry snapshot; one written before this
        // was stored (or before any snapshot) has none: the plane of the first stored snapshot is kept instead, so the
        // run's snapshots stay in one plane.
        if (loop.geometry && !loop.geometryBasis) {
          const first = recordOf(r.id).metrics.find((m) => m.geometryBefore || m.geometry);
          const plane = basisFromExtra((first?.geometryBefore ?? first?.geometry)?.projection);
          if (plane && plane.mean.length === model.dim) loop.geometryBasis = plane;
        }
      }
      if (recordOf(r.id).backend !== (model.backend ?? 'onnxruntime')) await saveRun({ ...recordOf(r.id), backend: model.backend ?? 'onnxruntime' });
      const l: Live = { id: r.id, ctx, loop, model, lost: false, fresh: true, stopLost: () => undefined, releaseLock: holdRunLock(r.id) };
      l.stopLost = ctx.onLost(() => { l.lost = true; });
      return l;
    } catch (e) {
      await model.release().catch(() => undefined);
      throw e;
    }
  }

  /** Writes the loop's checkpoint and records its step. */
  async function checkpointNow(l: Live): Promise<void> {
    setLive({ phase: 'checkpointing' }, l.id);
    const bytes = await l.loop.checkpoint({ runId: l.id });
    const r = recordOf(l.id);
    await saveCheckpointAndRun({ id: l.id, step: l.loop.step, bytes }, { ...r, checkpointStep: l.loop.step, checkpointBytes: bytes.length, updatedAt: Date.now() });
    setLive({ phase: 'training' }, l.id);
  }

  /**
   * Stores a run's final record; when even that fails (a full disk), the page still shows the run as it ended, with
   * why it could not be saved, never as 'running' with no loop behind it.
   */
  async function saveOrShow(r: RunRecord): Promise<void> {
    try {
      await saveRun(r);
    } catch (e) {
      showRun({ ...r, error: `${r.error ? `${r.error}; ` : ''}this record could not be saved either (${message(e)}): it will be lost on reload` }, false);
    }
  }

  /** Steps the live loop until the budget, a time limit, a pause or a stop. */
  async function drive(l: Live): Promise<void> {
    const id = l.id;
    let lastCheckpoint = performance.now();
    let lastPersist = 0;
    setLive({ phase: 'training', note: null }, id);
    try {
      const r0 = recordOf(id);
      const limitSeconds = r0.config.budget.maxMinutes > 0 ? r0.config.budget.maxMinutes * 60 : Infinity;
      while (l.loop.step < l.loop.config.steps) {
        const lv = runs().live;
        if (lv?.pauseRequested || lv?.stopRequested) break;
        if (recordOf(id).trainSeconds >= limitSeconds) break;
        if (l.fresh) setLive({ note: `step ${l.loop.step + 1}: the first step also builds the ONNX sessions (slow on a software adapter)…` }, id);
        const m: StepMetrics = l.fresh ? await firstStepInPhases(l.id, l.loop, l.model) : await l.loop.trainStep();
        if (m.nonFinite) {
          // The GPU masked the update: the weights (and the last checkpoint) are still good. Keep the step, then stop.
          showRun({ ...recordOf(id), metrics: [...recordOf(id).metrics, m], step: m.step, updatedAt: Date.now() }, false);
          throw new NonFiniteStepError(m);
        }
        if (l.fresh) {
          l.fresh = false;
          if (!runs().live?.pauseRequested && !runs().live?.stopRequested) setLive({ note: null }, id);
        }
        const r = recordOf(id);
        const next: RunRecord = {
          ...r, metrics: [...r.metrics, m], step: m.step, trainSeconds: r.trainSeconds + m.seconds, updatedAt: Date.now(),
          message: `step ${m.step} of ${r.totalSteps}`,
        };
        const now = performance.now();
        showRun(next, now - lastPersist > 2000);
        if (now - lastPersist > 2000) lastPersist = now;
        if ((now - lastCheckpoint) / 1000 >= recordOf(id).options.checkpointSeconds) {
          await checkpointNow(l);
          lastCheckpoint = performance.now();
        }
        await yieldToPage();
      }
      const lv = runs().live;
      await checkpointNow(l);
      const r = recordOf(id);
      if (l.loop.step >= l.loop.config.steps) {
        await saveRun(withEvent(r, 'finish', { message: `done: ${r.step} steps in ${r.trainSeconds.toFixed(0)} s` }));
        await releaseLive();
      } else if (lv?.stopRequested) {
        await saveRun(withEvent(r, 'stop', { message: `stopped by you at step ${r.step} of ${r.totalSteps}` }));
        await releaseLive();
      } else if (lv?.pauseRequested) {
        await saveRun(withEvent(r, 'pause', { message: `paused at step ${r.step} of ${r.totalSteps}; resume continues from here` }));
      } else {
        await saveRun(withEvent(r, 'finish', { message: `time limit of ${r.config.budget.maxMinutes} min reached at step ${r.step} of ${r.totalSteps}` }));
        await releaseLive();
      }
    } catch (e) {
      // A destroyed or lost device fails pending work (e.g. a readback's mapAsync) before its `lost` promise resolves:
      // give the loss a moment to be reported before calling this an error.
      if (!l.lost) await new Promise<void>((resolve) => {
        const t = setTimeout(() => { stop(); resolve(); }, 1500);
        const stop = l.ctx.onLost(() => { clearTimeout(t); queueMicrotask(() => stop()); resolve(); });
      });
      const f = describeFailure(l, e);
      const r = recordOf(id);
      await saveOrShow(withEvent(r, f.event, { error: f.text, message: f.event === 'interrupt' ? 'interrupted: the GPU device was lost' : e instanceof NonFiniteStepError ? `failed at step ${r.step}: non-finite gradient, update skipped` : `failed at step ${r.step + 1}` }));
      await releaseLive();
    } finally {
      setLive(null);
    }
  }

  function runDriven(job: () => Promise<void>): Promise<void> {
    const p = job().finally(() => { if (S.driving === p) S.driving = null; });
    S.driving = p;
    return p;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Actions

  /**
   * Builds and warms the model of a run of `exp` before it is started (the guided start's quick demo, while the user
   * reads: ./prepareRun.ts), with the geometry probe of `probe`; reports into the runs store's `preparation`. Nothing
   * is prepared while a run is going.
   */
  async function prepareRun(exp: RunRecord['config'], probe: ProbeSettings): Promise<void> {
    if (S.driving) return;
    const t0 = performance.now();
    const show = (status: 'preparing' | 'ready' | 'failed', error: string | null = null) => runs().patch({ preparation: { status, seconds: (performance.now() - t0) / 1000, error } });
    try {
      const fineTune = fromExperimentConfig(exp).config;
      validateFineTuneConfig(fineTune);
      const entry = await loadClip(exp.model, exp.seed);
      const key = preparedModelKey(entry.key, fineTune);
      // Asked again for what is prepared or being prepared (the panel opened again): the first call reports it.
      if (S.preparation.key === key) return;
      show('preparing');
      const tick = setInterval(() => show('preparing'), 2000);
      try {
        const data = await loadData(exp.data.dataset, exp.data.evalSplit);
        const ctx = await gpuContext();
        const prompts = tokenizerPrompts(entry.clip.tokenizer, data.train.classes);
        const train = new FineTuneData(data.train, { seed: fineTune.seed, hflip: data.hflip, augment: fineTune.augment, limit: exp.data.trainLimit || undefined });
        if (S.driving) return runs().patch({ preparation: null }); // a run started meanwhile: it builds its own
        await S.preparation.prepare(key, ctx, () => fineTuneModelFor(ctx, entry.clip, fineTune), (model) => warmModel(ctx, model, { config: fineTune, model, prompts, data: train }, probe));
      } finally { clearInterval(tick); }
      show('ready');
    } catch (e) {
      show('failed', message(e));
    }
  }

  /** Starts a new run with the experiment configuration the panel shows. */
  async function startRun(): Promise<void> {
    if (S.driving) {
      runs().patch({ error: 'a run is already running here: pause or stop it first' });
      return;
    }
    runs().patch({ error: null });
    await ensureRunsLoaded();
    const exp = structuredClone(useExperimentStore.getState().config);
    const opts: RunOptions = { ...runs().options };
    let fineTune: FineTuneConfig, notes: string[];
    try {
      const mapped = fromExperimentConfig(exp);
      fineTune = withFineTuneConfig(mapped.config, { valBatch: opts.valImages, valAttackSteps: opts.valAttackSteps });
      notes = mapped.notes;
      validateFineTuneConfig(fineTune);
      if (!Number.isInteger(opts.valImages) || opts.valImages < 1 || opts.valImages > 512) throw new RangeError('validation images must be 1–512');
      if (!Number.isInteger(opts.valAttackSteps) || opts.valAttackSteps < 0 || opts.valAttackSteps > 100) throw new RangeError('validation PGD steps must be 0–100');
    } catch (e) {
      runs().patch({ error: `the settings cannot be used: ${message(e)}` });
      return;
    }
    const gpu = useAppStore.getState();
    const now = Date.now();
    const id = newId();
    const record: RunRecord = {
      id, name: exp.name || `${exp.fineTune.method} ${new Date(now).toISOString().slice(5, 16).replace('T', ' ')}`, method: fineTune.method,
      config: exp, fineTune, notes, options: opts,
      dataset: { id: exp.data.dataset, name: exp.data.dataset, trainSplit: 'train', valSplit: exp.data.evalSplit, trainImages: 0, valImages: 0, classes: [] },
      model: { key: '', title: '', kind: '' }, status: 'running', message: 'preparing…', error: null, metrics: [], thinned: 0,
      step: 0, totalSteps: fineTune.steps, checkpointStep: null, checkpointBytes: 0, trainSeconds: 0, createdAt: now, updatedAt: now,
      adapter: gpu.adapter ? [gpu.adapter.vendor, gpu.adapter.architecture, gpu.adapter.description].filter(Boolean).join(' ') || null : null,
    };
    runs().patch({ activeRunId: id, restored: null, firstStep: null });
    followRunInSubspaces();
    setLive({ phase: 'preparing', note: 'loading the model and the dataset…' }, id);
    await runDriven(async () => {
      try {
        await saveRun(record);
        const entry = await loadClip(exp.model, exp.seed);
        const data = await loadData(exp.data.dataset, exp.data.evalSplit);
        const trainImages = exp.data.trainLimit ? Math.min(exp.data.trainLimit, data.train.count) : data.train.count;
        await saveRun({
          ...recordOf(id), model: { key: entry.key, title: entry.title, kind: entry.kind },
          dataset: { id: exp.data.dataset, name: data.name, trainSplit: 'train', valSplit: data.valSplit, trainImages, valImages: Math.min(opts.valImages, data.val.count), classes: [...data.train.classes] },
        });
        S.live = await buildLive(recordOf(id), null);
      } catch (e) {
        const f = describeFailure(null, e);
        await saveRun(withEvent(recordOf(id), f.event, { error: f.text, message: 'could not start' })).catch(() => undefined);
        setLive(null);
        return;
      }
      await drive(S.live);
    });
  }

  /** Asks the running run to pause after the step in flight. */
  function pauseRun(): void {
    const lv = runs().live;
    if (lv && S.driving) setLive({ pauseRequested: true, note: 'pausing after the step in flight…' });
  }

  /** Stops a run: the running one after its step in flight; a paused or interrupted one now. */
  async function stopRun(id?: string): Promise<void> {
    const lv = runs().live;
    const target = id ?? runs().activeRunId;
    if (!target) return;
    if (lv && S.driving && lv.runId === target) {
      setLive({ stopRequested: true, note: 'stopping after the step in flight…' });
      return;
    }
    const r = recordOf(target);
    if (!canApply(r, 'stop')) return;
    if (S.live?.id === target) await releaseLive();
    await saveRun(withEvent(r, 'stop', { message: `stopped by you at step ${r.step} of ${r.totalSteps}` }));
  }

  /** Resumes a paused, interrupted or failed run from its checkpoint (the live loop when this page still has it). */
  async function resumeRun(id?: string): Promise<void> {
    const target = id ?? runs().activeRunId;
    if (!target) return;
    if (S.driving) {
      runs().patch({ error: 'a run is already running here: pause or stop it first' });
      return;
    }
    runs().patch({ error: null, activeRunId: target, restored: null, firstStep: null });
    followRunInSubspaces();
    const r = recordOf(target);
    if (!canApply(r, 'resume')) {
      runs().patch({ error: r.checkpointStep === null ? 'this run has no checkpoint to resume from' : `a ${r.status} run cannot be resumed` });
      return;
    }
    setLive({ phase: 'preparing', note: 'resuming…' }, target);
    await runDriven(async () => {
      try {
        if (!S.live || S.live.id !== target || S.live.lost || S.live.loop.step !== r.checkpointStep) {
          await releaseLive();
          const ck = await loadCheckpoint(target);
          if (!ck) throw new Error('the checkpoint of this run is not in the browser storage any more');
          S.live = await buildLive(r, ck.bytes);
        }
        const step = S.live.loop.step;
        await saveRun(withEvent(recordOf(target), 'resume', {
          metrics: metricsUpTo(recordOf(target).metrics, step), step, error: null, message: `resumed at step ${step}`,
        }));
      } catch (e) {
        const f = describeFailure(null, e);
        const cur = recordOf(target);
        runs().patch({ error: `could not resume: ${f.text}` });
        if (canApply(cur, f.event)) await saveRun(withEvent(cur, f.event, { error: f.text })).catch(() => undefined);
        setLive(null);
        return;
      }
      await drive(S.live);
    });
  }

  /** Makes a stored run the one the Fine-tune panel shows. */
  function selectRun(id: string): void {
    runs().patch({ activeRunId: id });
  }

  // ---------------------------------------------------------------------------------------------------------------
  // The fine-tuned model

  /** The fine-tuned model folder of a run (from its stored checkpoint). */
  async function fineTunedModelFiles(id: string): Promise<{ files: ReturnType<typeof fineTunedFolder>; step: number }> {
    const r = recordOf(id);
    const ck = await loadCheckpoint(id);
    if (!ck) throw new Error('this run has no checkpoint: nothing to export');
    const entry = await loadClip(r.config.model, r.config.seed);
    if (entry.key !== r.model.key) throw new Error(`this run fine-tuned '${r.model.title}'; the workbench now loads '${entry.title}'`);
    const { weights, step } = checkpointWeights(entry.clip.config, ck.bytes);
    return { files: fineTunedFolder(entry.clip, weights, `aos-workbench/${runFileBase(r)}-step${step}`), step };
  }

  /**
   * The fine-tuned model of a run as one .zip for the page to download: the transformers.js folder (both towers,
   * tokenizer, configs) with a sha256 manifest, which the Model panel loads back (src/models/modelZip.ts).
   */
  async function runModelZip(id: string): Promise<{ blob: Blob; name: string }> {
    const r = recordOf(id);
    const { files, step } = await fineTunedModelFiles(id);
    const base = `${runFileBase(r)}-step${step}`;
    const zip = await writeModelZip({ ...files }, `aos-workbench/${base}`);
    return { blob: new Blob([zip as BlobPart], { type: 'application/zip' }), name: `${base}.zip` };
  }

  /**
   * INTEGRATION POINT for comparing models (e.g. the Attack panel's fine-tuned slot): runs whose fine-tuned weights
   * can be used — a checkpoint is stored and the run is not running. `fineTunedModelFiles(id)` gives the folder.
   */
  function fineTunedAvailable(): { available: boolean; runs: Array<{ id: string; name: string; method: string; step: number }>; reason: string } {
    const list = runs().runs.filter((r) => r.checkpointStep !== null && r.status !== 'running')
      .map((r) => ({ id: r.id, name: r.name, method: r.method, step: r.checkpointStep! }));
    return { available: list.length > 0, runs: list, reason: list.length ? `${list.length} fine-tuned model${list.length === 1 ? '' : 's'}` : 'no fine-tuning run has a checkpoint yet' };
  }

  return {
    setExtraLoopOptions, loopOptions, isBusy, prepareRun, startRun, pauseRun, stopRun, resumeRun, selectRun,
    fineTunedModelFiles, runModelZip, fineTunedAvailable,
  };
}

export { activeRun };
