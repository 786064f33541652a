/**
 * Fair factors of the methods (issues #14, #15): PMG-AFT's KL as its authors wrote it (sum reduction,
 * KL(p_adv ‖ p_orig)) against a float64 reference; FARE's PGD-10 counted in the passes; per-term gradient norms,
 * the clip factor and distinct images reported every step by every method.
 */
import { describe, expect, it } from 'vitest';
import { withGpu } from '../helpers/gpu';
import { createMethod } from '../../src/methods/loop';
import { freshSeed } from '../../src/util/random';
import { testConfig, testLoop } from './setup';

const seed = freshSeed();
console.log(`methods/fair seed ${seed} (AOS_SEED=${seed} replays)`);

/** float64 reference: log-softmax of s·cos(e_i, t_c) rows. */
function logProbs(e: ArrayLike<number>, t: ArrayLike<number>, n: number, C: number, D: number, s: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < n; i++) {
    let ne = 0;
    for (let k = 0; k < D; k++) ne += e[i * D + k] ** 2;
    const z: number[] = [];
    for (let c = 0; c < C; c++) {
      let dot = 0, nt = 0;
      for (let k = 0; k < D; k++) {
        dot += e[i * D + k] * t[c * D + k];
        nt += t[c * D + k] ** 2;
      }
      z.push((s * dot) / Math.sqrt(ne * nt));
    }
    const m = Math.max(...z), lse = m + Math.log(z.reduce((a, v) => a + Math.exp(v - m), 0));
    out.push(z.map((v) => v - lse));
  }
  return out;
}

/** Σ_i KL(p_i ‖ q_i) from log-probabilities. */
const klSum = (lp: number[][], lq: number[][]) => lp.reduce((a, row, i) => a + row.reduce((b, l, c) => b + Math.exp(l) * (l - lq[i][c]), 0), 0);

