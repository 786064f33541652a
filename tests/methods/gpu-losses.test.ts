/**
 * The training losses on GPU buffers (taken on our executor: AoS's image terms, src/methods/aosImageTerms.ts; TeCoA's
 * CE, `zeroShotLossOnGpu`) against the host path (taken with `debug`), on the same model, batch and attacks: loss,
 * every term, the per-term gradient norms and the accumulated weight gradients of both towers agree; the GPU path
 * reads back less. AoS: both towers with the prompt attack (λ3), and the vision tower alone with λ2 on both image
 * groups; TeCoA with both towers; PMG-AFT with either tower set, KL reduction and direction; FARE with both of its
 * distances.
 */
import { describe, expect, it } from 'vitest';
import { Rng, freshSeed } from '../../src/util/random';
import { validate } from '../../src/util/validate';
import { withGpu } from '../helpers/gpu';
import { testConfig, testLoop } from './setup';

const seed = freshSeed();

describe(`training losses on the GPU vs the host path (AOS_SEED=${seed})`, () => {
  for (const [name, method, patch] of [
    ['AoS, both towers, λ1 λ2 λ3, ridge from the spectrum', 'aos', { towers: 'both' as const, aos: { augmentations: 2, textEps: 0.2, lambda1: 1, lambda2: 0.5, lambda3: 0.5, ridgeFromSpectrum: true } }],
    ['AoS, vision tower, λ2 on clean and adversarial groups, CE weight 0.5', 'aos', { towers: 'vision' as const, aos: { augmentations: 3, lambda1: 0.7, lambda2: 1.3, imageTextGroups: 'both' as const, ceWeight: 0.5 } }],
    ['TeCoA, both towers', 'tecoa', { towers: 'both' as const, attack: { eps: 4 / 255, steps: 2 } }],
    ['PMG-AFT, both towers, KL sums, KL(p_adv ‖ p_orig)', 'pmg-aft', { towers: 'both' as const, attack: { eps: 4 / 255, steps: 2 }, pmgAft: { alpha: 0.7, beta: 1.3 } }],
    ['PMG-AFT, vision tower, batch-mean KLs, KL(p_orig ‖ p_adv)', 'pmg-aft', { towers: 'vision' as const, attack: { eps: 4 / 255, steps: 2 }, pmgAft: { alpha: 1, beta: 0.5, klReduction: 'mean' as const, klDirection: 'orig-adv' as const } }],
    ['FARE, squared L2 embedding distance, PGD-3', 'fare', { attack: { eps: 4 / 255 }, fare: { attackSteps: 3, loss: 'l2-squared' as const } }],
    ['FARE, L2 embedding distance', 'fare', { attack: { eps: 4 / 255 }, fare: { attackSteps: 2, loss: 'l2' as const } }],
  ] as const) {
    it(name, async () => {
      await withGpu(async (ctx) => {
        const rng = new Rng(seed);
        const loop = await testLoop(ctx, testConfig(method, { seed: rng.int(1, 1000), ...patch }), { backend: 'exec', weightsSeed: rng.int(1, 1000) });
        expect(loop.model.backend).toBe('exec');
        // PMG-AFT's α term compares the model with its original weights: one step first, so that it is not 0.
        if (method === 'pmg-aft') await loop.trainStep();
        const grads = async () => [...await loop.model.tower('vision').gradients(), ...(loop.model.text.trainable ? await loop.model.tower('text').gradients() : [])];
        const r0 = ctx.stats.readbacks;
        const gpu = await loop.computeStep(false);
        const gpuReads = ctx.stats.readbacks - r0;
        const gGpu = Float32Array.from(await grads());
        const r1 = ctx.stats.readbacks;
        const host = await loop.computeStep(true);
        const hostReads = ctx.stats.readbacks - r1;
        const gHost = Float32Array.from(await grads());
        console.log(`${name}: loss gpu ${gpu.loss} host ${host.loss}; terms ${JSON.stringify(gpu.terms)} vs ${JSON.stringify(host.terms)}; readbacks ${gpuReads} vs ${hostReads}`);
        expect(Object.keys(gpu.terms).sort()).toEqual(Object.keys(host.terms).sort());
        for (const k of Object.keys(host.terms)) expect(gpu.terms[k], k).toBeCloseTo(host.terms[k], 4);
        if (method === 'pmg-aft') expect(host.terms.klOriginal).toBeGreaterThan(1e-6);
        expect(gpu.loss).toBeCloseTo(host.loss, 4);
        for (const k of Object.keys(host.termGradNorms!)) {
          const ref = host.termGradNorms![k];
          expect(Math.abs(gpu.termGradNorms![k] - ref), `‖∂ ${k}‖: ${gpu.termGradNorms![k]} vs ${ref}`).toBeLessThanOrEqual(1e-3 * ref + 1e-6);
        }
        expect(gpu.trainRobustAccuracy).toBe(host.trainRobustAccuracy);
        // The spectra (AoS): the same pair types, mean angles within fp32 angle noise (degrees).
        expect(Object.keys(gpu.angles ?? {}).sort()).toEqual(Object.keys(host.angles ?? {}).sort());
        for (const k of Object.keys(host.angles ?? {})) expect(Math.abs(gpu.angles![k] - host.angles![k]), `angle ${k}`).toBeLessThan(0.05);
        const scale = Math.max(...Array.from(gHost, Math.abs));
        const v = validate(gGpu, gHost, 2e-3 * scale, 2e-3, 'weight gradients, GPU terms vs host terms');
        expect(v.ok, v.message).toBe(true);
        expect(gpuReads, 'the GPU path reads back less').toBeLessThan(hostReads);
      });
    });
  }
});
