/**
 * Preparing a run before it is asked for (issue #19's quick demo): on a software adapter a run's first step spends
 * most of its time building the towers' gradient graphs and compiling their shaders, once per tower and batch size
 * (src/methods/stepPhases.ts shows it). The guided start knows which run the user is one click from, so the engine
 * builds that run's `FineTuneModel` while the user reads the page and warms it at the very shapes the run will use:
 * one training step's gradients (thrown away, never applied) and one measurement of the geometry probe on the
 * untrained weights. The run started by the click then takes the prepared model (src/engine/fineTune.ts `buildLive`)
 * and starts on warm sessions; its weights, optimiser state and pass counts are those of a fresh model, so what it
 * trains and reports is exactly what a cold start would give, only sooner. The probe measurement is the run's step-0
 * snapshot when the run's probe is the same one (`adoptPreparedSnapshot`): a property of the untrained model and the
 * probe, not of the run, so measuring it again after the click would only repeat it (≈ 10 s on SwiftShader).
 *
 * A prepared model is used only by a run with the same model key, GPU context and model options (`preparedModelKey`),
 * whatever its batch sizes (a mismatch only means cold sessions); one is kept at a time and released when another is
 * prepared, when the device is lost, or when a run of other options starts.
 */
import type { GpuContext } from '../gpu/context';
import type { FineTuneConfig } from '../methods/config';
import { resolvedTowers } from '../methods/config';
import { FineTuneData } from '../methods/data';
import { computeGeometry, probeFromSettings, type GeometryProbe, type GeometrySnapshot } from '../methods/geometry';
import type { ProbeSettings } from '../methods/probeSettings';
import { FineTuneLoop, type FineTuneLoopOptions } from '../methods/loop';
import type { FineTuneModel } from '../methods/model';

/** What makes two runs' `FineTuneModel`s interchangeable before training: the model, the trained towers, the optimiser. */
export function preparedModelKey(modelKey: string, c: FineTuneConfig): string {
  return JSON.stringify([modelKey, resolvedTowers(c), c.optimizer, c.weightDecay, c.maxGradNorm, c.momentum]);
}

/** What a warm-up leaves beside the model: the step-0 snapshot of the probe it measured (null: no probe). */
export interface WarmResult {
  probe: GeometryProbe;
  snapshot: GeometrySnapshot;
}

/** A prepared model, handed over to the run that takes it, and what its warm-up measured. */
export interface PreparedModel<W = WarmResult | null> {
  model: FineTuneModel;
  warmed: W;
}

interface Entry<W> {
  key: string;
  ctx: GpuContext;
  model: Promise<PreparedModel<W>>;
  lost: boolean;
  stopLost: () => void;
}

/**
 * Builds the model of a run's options and runs one step's gradients and one probe measurement on it (graphs built,
 * shaders compiled), then puts it back as new: gradients zeroed, pass counters at 0 (no update was applied, so the
 * weights and optimiser moments never changed). The probe is `probe`'s on the training data (as the Subspaces
 * panel's loop option builds it for a run: src/engine/geometry.ts), else `o.geometry`'s. Returns its step-0 snapshot.
 */
export async function warmModel(ctx: GpuContext, model: FineTuneModel, o: FineTuneLoopOptions, probe?: ProbeSettings): Promise<WarmResult | null> {
  const data = o.data instanceof FineTuneData ? o.data : null;
  const loop = FineTuneLoop.create(ctx, probe && data ? { ...o, geometry: { every: 1, probe: probeFromSettings(data.data, o.prompts, probe, data.options.hflip) } } : o);
  await loop.computeStep();
  const g = loop.geometry;
  const snapshot = g ? await computeGeometry(ctx, model, g.probe, { step: 0 }) : null;
  model.zeroGrad();
  for (const kind of ['train', 'eval'] as const) Object.assign(model.passes[kind], { vision: 0, text: 0 });
  return g && snapshot ? { probe: g.probe, snapshot } : null;
}

/** Whether two probes are the same inputs and settings (typed arrays compared element by element). */
export function sameProbe(a: GeometryProbe, b: GeometryProbe): boolean {
  const plain = (p: GeometryProbe) => JSON.stringify(p, (_k, v: unknown) => (ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<unknown>, String) : v));
  return plain(a) === plain(b);
}

/**
 * Gives a fresh loop the prepared step-0 snapshot when the loop measures the very probe the preparation measured
 * (another probe, e.g. settings changed after the preparation: the loop measures its own).
 */
export function adoptPreparedSnapshot(loop: FineTuneLoop, warmed: WarmResult | null): void {
  const g = loop.geometry;
  if (g && warmed && loop.step === 0 && !g.basis && sameProbe(g.probe, warmed.probe)) g.initial = warmed.snapshot;
}

/** The engine's one prepared model (kept on the fine-tuning engine's state object). */
export class RunPreparation<W = WarmResult | null> {
  private entry: Entry<W> | null = null;

  /** The key being prepared or prepared (null: none). */
  get key(): string | null {
    return this.entry?.key ?? null;
  }

  /**
   * Prepares a model under `key` (a no-op when that key is already prepared or in preparation): `build` makes it,
   * `warm` runs it at the run's shapes. Resolves when it is ready; rejects (and keeps nothing) when either fails.
   */
  async prepare(key: string, ctx: GpuContext, build: () => Promise<FineTuneModel>, warm: (m: FineTuneModel) => Promise<W>): Promise<void> {
    if (this.entry?.key === key && this.entry.ctx === ctx && !this.entry.lost) {
      await this.entry.model;
      return;
    }
    // The entry is registered before anything is awaited, so a run started from now on waits for this one.
    const old = this.entry;
    const model = (async () => {
      if (old) await disposeEntry(old);
      const m = await build();
      try {
        return { model: m, warmed: await warm(m) };
      } catch (e) {
        await m.release().catch(() => undefined);
        throw e;
      }
    })();
    const entry: Entry<W> = { key, ctx, model, lost: false, stopLost: () => undefined };
    entry.stopLost = ctx.onLost(() => { entry.lost = true; });
    this.entry = entry;
    try {
      await entry.model;
    } catch (e) {
      if (this.entry === entry) this.entry = null;
      entry.stopLost();
      throw e;
    }
  }

  /**
   * The prepared model for a run of `key` on `ctx` (waiting for a preparation in flight), handed over: the caller
   * owns it from now on. null when none fits (a prepared model of another key is released, in the background: the
   * run builds its own).
   */
  async take(key: string, ctx: GpuContext): Promise<PreparedModel<W> | null> {
    const e = this.entry;
    if (!e) return null;
    this.entry = null;
    if (e.key !== key || e.ctx !== ctx || e.lost) {
      // Released once its preparation ends, without holding up the run that did not fit it.
      void disposeEntry(e);
      return null;
    }
    const prepared = await e.model.catch(() => null);
    e.stopLost();
    // A lost device took the sessions with it: nothing to release, the run builds afresh.
    return e.lost ? null : prepared;
  }

  /** Releases the prepared model (after a preparation in flight ends). */
  async release(): Promise<void> {
    const e = this.entry;
    this.entry = null;
    if (e) await disposeEntry(e);
  }
}

/** Waits for an entry's preparation and releases its model (not when the device was lost: nothing is left). */
async function disposeEntry<W>(e: Entry<W>): Promise<void> {
  const prepared = await e.model.catch(() => null);
  e.stopLost();
  if (prepared && !e.lost) await prepared.model.release().catch(() => undefined);
}
