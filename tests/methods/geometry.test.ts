/**
 * Geometry of the subspace panels (src/methods/geometry.ts): GPU spectra against the float64 reference on fresh
 * random features; identical spans give ~0°, orthogonal ones 90°; a snapshot survives JSON unchanged and is small;
 * the probe through a tiny random-init CLIP (attack off → adversarial = clean); the loop's `geometry` option yields
 * snapshots exactly at the multiples of `every`, with one fixed projection plane; AoS reports per-step spectra.
 */
import { describe, expect, it } from 'vitest';
import { withGpu } from '../helpers/gpu';
import {
  computeGeometry, DEFAULT_PROBE_SETTINGS, geometryFeatures, probeFromSettings, makeGeometryProbe, pca2, pickProbeImages,
  snapshotFromFeatures, snapshotFromFeaturesRef, type GeometryFeatures, type GeometryProbe, type GeometrySnapshot,
} from '../../src/methods/geometry';
import { groupSpectrum, groupSpectrumRef } from '../../src/methods/spectra';
import { normalizeRows } from '../../src/methods/math';
import { defaultAugmentConfig } from '../../src/data/augment';
import { freshSeed, Rng } from '../../src/util/random';
import { FineTuneLoop, type FineTuneLoopOptions } from '../../src/methods/loop';
import type { GpuContext } from '../../src/gpu/context';
import type { FineTuneData } from '../../src/methods/data';
import { cfg, syntheticDataset, syntheticPrompts, testConfig, testLoop } from './setup';

const seed = freshSeed();
console.log(`methods/geometry seed ${seed} (AOS_SEED=${seed} replays)`);

/** Random unit-row features: B images × V views, Ct text classes × G prompts, D dims. */
function randomFeatures(rng: Rng, B: number, V: number, G: number, D: number, C = 4): GeometryFeatures {
  const unit = (n: number) => normalizeRows(rng.normal(n * D), n, D).y;
  const labels = Uint32Array.from({ length: B }, (_, b) => b % 2);
  const textClasses = [0, 1];
  return {
    images: B, views: V, dim: D, classNames: ['a', 'b', 'c', 'd'].slice(0, C), classes: C, perClass: G, labels, textClasses,
    clean: unit(B * V), adv: unit(B * V), text: unit(2 * G), advText: unit(2 * G), classEmb: unit(C), scale: 10,
  };
}

function maxAbsDiff(a: readonly number[], b: readonly number[]): number {
  expect(a.length).toBe(b.length);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
}

/** The same loop (model, data, prompts) with the `geometry` option (tests/methods/setup.ts builds loops without it). */
function withGeometry(ctx: GpuContext, loop: FineTuneLoop, geometry: FineTuneLoopOptions['geometry']): FineTuneLoop {
  const o = (loop as unknown as { o: FineTuneLoopOptions }).o;
  return FineTuneLoop.create(ctx, { ...o, geometry });
}

function probeFor(o: { eps?: number; steps?: number; textSteps?: number; views?: number } = {}): GeometryProbe {
  const data = syntheticDataset(5, 16);
  return makeGeometryProbe({
    data, indices: pickProbeImages(data, [0, 2], 1), views: o.views ?? 3, augment: defaultAugmentConfig(false), seed: 3,
    prompts: syntheticPrompts({}), attack: { eps: o.eps ?? 8 / 255, alpha: 4 / 255, steps: o.steps ?? 2, seed: 9 },
    textAttack: { epsRel: 0.3, alphaRel: 0.3, steps: o.textSteps ?? 1 },
  });
}

