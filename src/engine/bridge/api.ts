/**
 * The engine's commands, as the page calls them across the Worker boundary (src/engine/bridge/worker.ts exposes this
 * object with comlink; src/engine/bridge/client.ts calls it). Every argument and result is structured-cloneable
 * (Files and Blobs included); progress callbacks arrive as comlink proxies; cancellation is the `cancel` command
 * (the page turns an AbortSignal into it). Progress, results, errors and device loss are reported through the
 * shared stores (./storeSync.ts), as the engine modules write them.
 *
 * In Node (scripts, tests) an engine root's controllers are called in-process directly; this object adds nothing there.
 */
import type { ExperimentConfig } from '../../experiment';
import type { ProbeSettings } from '../../methods/probeSettings';
import type { AttackEngineKind } from '../../state/attack';
import type { ModelSummary } from '../../state/resources';
import type { RunRecord } from '../../storage/runRecord';
import type { PlaygroundRequest } from '../attack';
import type { PathedFile } from '../localModel';
import type { LocalLoadOptions } from '../model';
import type { EngineRoot } from '../root';
import type { RecreateRequest, RecreateResult } from '../resultsAttack';

/**
 * What a local load takes across the boundary (the page walks folders and drops into Files with their paths). The
 * progress callback is a separate argument: comlink turns only top-level arguments into proxies.
 */
export interface LocalLoadRequest {
  precision?: LocalLoadOptions['precision'];
  /** Cancels the load when the page calls `cancel(cancelId)`. */
  cancelId?: string;
}

