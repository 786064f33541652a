/**
 * The Subspaces panel's engine (no React): measures the geometry (src/methods/geometry.ts) of the model the
 * workbench shows, with no training — the pre-trained model's own principal-angle spectra and feature projection —
 * and gives the fine-tuning engine the loop option that measures the same probe during a run.
 *
 *  - Model: the Model panel's folder (bundled pre-trained tiny CLIP, random-init, or a confirmed URL), as a
 *    `FineTuneModel` with both towers frozen (gradients w.r.t. pixels and prompt perturbations only: the attacks).
 *  - Probe: the first image of each chosen class of the experiment's dataset, training split (the split a run
 *    fine-tunes on, so a run's snapshots measure the very same inputs; evaluation-only sets use their test split),
 *    with fixed augmentations, every class's text group, PGD and prompt attacks with a fixed seed
 *    (src/state/geometry.ts settings).
 *  - Cache: what a measurement builds — the frozen `FineTuneModel` (its gradient graphs, ~15 s on the bundled model)
 *    per model key and GPU context, and the probe per model key + dataset split + probe settings — is kept, one entry
 *    each (`SingleCache`), so measuring the same model again builds nothing; both are released when the experiment's
 *    model changes, when another model or context is measured, and when the GPU device is lost.
 *  - One controller per engine root (./root.ts), holding that cache and the measurement in flight; `dispose`
 *    stops its watch of the experiment store and releases the cache.
 */
import type { ImageDataset } from '../data/bundle';
import { FineTuneData } from '../methods/data';
import { computeGeometry, probeFromSettings } from '../methods/geometry';
import { loadClipFiles, type LoadedClip } from '../methods/load';
import type { FineTuneLoopOptions, GeometryOption } from '../methods/loop';
import { FineTuneModel } from '../methods/model';
import { classPrompts } from '../methods/text';
import { useExperimentStore } from '../state/experiment';
import { useGeometryStore, type GeometryMeasurement } from '../state/geometry';
import type { GpuContext } from '../gpu/context';
import type { GeometryProbe } from '../methods/geometry';
import { SingleCache } from './singleCache';
import type { DataController } from './data';
import type { GpuController } from './engine';
import type { ModelController } from './model';

const message = (e: unknown): string => String((e as Error)?.message ?? e);
const setMeasurement = (p: Partial<GeometryMeasurement>) => {
  const s = useGeometryStore.getState();
  s.patch({ measurement: { ...s.measurement, ...p } });
};

export type GeometryController = ReturnType<typeof createGeometryController>;

