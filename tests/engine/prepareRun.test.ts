/**
 * The engine's prepared run model (src/engine/prepareRun.ts), with stand-in models and GPU contexts (no GPU): a run
 * takes the prepared model only under the same key and context, waits for a preparation in flight, owns it after
 * taking it; a model of another key, a failed warm-up and a lost device leave nothing behind; the key follows what
 * makes models interchangeable (model, towers, optimiser) and not the batch sizes or step counts; a prepared step-0
 * snapshot is adopted only by a fresh loop measuring the very same probe.
 */
import { describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/context';
import type { FineTuneConfig } from '../../src/methods/config';
import type { FineTuneModel } from '../../src/methods/model';
import { adoptPreparedSnapshot, preparedModelKey, RunPreparation, sameProbe, type WarmResult } from '../../src/engine/prepareRun';
import type { GeometryProbe, GeometrySnapshot } from '../../src/methods/geometry';
import type { FineTuneLoop } from '../../src/methods/loop';
import { fromExperimentConfig } from '../../src/methods/config';
import { applyPreset, defaultConfig, QUICK_DEMO_PRESET, withValueAt } from '../../src/experiment';

function fakeContext(): GpuContext & { lose(): void } {
  const listeners = new Set<() => void>();
  return {
    onLost(l: () => void) { listeners.add(l); return () => listeners.delete(l); },
    lose() { for (const l of listeners) l(); },
  } as unknown as GpuContext & { lose(): void };
}

function fakeModel(name: string, released: string[]): FineTuneModel {
  return { name, release: async () => { released.push(name); } } as unknown as FineTuneModel;
}

const demo = (): FineTuneConfig => fromExperimentConfig(applyPreset(defaultConfig(), QUICK_DEMO_PRESET)).config;

describe('RunPreparation', () => {
  it('hands the prepared model to a run of the same key and context, once', async () => {
    const p = new RunPreparation<string>(), ctx = fakeContext(), released: string[] = [];
    const warmed: string[] = [];
    await p.prepare('k', ctx, async () => fakeModel('a', released), async (m) => { warmed.push((m as unknown as { name: string }).name); return 'warm'; });
    expect(warmed).toEqual(['a']);
    expect(p.key).toBe('k');
    // Asked again for the same key: nothing is built again.
    await p.prepare('k', ctx, async () => { throw new Error('built twice'); }, async () => 'warm');
    const taken = await p.take('k', ctx);
    expect((taken?.model as unknown as { name: string }).name).toBe('a');
    expect(taken?.warmed).toBe('warm');
    expect(p.key).toBeNull();
    expect(await p.take('k', ctx)).toBeNull();
    expect(released).toEqual([]);
  });

  it('a run that starts while the preparation is in flight waits for it', async () => {
    const p = new RunPreparation<string>(), ctx = fakeContext(), released: string[] = [];
    let finish!: () => void;
    const warming = new Promise<string>((r) => (finish = () => r('warm')));
    const preparing = p.prepare('k', ctx, async () => fakeModel('a', released), () => warming);
    const taking = p.take('k', ctx);
    finish();
    await preparing;
    expect(((await taking)?.model as unknown as { name: string }).name).toBe('a');
  });

  it('another key, another context or a lost device: nothing is handed over; the unused model is released unless lost', async () => {
    const p = new RunPreparation<string>(), ctx = fakeContext(), released: string[] = [];
    await p.prepare('k', ctx, async () => fakeModel('a', released), async () => 'warm');
    expect(await p.take('other', ctx)).toBeNull();
    await new Promise((r) => setTimeout(r, 0));
    expect(released).toEqual(['a']);
    await p.prepare('k', ctx, async () => fakeModel('b', released), async () => 'warm');
    expect(await p.take('k', fakeContext())).toBeNull();
    await new Promise((r) => setTimeout(r, 0));
    expect(released).toEqual(['a', 'b']);
    await p.prepare('k', ctx, async () => fakeModel('c', released), async () => 'warm');
    ctx.lose();
    expect(await p.take('k', ctx)).toBeNull();
    // The device took the lost model's buffers with it: nothing to release.
    expect(released).toEqual(['a', 'b']);
  });

  it('a failed warm-up rejects, releases the model and keeps nothing', async () => {
    const p = new RunPreparation<string>(), ctx = fakeContext(), released: string[] = [];
    await expect(p.prepare('k', ctx, async () => fakeModel('a', released), async () => { throw new Error('no adapter'); })).rejects.toThrow('no adapter');
    expect(released).toEqual(['a']);
    expect(p.key).toBeNull();
    expect(await p.take('k', ctx)).toBeNull();
  });

  it('the key: same model and model options → same key, whatever the steps or batch; other towers or optimiser → another', () => {
    const c = demo();
    expect(preparedModelKey('m', { ...c, steps: 99, batchSize: 8, lr: 1 })).toBe(preparedModelKey('m', c));
    expect(preparedModelKey('m2', c)).not.toBe(preparedModelKey('m', c));
    const both = fromExperimentConfig(withValueAt(applyPreset(defaultConfig(), QUICK_DEMO_PRESET), 'fineTune.towers', 'both')).config;
    expect(preparedModelKey('m', both)).not.toBe(preparedModelKey('m', c));
    expect(preparedModelKey('m', { ...c, weightDecay: c.weightDecay + 0.5 })).not.toBe(preparedModelKey('m', c));
  });

  it('the prepared step-0 snapshot goes to a fresh loop of the same probe only', () => {
    const probe = (scale: number) => ({ images: 1, views: 2, pixels: Float32Array.of(0.5 * scale, 1), prompts: { ids: BigInt64Array.of(1n, 2n) } }) as unknown as GeometryProbe;
    expect(sameProbe(probe(1), probe(1))).toBe(true);
    expect(sameProbe(probe(1), probe(2))).toBe(false);
    const snapshot = { step: 0 } as GeometrySnapshot;
    const warmed: WarmResult = { probe: probe(1), snapshot };
    const loop = (p: GeometryProbe, step = 0, basis?: object) => ({ step, geometry: { every: 4, probe: p, basis } }) as unknown as FineTuneLoop;
    const same = loop(probe(1));
    adoptPreparedSnapshot(same, warmed);
    expect(same.geometry?.initial).toBe(snapshot);
    for (const l of [loop(probe(2)), loop(probe(1), 3), loop(probe(1), 0, { mean: [] })]) {
      adoptPreparedSnapshot(l, warmed);
      expect(l.geometry?.initial).toBeUndefined();
    }
  });
});