/** The commands over one engine root's controllers (which load on first use: a panel's code when it needs it). */
export function createEngineApi(root: EngineRoot) {
  const model = () => root.model();
  const modelCache = () => root.modelCache();
  const attack = () => root.attack();
  const fineTune = () => root.fineTune();
  const geometry = () => root.geometry();
  const runs = () => root.runs();
  const gpu = () => root.gpu();
  const resultsAttack = () => root.resultsAttack();
  const aborts = new Map<string, AbortController>();
  const signalFor = (id: string | undefined): AbortSignal | undefined => {
    if (!id) return undefined;
    const c = new AbortController();
    aborts.set(id, c);
    return c.signal;
  };
  const local = (r: LocalLoadRequest, onProgress?: (text: string) => void): LocalLoadOptions => ({ precision: r.precision, onProgress, signal: signalFor(r.cancelId) });
  const done = (id: string | undefined) => { if (id) aborts.delete(id); };

  return {
    /** Aborts the command started with this `cancelId`. */
    cancel(id: string): void {
      aborts.get(id)?.abort();
      aborts.delete(id);
    },

    /** The page's browser preferences (kept in its localStorage, which a Worker lacks). */
    async setPreferences(p: { modelCacheMiB: number | null }): Promise<void> { (await modelCache()).setPageCapMiB(p.modelCacheMiB); },

    // GPU and self-test
    async acquireGpu(): Promise<void> { await (await gpu()).gpuContext(); },
    async runSelfTest(seed: number, only?: string): Promise<void> {
      return (await gpu()).runSelfTest(seed, only ? (name: string) => name.startsWith(only) : undefined);
    },

    // Model panel
    async showModel(m: ExperimentConfig['model'], seed: number): Promise<void> { return (await model()).showModel(m, seed); },
    async computePrompts(classes: readonly string[], templates: number, synonyms: number): Promise<void> { (await model()).computePrompts(classes, templates, synonyms); },
    async approveModelFetch(): Promise<void> { return (await model()).approveModelFetch(); },
    async cancelModelFetch(): Promise<void> { (await model()).cancelModelFetch(); },
    async loadLocalModel(files: PathedFile[], r: LocalLoadRequest = {}, onProgress?: (text: string) => void): Promise<ModelSummary | null> {
      try { return await (await model()).loadLocalModel(files, local(r, onProgress)); } finally { done(r.cancelId); }
    },
    async reopenLocalModel(id: string, r: LocalLoadRequest = {}, onProgress?: (text: string) => void): Promise<ModelSummary | null> {
      try { return await (await model()).reopenLocalModel(id, local(r, onProgress)); } finally { done(r.cancelId); }
    },
    async unloadLocalModel(): Promise<void> { return (await model()).unloadLocalModel(); },
    async recentLocalModels() { return (await model()).recentLocalModels(); },
    async forgetLocalModel(id: string): Promise<void> { return (await model()).forgetLocalModel(id); },
    async refreshModelCache(): Promise<void> { return (await modelCache()).refreshModelCache(); },
    async clearModelCache(): Promise<void> { return (await modelCache()).clearModelCache(); },
    async setModelCacheCap(mib: number): Promise<void> { return (await modelCache()).setModelCacheCap(mib); },
    async cachedUnder(folder: string): Promise<{ files: number; bytes: number }> { return (await modelCache()).cachedUnder(folder); },

    // Attack playground
    async preparePlayground(req: PlaygroundRequest): Promise<void> { return (await attack()).preparePlayground(req); },
    async selectTestImage(index: number): Promise<void> { return (await attack()).selectTestImage(index); },
    async selectImageFile(file: File): Promise<void> { return (await attack()).selectImageFile(file); },
    async setCustomClasses(text: string | null): Promise<void> { return (await attack()).setCustomClasses(text); },
    async setBatchOptions(o: { size?: number; from?: number }): Promise<void> { (await attack()).setBatchOptions(o); },
    async setTrueClass(k: number): Promise<void> { (await attack()).setTrueClass(k); },
    async setAttackEngine(kind: AttackEngineKind, req: PlaygroundRequest): Promise<void> { return (await attack()).setEngine(kind, req); },
    async runSingleAttack(): Promise<void> { return (await attack()).runSingleAttack(); },
    async runBatchAttack(): Promise<void> { return (await attack()).runBatchAttack(); },
    async stopAttack(which: 'single' | 'batch' | 'both' = 'both'): Promise<void> { (await attack()).stopAttack(which); },
    async adversarialPng(): Promise<{ blob: Blob; name: string } | null> { return (await attack()).adversarialPng(); },
    async parseClassNames(text: string): Promise<{ names: string[] } | { error: string }> { return (await attack()).parseClassNames(text); },
    async refreshCompareRuns(): Promise<void> { return (await attack()).refreshCompareRuns(); },
    async selectCompareRun(id: string | null): Promise<void> { return (await attack()).selectCompareRun(id); },
    async runCompareAttack(): Promise<void> { return (await attack()).runCompareAttack(); },
    async runCompareBatchAttack(): Promise<void> { return (await attack()).runCompareBatchAttack(); },
    async stopCompareBatchAttack(): Promise<void> { (await attack()).stopCompareBatchAttack(); },

    // Fine-tuning and runs
    async startRun(): Promise<void> { return (await fineTune()).startRun(); },
    async prepareRun(config: ExperimentConfig, probe: ProbeSettings): Promise<void> { return (await fineTune()).prepareRun(config, probe); },
    async pauseRun(): Promise<void> { (await fineTune()).pauseRun(); },
    async resumeRun(id?: string): Promise<void> { return (await fineTune()).resumeRun(id); },
    async stopRun(id?: string): Promise<void> { return (await fineTune()).stopRun(id); },
    async runModelZip(id: string): Promise<{ blob: Blob; name: string }> { return (await fineTune()).runModelZip(id); },
    async ensureRunsLoaded(): Promise<void> { await (await runs()).ensureRunsLoaded(); },
    async deleteStoredRun(id: string): Promise<void> { return (await runs()).deleteStoredRun(id); },
    async deleteDamagedRun(id: string): Promise<void> { return (await runs()).deleteDamagedRun(id); },
    async importRunFile(file: File): Promise<{ run: RunRecord; warnings: string[] }> { return (await runs()).importRunFile(file); },

    // Results panel: one image's adversarial example re-created on the run's committed model
    async recreateResultsAdversarial(req: RecreateRequest, r: { cancelId?: string } = {}, onProgress?: (text: string) => void): Promise<RecreateResult> {
      try { return await (await resultsAttack()).recreateAdversarial(req, onProgress, signalFor(r.cancelId)); } finally { done(r.cancelId); }
    },

    // Subspaces panel
    async measureCurrentModel(): Promise<void> { return (await geometry()).measureCurrentModel(); },
  };
}

export type EngineApi = ReturnType<typeof createEngineApi>;