describe('geometry: spectra and snapshots', () => {
  it('GPU spectra match the float64 reference on fresh random groups (and a wrong input is noticed)', async () => {
    await withGpu(async (ctx) => {
      const rng = new Rng(seed);
      for (const [pairs, n, m, d] of [[5, 4, 4, 16], [3, 3, 7, 24], [2, 12, 12, 32]] as const) {
        const x = rng.normal(pairs * n * d), y = rng.normal(pairs * m * d);
        const gpu = await groupSpectrum(ctx, x, y, { pairs, n, m, d });
        const ref = groupSpectrumRef(x, y, { pairs, n, m, d });
        expect(gpu.spectrum.length).toBe(Math.min(n, m));
        // fp32 principal angles of well-conditioned random groups: ~1e-6 rad ≈ 6e-5°.
        expect(maxAbsDiff(gpu.spectrum, ref.spectrum)).toBeLessThan(2e-3);
        for (let p = 0; p < pairs; p++) expect(maxAbsDiff(gpu.perGroup[p], ref.perGroup[p])).toBeLessThan(2e-3);
        expect(Math.abs(gpu.mean - ref.mean)).toBeLessThan(2e-3);
        // Spectra ascend and lie in [0°, 90°].
        for (let i = 1; i < gpu.spectrum.length; i++) expect(gpu.spectrum[i]).toBeGreaterThanOrEqual(gpu.spectrum[i - 1] - 1e-4);
        expect(Math.min(...gpu.spectrum)).toBeGreaterThanOrEqual(0);
        expect(Math.max(...gpu.spectrum)).toBeLessThanOrEqual(90 + 1e-4);
        // The comparison can fail: one perturbed group moves the reference beyond the tolerance.
        const y2 = Float32Array.from(y);
        for (let i = 0; i < m * d; i++) y2[i] += 0.3 * rng.normal(1)[0];
        expect(maxAbsDiff(gpu.perGroup[0], groupSpectrumRef(x, y2, { pairs, n, m, d }).perGroup[0])).toBeGreaterThan(2e-2);
      }
    });
  });

  it('whole snapshot: GPU = reference on random features; JSON round trip is exact and small', async () => {
    await withGpu(async (ctx) => {
      const f = randomFeatures(new Rng(seed ^ 0x51), 3, 4, 5, 16);
      const gpu = await snapshotFromFeatures(ctx, f, { step: 7 });
      const ref = await snapshotFromFeaturesRef(f, { step: 7 });
      for (const k of ['advClean', 'imageText', 'advText'] as const) {
        expect(maxAbsDiff(gpu.spectra[k]!, ref.spectra[k]!), k).toBeLessThan(2e-3);
        expect(gpu.groups[k]!.length).toBe(k === 'advText' ? 2 : 3);
      }
      expect(gpu.spectra.advClean!.length).toBe(4);
      expect(gpu.spectra.imageText!.length).toBe(4);
      expect(gpu.spectra.advText!.length).toBe(5);
      expect(gpu.points).toEqual(ref.points);
      expect(gpu.accuracy).toEqual(ref.accuracy);
      expect(gpu.step).toBe(7);
      expect(gpu.projection.step).toBe(7);
      // Points: B·V clean/augmented + B·V adversarial + 2 · Ct·G text.
      expect(gpu.points.x.length).toBe(2 * 12 + 2 * 10);
      expect(gpu.points.kind.filter((k) => k === 'clean').length).toBe(3);
      expect(gpu.points.kind.filter((k) => k === 'aug').length).toBe(9);
      const json = JSON.stringify(gpu);
      expect(JSON.parse(json)).toEqual(gpu);
      expect(json.length).toBeLessThan(16_000);
      expect(json).not.toMatch(/null|NaN/);
    });
  });

  it('identical spans give ~0°, orthogonal spans 90°, on the GPU and in the reference', async () => {
    await withGpu(async (ctx) => {
      const rng = new Rng(seed ^ 0x0a);
      const B = 2, V = 3, G = 4, D = 16;
      const f = randomFeatures(rng, B, V, G, D);
      // Images live in dims 0–7, text in dims 8–15: image and text groups are orthogonal.
      const zeroFrom = (x: Float64Array, rows: number, lo: number, hi: number) => {
        for (let i = 0; i < rows; i++) for (let k = lo; k < hi; k++) x[i * D + k] = 0;
        return normalizeRows(x, rows, D).y;
      };
      f.clean = zeroFrom(f.clean, B * V, 8, 16);
      f.text = zeroFrom(f.text, 2 * G, 0, 8);
      // Adversarial = clean (identical rows); adversarial text = other vectors of the same span (mixed rows).
      f.adv = Float64Array.from(f.clean);
      const mix = rng.normal(G * G);
      for (let i = 0; i < G; i++) mix[i * G + i] += 3;
      const at = new Float64Array(2 * G * D);
      for (let c = 0; c < 2; c++) for (let i = 0; i < G; i++) for (let j = 0; j < G; j++) for (let k = 0; k < D; k++) at[(c * G + i) * D + k] += mix[i * G + j] * f.text[(c * G + j) * D + k];
      f.advText = normalizeRows(at, 2 * G, D).y;
      for (const snap of [await snapshotFromFeatures(ctx, f), await snapshotFromFeaturesRef(f)]) {
        expect(Math.max(...snap.spectra.advClean!)).toBeLessThan(0.05);
        expect(Math.max(...snap.spectra.advText!)).toBeLessThan(0.1);
        expect(Math.min(...snap.spectra.imageText!)).toBeGreaterThan(89.95);
        expect(snap.spectra.advClean!.length).toBe(V);
        expect(snap.spectra.imageText!.length).toBe(V);
      }
    });
  });

  it('pca2 finds the two axes of an anisotropic cloud', () => {
    const rng = new Rng(seed ^ 0x7c), n = 400, d = 6;
    const rows = new Float64Array(n * d);
    for (let i = 0; i < n; i++) {
      const z = rng.normal(d);
      rows[i * d + 2] = 5 * z[0];
      rows[i * d + 4] = 2 * z[1];
      for (let k = 0; k < d; k++) rows[i * d + k] += 0.1 * z[2 + (k % 4)] + 1;
    }
    const p = pca2(rows, n, d);
    expect(Math.abs(p.axes[0][2])).toBeGreaterThan(0.99);
    expect(Math.abs(p.axes[1][4])).toBeGreaterThan(0.99);
    expect(p.variances[0]).toBeGreaterThan(p.variances[1]);
    expect((p.variances[0] + p.variances[1]) / p.total).toBeGreaterThan(0.95);
  });
});

