/**
 * Issue #14's fair factors: the trained towers and the prompt set are settings of the loop, the same for every
 * method. A frozen text tower gets no gradient and keeps its weights whatever the method; a trained one moves for
 * every method whose loss reaches it; the configured prompt set is what every method's class embeddings are made of.
 */
import { describe, expect, it } from 'vitest';
import { withGpu } from '../helpers/gpu';
import { METHOD_NAMES } from '../../src/methods/config';
import { ensemble } from '../../src/kernels/ensemble';
import { syntheticPrompts, testConfig, testLoop } from './setup';

describe('shared factors: trained towers and the prompt set, for every method', () => {
  it('a frozen text tower gets no gradient and keeps its weights; a trained one moves (FARE: vision only)', async () => {
    await withGpu(async (ctx) => {
      for (const method of METHOD_NAMES) {
        for (const towers of ['vision', 'both'] as const) {
          const loop = await testLoop(ctx, testConfig(method, { towers, steps: 2 }), { weightsSeed: 3 });
          const before = Float32Array.from(await loop.model.text.syncHost());
          await loop.computeStep();
          const textGrad = await loop.model.gradNorm('text');
          loop.model.zeroGrad();
          await loop.trainStep();
          const moved = (await loop.model.text.syncHost()).some((v, i) => v !== before[i]);
          const trains = towers === 'both' && method !== 'fare';
          expect(textGrad > 0, `${method}, towers ${towers}: ‖∂L/∂text‖ = ${textGrad}`).toBe(trains);
          expect(moved, `${method}, towers ${towers}: text weights moved`).toBe(trains);
          await loop.model.release();
        }
      }
    });
  }, 240_000);

  it('the configured prompt set is what every method\'s class embeddings are made of', async () => {
    await withGpu(async (ctx) => {
      for (const method of METHOD_NAMES) {
        for (const prompts of [{ templates: 1, synonyms: 1 }, { templates: 2, synonyms: 1 }, { templates: 2, synonyms: 2 }]) {
          const loop = await testLoop(ctx, testConfig(method, { towers: 'vision', prompts }), { weightsSeed: 5 });
          const want = syntheticPrompts(prompts);
          expect(loop.text.prompts.perClass, method).toBe(prompts.templates * prompts.synonyms);
          expect(Array.from(loop.text.prompts.ids), method).toEqual(Array.from(want.ids));
          // The class embeddings a step uses are the ensemble of exactly these prompts' embeddings.
          const t = await loop.text.forward();
          const emb = await loop.model.textForward(want.ids, want.classes * want.perClass, undefined, { count: 'none' });
          const ref = ensemble(emb.embeds, want.classes, want.perClass, loop.model.dim).classEmb;
          const got = Array.from(t.classEmb);
          for (let i = 0; i < ref.length; i++) expect(Math.abs(got[i] - ref[i]), `${method} ${JSON.stringify(prompts)} [${i}]`).toBeLessThan(1e-5);
          await loop.model.release();
        }
      }
    });
  }, 240_000);
});