describe('fair factors', () => {
  it("PMG-AFT's default is the authors' sum reduction and KL(p_adv ‖ p_orig); the options give the batch mean and the other direction", async () => {
    await withGpu(async (ctx) => {
      const config = testConfig('pmg-aft', { seed, pmgAft: { alpha: 0.7, beta: 0.3 } });
      expect(config.pmgAft.klReduction).toBe('sum');
      expect(config.pmgAft.klDirection).toBe('adv-orig');
      // One training step first, so the current model differs from the original one.
      const loop = await testLoop(ctx, config, { weightsSeed: seed, fixedBatch: true });
      await loop.trainStep();
      loop.step = 0;
      const out = await loop.computeStep(true);
      const xAdv = (out.debug as { xAdv: Float32Array }).xAdv;
      const batch = (loop as unknown as { o: { data: { batch: (s: number, n: number, v: number) => { pixels: Float32Array } } } }).o.data.batch(1, config.batchSize, 1);
      const N = config.batchSize, D = loop.model.dim, s = loop.model.scale;
      const t = await loop.text.forward();
      const C = t.ens.classes;
      const adv = await loop.model.visionForward(xAdv, N, { count: 'none' });
      const orig = await loop.model.visionForward(xAdv, N, { original: true, count: 'none' });
      const clean = await loop.model.visionForward(batch.pixels, N, { count: 'none' });
      const lAdv = logProbs(adv.embeds, t.classEmb, N, C, D, s), lOrig = logProbs(orig.embeds, t.classEmb, N, C, D, s), lClean = logProbs(clean.embeds, t.classEmb, N, C, D, s);
      const klAdvOrig = klSum(lAdv, lOrig), klOrigAdv = klSum(lOrig, lAdv), klClean = klSum(lClean, lAdv);
      console.log(`PMG-AFT KL(adv‖orig) ${klAdvOrig} KL(orig‖adv) ${klOrigAdv} KL(clean‖adv) ${klClean}; loop ${JSON.stringify(out.terms)}`);
      const close = (a: number, b: number) => expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-4 + 1e-3 * Math.abs(b));
      close(out.terms.klOriginal, klAdvOrig);
      close(out.terms.klClean, klClean);
      close(out.loss, out.terms.ce + 0.7 * klAdvOrig + 0.3 * klClean);
      // The two directions differ here (else the test would not tell them apart).
      expect(Math.abs(klAdvOrig - klOrigAdv)).toBeGreaterThan(1e-6);
      // Today's earlier behaviour as options, on the same adversarial images.
      const old = await testLoop(ctx, testConfig('pmg-aft', { seed, pmgAft: { alpha: 0.7, beta: 0.3, klReduction: 'mean', klDirection: 'orig-adv' } }), { weightsSeed: seed, fixedBatch: true });
      await old.model.loadState(await loop.model.state(1));
      const o2 = await old.computeStep(false, { xAdv });
      close(o2.terms.klOriginal, klOrigAdv / N);
      close(o2.terms.klClean, klClean / N);
      await loop.model.release();
      await old.model.release();
    });
  });

  it("FARE's inner attack takes fare.attackSteps (default 10), and the passes count it", async () => {
    const c = testConfig('fare', { seed });
    expect(c.fare.attackSteps).toBe(10);
    expect(createMethod(c).passesPerStep(8, 0).vision).toBe((10 + 2) * 8);
    expect(createMethod(testConfig('fare', { seed, attack: { eps: 0 } })).passesPerStep(8, 0).vision).toBe(2 * 8);
    await withGpu(async (ctx) => {
      const config = testConfig('fare', { seed, fare: { attackSteps: 3 } });
      const loop = await testLoop(ctx, config, { weightsSeed: seed });
      const m = await loop.trainStep();
      expect(m.stepPasses.vision).toBe((3 + 2) * config.batchSize);
      expect(loop.passesPerStep.vision).toBe((3 + 2) * config.batchSize);
      await loop.model.release();
    });
  });

  it('every method reports finite per-term gradient norms, the clip factor and distinct images every step', async () => {
    await withGpu(async (ctx) => {
      const expected: Record<string, string[]> = { tecoa: ['ce'], 'pmg-aft': ['ce', 'klOriginal', 'klClean'], fare: ['fare'], aos: ['ce', 'advClean', 'imageText', 'advText'] };
      for (const method of ['tecoa', 'pmg-aft', 'fare', 'aos'] as const) {
        const config = testConfig(method, { seed, maxGradNorm: 1e-3, fare: { attackSteps: 1 } });
        const loop = await testLoop(ctx, config, { weightsSeed: seed });
        const m1 = await loop.trainStep();
        const m2 = await loop.trainStep();
        for (const m of [m1, m2]) {
          expect(m.termGradNorms, method).toBeDefined();
          for (const k of expected[method]) {
            expect(Number.isFinite(m.termGradNorms![k]), `${method} ${k}`).toBe(true);
            // At step 1 the current model is the original one: PMG-AFT's KL to it (and its gradient) is 0.
            if (m === m2 || k !== 'klOriginal') expect(m.termGradNorms![k], `${method} ${k} step ${m.step}`).toBeGreaterThan(0);
            else expect(m.termGradNorms![k]).toBe(0);
          }
          for (const v of Object.values(m.termGradNorms!)) expect(Number.isFinite(v)).toBe(true);
          // A tiny max norm clips: factor = maxGradNorm / ‖g‖.
          expect(m.clipFactor!).toBeCloseTo(Math.min(1, 1e-3 / m.gradNorm), 10);
          expect(m.clipFactor!).toBeGreaterThan(0);
          expect(m.clipFactor!).toBeLessThanOrEqual(1);
        }
        expect(m1.distinctImages).toBe(config.batchSize);
        expect(m2.distinctImages!).toBeGreaterThanOrEqual(config.batchSize);
        expect(m2.distinctImages!).toBeLessThanOrEqual(2 * config.batchSize);
        console.log(`${method}: termGradNorms ${JSON.stringify(m2.termGradNorms)} clip ${m2.clipFactor} distinct ${m2.distinctImages}`);
        await loop.model.release();
      }
    });
  });
});