describe('geometry: probe, model, loop', () => {
  it('a probe through a tiny random-init CLIP: shapes, GPU = reference on its features, no attack → adversarial = clean', async () => {
    await withGpu(async (ctx) => {
      const loop = await testLoop(ctx, testConfig('tecoa', { seed }), { weightsSeed: seed });
      const probe = probeFor();
      expect(probe.images).toBe(2);
      expect(Array.from(probe.labels)).toEqual([0, 2]);
      const f = await geometryFeatures(ctx, loop.model, probe);
      const G = probe.prompts.perClass;
      expect(f.textClasses).toEqual([0, 2]);
      expect(f.clean.length).toBe(2 * 3 * cfg.projectionDim);
      expect(f.advText!.length).toBe(2 * G * cfg.projectionDim);
      const gpu = await snapshotFromFeatures(ctx, f), ref = await snapshotFromFeaturesRef(f);
      for (const k of ['advClean', 'imageText', 'advText'] as const) expect(maxAbsDiff(gpu.spectra[k]!, ref.spectra[k]!), k).toBeLessThan(5e-3);
      // The attack moved the adversarial views: their span differs from the clean one.
      expect(Math.max(...gpu.spectra.advClean!)).toBeGreaterThan(0.5);
      expect(Math.max(...gpu.spectra.advText!)).toBeGreaterThan(0.05);
      // No pass is counted for a measurement.
      expect(loop.model.passes).toEqual({ train: { vision: 0, text: 0 }, eval: { vision: 0, text: 0 } });

      const off = await computeGeometry(ctx, loop.model, { ...probe, attack: { ...probe.attack, eps: 0 }, textAttack: null });
      expect(Math.max(...off.spectra.advClean!)).toBeLessThan(0.05);
      expect(off.spectra.advText).toBeUndefined();
      expect(off.accuracy.adversarial).toBe(off.accuracy.clean);
      expect(off.points.x.length).toBe(2 * 6 + 2 * G);
      expect(off.classNames).toEqual(probe.classNames);
      expect(off.projection.captured).toBeGreaterThan(0);
      expect(off.projection.captured).toBeLessThanOrEqual(1);
      await loop.model.release();
    });
  });

  it('the loop option yields snapshots at multiples of `every` with one fixed plane; spectra for every method', async () => {
    await withGpu(async (ctx) => {
      const probe = probeFor({ steps: 1 });
      const loop = withGeometry(ctx, await testLoop(ctx, testConfig('tecoa', { seed, lr: 5e-3 }), { weightsSeed: seed }), { every: 2, probe });
      const ms = await loop.run({ steps: 4 });
      // The first step of a loop from step 0 carries the step-0 snapshot (measured before its update).
      const s0 = ms[0].geometryBefore!;
      expect(s0.step).toBe(0);
      expect(ms.slice(1).some((m) => m.geometryBefore)).toBe(false);
      expect(ms.map((m) => m.geometry?.step ?? null)).toEqual([null, 2, null, 4]);
      expect(ms.map((m) => !!m.spectra)).toEqual([false, true, false, true]);
      expect(ms[3].probeSpectra).toEqual(ms[3].geometry!.spectra);
      const snaps = [s0, ms[1].geometry!, ms[3].geometry!] as GeometrySnapshot[];
      for (const s of snaps) {
        expect(s.projection.mean).toEqual(s0.projection.mean);
        expect(s.projection.axes).toEqual(s0.projection.axes);
        expect(s.projection.step).toBe(0);
      }
      expect(ms[1].spectra).toEqual(ms[1].geometry!.spectra);
      // Training moved the features: the points are not where they were at step 0.
      expect(maxAbsDiff(snaps[2].points.x, s0.points.x)).toBeGreaterThan(1e-4);
      expect(JSON.parse(JSON.stringify(ms[3])).geometry).toEqual(ms[3].geometry);
      await loop.model.release();

      // AoS: per-step spectra of the training batch (1 + m, 1 + m, G angles), consistent with the mean angles.
      const aos = await testLoop(ctx, testConfig('aos', { seed }), { weightsSeed: seed });
      const m = await aos.trainStep();
      const V = 1 + aos.config.aos.augmentations, G = aos.text.prompts.perClass;
      expect(m.spectra!.advClean!.length).toBe(V);
      expect(m.spectra!.imageText!.length).toBe(Math.min(V, G));
      expect(m.spectra!.advText!.length).toBe(G);
      for (const k of ['advClean', 'imageText', 'advText'] as const) {
        const sp = m.spectra![k]!;
        expect(Math.abs(sp.reduce((a, b) => a + b, 0) / sp.length - m.angles![k]), k).toBeLessThan(1e-3);
      }
      expect(m.geometry).toBeUndefined();
      await aos.model.release();
    });
  });

  it('a loop resumed from a checkpoint keeps the projection plane of the run (checkpoint extra, or the basis option)', async () => {
    await withGpu(async (ctx) => {
      const probe = probeFor({ steps: 1 });
      const config = testConfig('tecoa', { seed, lr: 5e-3 });
      // Uninterrupted: step-0 snapshot fixes the plane; snapshots at 2 and 4.
      const a = withGeometry(ctx, await testLoop(ctx, config, { weightsSeed: seed }), { every: 2, probe });
      const msA = await a.run({ steps: 2 });
      const plane0 = msA[0].geometryBefore!.projection;
      const bytes = await a.checkpoint();
      const restA = await a.run({ steps: 2 });
      const snapA4 = restA[1].geometry!;
      await a.model.release();

      // Interrupted at step 2: a fresh loop (same original weights) resumed from the checkpoint.
      const b = withGeometry(ctx, await testLoop(ctx, config, { weightsSeed: seed }), { every: 2, probe });
      await b.resume(bytes);
      expect(b.step).toBe(2);
      const msB = await b.run({ steps: 2 });
      expect(msB.some((m) => m.geometryBefore)).toBe(false);
      const snapB4 = msB[1].geometry!;
      expect(snapB4.step).toBe(4);
      // The same plane, number for number, as the uninterrupted run's (fixed at step 0, not at step 4).
      expect(snapB4.projection.step).toBe(0);
      expect(snapB4.projection.mean).toEqual(plane0.mean);
      expect(snapB4.projection.axes).toEqual(plane0.axes);
      expect(snapB4.projection.explained).toEqual(plane0.explained);
      expect(snapA4.projection.axes).toEqual(plane0.axes);
      // So the same points (the resumed model is bit-identical on one adapter; the projection is float64 on the CPU).
      expect(maxAbsDiff(snapB4.points.x, snapA4.points.x)).toBeLessThan(1e-4);
      expect(maxAbsDiff(snapB4.points.y, snapA4.points.y)).toBeLessThan(1e-4);
      // Without a stored plane, a fresh PCA at step 4 gives another plane (what the fix prevents): the test can fail.
      const c = withGeometry(ctx, await testLoop(ctx, config, { weightsSeed: seed }), { every: 2, probe });
      await c.resume(bytes);
      c.geometryBasis = undefined;
      const fresh = (await c.run({ steps: 2 }))[1].geometry!;
      expect(fresh.projection.step).toBe(4);
      expect(maxAbsDiff(fresh.projection.axes[0].concat(fresh.projection.axes[1]), plane0.axes[0].concat(plane0.axes[1]))).toBeGreaterThan(1e-4);
      await c.model.release();

      // The option's `basis` (the engine's fallback for checkpoints without one: the run's first stored snapshot).
      const d = withGeometry(ctx, await testLoop(ctx, config, { weightsSeed: seed }), {
        every: 2, probe, basis: { mean: plane0.mean, axes: plane0.axes, step: plane0.step, explained: plane0.explained },
      });
      const msD = await d.run({ steps: 2 });
      // From step 0 the step-0 snapshot is still taken, in the given plane.
      expect(msD[0].geometryBefore!.projection.axes).toEqual(plane0.axes);
      expect(msD[1].geometry!.projection.mean).toEqual(plane0.mean);
      await d.model.release();
      await b.model.release();
    });
  });

  it('the option as a function of the loop options: a probe from the training split by settings', async () => {
    await withGpu(async (ctx) => {
      const base = await testLoop(ctx, testConfig('tecoa', { seed }), { weightsSeed: seed });
      let calls = 0;
      const loop = withGeometry(ctx, base, (o) => {
        calls++;
        const data = (o.data as FineTuneData).data;
        return { every: 3, probe: probeFromSettings(data, o.prompts, { ...DEFAULT_PROBE_SETTINGS, classes: [1, 3, 17], views: 2, templates: 1, synonyms: 2 }, false) };
      });
      expect(calls).toBe(1);
      const p = loop.geometry!.probe;
      expect(loop.geometry!.every).toBe(3);
      // Class 17 does not exist and is left out; the first image of classes 1 and 3, 2 views each.
      expect(Array.from(p.labels)).toEqual([1, 3]);
      expect(p.pixels.length).toBe(2 * 2 * 28 * 28);
      expect(p.prompts.perClass).toBe(2);
      // View 0 is the stored image.
      const data = (base as unknown as { o: FineTuneLoopOptions }).o.data as FineTuneData;
      const i0 = p.indices![0];
      for (let k = 0; k < 28 * 28; k++) expect(p.pixels[k]).toBeCloseTo(data.data.images[i0 * 784 + k] / 255, 6);
      expect(() => probeFromSettings(data.data, syntheticPrompts, { ...DEFAULT_PROBE_SETTINGS, classes: [9] }, false)).toThrow(/none of the classes/);
      expect(withGeometry(ctx, base, () => undefined).geometry).toBeUndefined();
      await base.model.release();
    });
  });

  it('the loop refuses a bad `every`', async () => {
    await withGpu(async (ctx) => {
      const base = await testLoop(ctx, testConfig('tecoa', { seed }), { weightsSeed: seed });
      expect(() => withGeometry(ctx, base, { every: 0, probe: probeFor() })).toThrow(/every/);
      expect(() => withGeometry(ctx, base, { every: 1.5, probe: probeFor() })).toThrow(/every/);
      await base.model.release();
    });
  });
});
