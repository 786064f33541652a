/**
 * The engine's root: makes each panel's controller once, for its own lifetime, and hands each the controllers it
 * needs (no module of the engine holds state of its own). The Worker makes one (./bridge/worker.ts); Node tests
 * make a fresh one per test, so nothing leaks between them. Controllers load on first use, as lazy chunks: a page
 * that never attacks never fetches the attack code.
 */
import type { AttackController } from './attack';
import type { DataController } from './data';
import type { GpuController } from './engine';
import type { FineTuneController } from './fineTune';
import type { GeometryController } from './geometry';
import type { ModelController } from './model';
import type { ModelCacheController } from './modelCache';
import type { RunsController } from './runs';
import type { ResultsAttackController } from './resultsAttack';

export interface EngineRootOptions {
  /** Development hooks on `globalThis` for e2e specs (`__aosGeometryCache`); the Worker sets it in dev builds. */
  devHooks?: boolean;
}

export class EngineRoot {
  private readonly made = new Map<string, Promise<unknown>>();

  constructor(private readonly options: EngineRootOptions = {}) {}

  /** The controller under `name`, made by `make` on first use (a failed make is retried next time). */
  private once<T>(name: string, make: () => Promise<T>): Promise<T> {
    let p = this.made.get(name) as Promise<T> | undefined;
    if (!p) {
      p = make();
      this.made.set(name, p);
      p.catch(() => this.made.delete(name));
    }
    return p;
  }

  gpu(): Promise<GpuController> {
    return this.once('gpu', async () => (await import('./engine')).createGpuController());
  }

  data(): Promise<DataController> {
    return this.once('data', async () => (await import('./data')).createDataController());
  }

  modelCache(): Promise<ModelCacheController> {
    return this.once('modelCache', async () => (await import('./modelCache')).createModelCacheController());
  }

  runs(): Promise<RunsController> {
    return this.once('runs', async () => (await import('./runs')).createRunsController());
  }

  model(): Promise<ModelController> {
    return this.once('model', async () => (await import('./model')).createModelController({ cache: await this.modelCache() }));
  }

  geometry(): Promise<GeometryController> {
    return this.once('geometry', async () => {
      const [m, gpu, data, model] = await Promise.all([import('./geometry'), this.gpu(), this.data(), this.model()]);
      const g = m.createGeometryController({ gpu, data, model });
      if (this.options.devHooks) (globalThis as unknown as { __aosGeometryCache: typeof g.measureCacheStats }).__aosGeometryCache = g.measureCacheStats;
      return g;
    });
  }

  fineTune(): Promise<FineTuneController> {
    return this.once('fineTune', async () => {
      const [m, gpu, data, model, runs] = await Promise.all([import('./fineTune'), this.gpu(), this.data(), this.model(), this.runs()]);
      return m.createFineTuneController({ gpu, data, model, runs });
    });
  }

  attack(): Promise<AttackController> {
    return this.once('attack', async () => {
      const [m, gpu, data, model, runs] = await Promise.all([import('./attack'), this.gpu(), this.data(), this.model(), this.runs()]);
      return m.createAttackController({ gpu, data, model, runs, fineTune: () => this.fineTune() });
    });
  }

  resultsAttack(): Promise<ResultsAttackController> {
    return this.once('resultsAttack', async () => {
      const [m, gpu, data] = await Promise.all([import('./resultsAttack'), this.gpu(), this.data()]);
      return m.createResultsAttackController({ gpu, data });
    });
  }
}
