/**
 * `tokenEmbeddingNorms` (the radius of AoS's prompt attack) after a GPU update reads only the prompts' token rows
 * back, in one readback, and equals the norms computed from the whole current params; a row outside the token
 * embedding is refused.
 */
import { describe, expect, it } from 'vitest';
import { TOKEN_EMBEDDING_WEIGHT } from '../../src/methods/model';
import { tokenEmbeddingNorms } from '../../src/methods/attack';
import { Rng, freshSeed } from '../../src/util/random';
import { withGpu } from '../helpers/gpu';
import { cfg, execModel } from './setup';

const seed = freshSeed();

describe(`token-embedding norms after an update (AOS_SEED=${seed})`, () => {
  it('read only the prompts\' rows, once, and match the whole params', async () => {
    await withGpu(async (ctx) => {
      const rng = new Rng(seed);
      const model = await execModel(ctx, seed, { vision: false, text: true });
      try {
        const B = 3, T = cfg.text.contextLength, V = cfg.text.vocabSize;
        // BOS-like first token, random middle, EOS = the highest id at a random position, zero padding after it.
        const ids = new BigInt64Array(B * T);
        for (let b = 0; b < B; b++) {
          const eos = rng.int(2, T - 1);
          for (let t = 0; t < eos; t++) ids[b * T + t] = BigInt(rng.int(1, V - 2));
          ids[b * T + eos] = BigInt(V - 1);
        }
        // A GPU update makes the host copy stale.
        model.zeroGrad();
        const f = await model.textForward(ids, B, undefined, { keep: true });
        await model.textBackward(f.state!, rng.normal(B * cfg.projectionDim), { weights: true });
        await model.update(1, { vision: 0, text: 1e-2 });
        expect(() => model.text.host).toThrow(/stale/);

        const before = ctx.stats.readbacks;
        const norms = await tokenEmbeddingNorms(model, ids, B);
        expect(ctx.stats.readbacks - before).toBe(1);
        expect(() => model.text.host, 'the whole tower was not read back').toThrow(/stale/);

        const w = await model.text.syncHost(), s = model.text.slot(TOKEN_EMBEDDING_WEIGHT), W = model.textWidth;
        for (let b = 0; b < B; b++) {
          let eos = 0;
          for (let t = 1; t < T; t++) if (ids[b * T + t] > ids[b * T + eos]) eos = t;
          let ss = 0;
          for (let t = 0; t <= eos; t++) for (let k = 0; k < W; k++) ss += w[s.offset + Number(ids[b * T + t]) * W + k] ** 2;
          expect(norms[b]).toBeCloseTo(Math.sqrt(ss), 6);
        }
        // With the host copy current, no readback at all.
        const again = ctx.stats.readbacks;
        expect(Array.from(await tokenEmbeddingNorms(model, ids, B))).toEqual(Array.from(norms));
        expect(ctx.stats.readbacks - again).toBe(0);
        await expect(model.text.slotRows(s, W, [V])).rejects.toThrow(/outside/);
      } finally {
        await model.release();
      }
    });
  });
});
