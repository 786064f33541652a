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
import { ensureManifest, getSplit } from './data';
import { gpuContext } from './engine';
import { shownModelFiles } from './model';

const message = (e: unknown): string => String((e as Error)?.message ?? e);
const setMeasurement = (p: Partial<GeometryMeasurement>) => {
  const s = useGeometryStore.getState();
  s.patch({ measurement: { ...s.measurement, ...p } });
};

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

/** Measures the geometry of the model the workbench shows now (no training). A call while one runs joins it. */
export function measureCurrentModel(): Promise<void> {
  running ??= measureNow().finally(() => (running = null));
  return running;
}

async function measureNow(): Promise<void> {
  const note = (n: string) => setMeasurement({ status: 'running', note: n, error: null });
  note('loading the model folder…');
  let model: FineTuneModel | null = null;
  try {
    const m = await currentClip();
    const exp = useExperimentStore.getState().config;
    note('loading and verifying the dataset…');
    const d = await probeSplit(exp.data.dataset);
    const settings = useGeometryStore.getState().settings;
    const probe = probeFromSettings(d.data, (sel) => classPrompts(m.clip.tokenizer, d.data.classes, sel), settings, d.hflip);
    const ctx = await gpuContext();
    note('building the gradient graphs of the towers…');
    model = await FineTuneModel.create(ctx, {
      config: m.clip.config, weights: m.clip.weights, constants: m.clip.constants, train: { vision: false, text: false },
      optimizer: { kind: 'adamw', weightDecay: 0 },
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
  } finally {
    await model?.release().catch(() => undefined);
  }
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