export function createGeometryController(deps: { gpu: GpuController; data: DataController; model: ModelController }) {
  const { gpuContext } = deps.gpu;
  const { ensureManifest, getSplit } = deps.data;
  const { shownModelFiles } = deps.model;

  let clipCache: { key: string; clip: LoadedClip } | null = null;

  async function currentClip(): Promise<{ key: string; title: string; kind: string; clip: LoadedClip }> {
    const exp = useExperimentStore.getState().config;
    const shown = await shownModelFiles(exp.model, exp.seed);
    if (clipCache?.key !== shown.key) clipCache = { key: shown.key, clip: loadClipFiles(shown.files) };
    return { key: shown.key, title: shown.title, kind: shown.kind, clip: clipCache.clip };
  }

  /** The probe's split of a bundled dataset: training (what runs fine-tune on), else test. */
  async function probeSplit(datasetId: string): Promise<{ data: ImageDataset; name: string; split: string; hflip: boolean }> {
    const m = await ensureManifest();
    if (!m) throw new Error('the data manifest could not be loaded');
    const d = m.datasets.find((x) => x.id === datasetId);
    if (!d) throw new Error(`no bundled dataset '${datasetId}'`);
    const split = d.splits.train ? 'train' : 'test';
    return { data: await getSplit(datasetId, split), name: d.name, split, hflip: d.hflip };
  }

  let running: Promise<void> | null = null;
  /** Measurements finished (done or failed). */
  let measured = 0;

  /** The frozen model of the last measurement (key: model key + context), and the probe (key: + data + settings). */
  interface CachedModel { model: FineTuneModel; ctx: GpuContext; stopLost: () => void }
  const modelCache = new SingleCache<CachedModel>(async (c) => {
    c.stopLost();
    await c.model.release();
  });
  const probeCache = new SingleCache<GeometryProbe>();
  const contextIds = new WeakMap<GpuContext, number>();
  let nextContextId = 1;
  const contextId = (ctx: GpuContext): number => {
    if (!contextIds.has(ctx)) contextIds.set(ctx, nextContextId++);
    return contextIds.get(ctx)!;
  };

  /** Releases the cached model and probe (the next measurement builds them again). */
  function releaseMeasureCache(): Promise<void> {
    return Promise.all([modelCache.clear(), probeCache.clear()]).then(() => undefined);
  }

  /** What the measurement cache built and released so far (tests and e2e: a second measurement builds nothing). */
  function measureCacheStats(): { measured: number; modelBuilds: number; probeBuilds: number; modelReleases: number; modelKey: string | null } {
    return { measured, modelBuilds: modelCache.builds, probeBuilds: probeCache.builds, modelReleases: modelCache.releases, modelKey: modelCache.key };
  }

  // The experiment's model changed: the cached one is released now (not only at the next measurement).
  const stopWatch = useExperimentStore.subscribe((s, prev) => {
    if (s.config === prev.config) return;
    if (s.config.seed !== prev.config.seed || JSON.stringify(s.config.model) !== JSON.stringify(prev.config.model)) void releaseMeasureCache();
  });

  /** Measures the geometry of the model the workbench shows now (no training). A call while one runs joins it. */
  function measureCurrentModel(): Promise<void> {
    running ??= measureNow().finally(() => (running = null));
    return running;
  }

  async function measureNow(): Promise<void> {
    const note = (n: string) => setMeasurement({ status: 'running', note: n, error: null });
    note('loading the model folder…');
    try {
      const m = await currentClip();
      const exp = useExperimentStore.getState().config;
      note('loading and verifying the dataset…');
      const d = await probeSplit(exp.data.dataset);
      const settings = useGeometryStore.getState().settings;
      const probe = await probeCache.get(JSON.stringify([m.key, exp.data.dataset, d.split, d.hflip, settings]),
        async () => probeFromSettings(d.data, (sel) => classPrompts(m.clip.tokenizer, d.data.classes, sel), settings, d.hflip));
      const ctx = await gpuContext();
      const modelKey = JSON.stringify([m.key, contextId(ctx)]);
      if (modelCache.key !== modelKey) note('building the gradient graphs of the towers…');
      const { model } = await modelCache.get(modelKey, async () => {
        const model = await FineTuneModel.create(ctx, {
          config: m.clip.config, weights: m.clip.weights, constants: m.clip.constants, train: { vision: false, text: false },
          optimizer: { kind: 'adamw', weightDecay: 0 },
        });
        // A lost device: the graphs are gone; the next measurement (on a new context) builds them again.
        const stopLost = ctx.onLost(() => void modelCache.clear());
        return { model, ctx, stopLost };
      });
      note(`attacking ${probe.images * probe.views} views and ${probe.labels.length * probe.prompts.perClass} prompts, measuring the angles…`);
      const snapshot = await computeGeometry(ctx, model, probe, { step: 0 });
      setMeasurement({
        status: 'done', note: null, error: null, snapshot, model: { key: m.key, title: m.title, kind: m.kind },
        data: { id: exp.data.dataset, name: d.name, split: d.split }, indices: probe.indices ?? [],
      });
      useGeometryStore.getState().patch({ source: 'model', step: null });
    } catch (e) {
      setMeasurement({ status: 'error', note: null, error: message(e) });
      // A failed measurement may leave the graphs in a bad state (or the device lost): build afresh next time.
      await modelCache.clear();
    } finally {
      measured++;
    }
  }

  /** Stops watching the experiment and releases the cache (a root going away, or a test's end). */
  function dispose(): Promise<void> {
    stopWatch();
    return releaseMeasureCache();
  }

  return { measureCurrentModel, measureCacheStats, releaseMeasureCache, dispose };
}

/**
 * The `geometry` loop option of fine-tuning runs: the same probe (settings of the Subspaces panel, the run's
 * training split) every `every` steps; undefined (no geometry, the run goes on) when it cannot be built.
 */
export function runGeometryOption(o: FineTuneLoopOptions): GeometryOption | undefined {
  const { every, settings } = useGeometryStore.getState();
  if (!(every >= 1) || !(o.data instanceof FineTuneData)) return undefined;
  try {
    return { every, probe: probeFromSettings(o.data.data, o.prompts, settings, o.data.options.hflip) };
  } catch {
    return undefined;
  }
}
