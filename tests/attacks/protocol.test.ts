/**
 * Sanity of the evaluation protocol on the bundled undefended tiny CLIP and the bundled test splits (images drawn at
 * a fresh offset per run; `AOS_SEED=…` replays): < 5 % robust at the largest ε of the grid on every set, robust
 * accuracy non-increasing in ε, robust ≤ clean per image; a stronger APGD-CE (more steps and restarts, other seeds)
 * leaves at most 1 image in 200 more robust than the weaker one; the gradient-free Square search does not break
 * substantially more images than APGD-CE (that would mean the gradients mislead: masking); the quick protocol
 * lands within 1 point of the full-strength one on 200 images.
 */
import { describe, expect, it } from 'vitest';
import { withGpu } from '../helpers/gpu';
import { readClipFolder } from '../../src/onnx/clip/node';
import { CLIP_VISION_ONNX, clipConfigFromJson } from '../../src/onnx/clip/folder';
import { normalizationConstants, parsePreprocessorConfig } from '../../src/image/preprocess';
import { VisionAttackModel } from '../../src/attacks/model';
import { EPS_GRID_255, FULL_PROTOCOL, QUICK_PROTOCOL, runProtocol, type ProtocolConfig, type ProtocolImages } from '../../src/attacks/protocol';
import { ClipEmbedder } from '../../src/train/zeroshot';
import { loadSplitFromDir } from '../../src/data/node';
import { splitBatch } from '../../src/methods/data';
import type { GpuContext } from '../../src/gpu/context';
import { Rng, freshSeed } from '../../src/util/random';

const seed = freshSeed();
console.log(`protocol tests: AOS_SEED=${seed}`);
const MODEL = 'public/models/tiny-clip';
const BATCH = 50;
const count = (a: Uint8Array) => a.reduce((s, v) => s + v, 0);

async function setup(ctx: GpuContext, dataset: string, n: number, salt: number) {
  const files = await readClipFolder(MODEL);
  const config = clipConfigFromJson(files['config.json']);
  const constants = normalizationConstants(parsePreprocessorConfig(files['preprocessor_config.json']), config.channels);
  const embedder = await ClipEmbedder.create(ctx, files);
  const model = await VisionAttackModel.create(ctx, files[CLIP_VISION_ONNX], { batch: BATCH, constants });
  const { data } = await loadSplitFromDir(dataset, 'test');
  const start = new Rng(seed ^ salt).int(0, data.count - n + 1);
  const b = splitBatch(data, start, n);
  const texts = ctx.upload('protocolTest.texts', Float32Array.from(await embedder.classEmbeddings(data.classes)));
  const im: ProtocolImages = { pixels: b.pixels, labels: b.labels, texts, classes: data.classes.length, logitScale: Math.exp(config.logitScale) };
  const release = async () => {
    ctx.release(texts);
    await model.release();
    await embedder.release();
  };
  return { model, im, start, release };
}

const only = (p: Partial<ProtocolConfig>, s: number): ProtocolConfig => ({ apgdSteps: 0, apgdRestarts: 1, targets: 0, targetedSteps: 0, squareQueries: 0, seed: s, ...p });

describe('evaluation protocol on the bundled undefended model', () => {
  for (const [k, dataset] of ['fashion-mnist', 'mnist', 'digits'].entries()) {
    it(`${dataset}: < 5 % at the largest ε, non-increasing in ε, robust ≤ clean per image (100 images, quick protocol)`, async () => {
      await withGpu(async (ctx) => {
        const s = await setup(ctx, dataset, 100, k + 1);
        try {
          const grid = [16, EPS_GRID_255[EPS_GRID_255.length - 1]];
          const acc: number[] = [];
          for (const e of grid) {
            const r = await runProtocol(ctx, s.model, s.im, e / 255, { ...QUICK_PROTOCOL, seed: seed + e });
            for (let i = 0; i < r.robust.length; i++) expect(r.robust[i], `image ${s.start + i} at ε=${e}/255`).toBeLessThanOrEqual(r.clean[i]);
            for (let j = 1; j < r.stages.length; j++) expect(r.stages[j].robustAfter).toBeLessThanOrEqual(r.stages[j - 1].robustAfter);
            acc.push(count(r.robust) / r.robust.length);
          }
          console.log(`${dataset} (images ${s.start}…${s.start + 99}): robust ${grid.map((e, i) => `${e}/255: ${(100 * acc[i]).toFixed(0)}%`).join(', ')}`);
          for (let i = 1; i < acc.length; i++) expect(acc[i], `ε ${grid[i]} vs ${grid[i - 1]}`).toBeLessThanOrEqual(acc[i - 1]);
          expect(acc[acc.length - 1]).toBeLessThan(0.05);
        } finally {
          await s.release();
        }
      });
    }, 300_000);
  }

  it('stronger APGD-CE gains ≤ 1 image in 200; Square breaks no substantially more than APGD-CE (200 images, ε = 16/255)', async () => {
    await withGpu(async (ctx) => {
      const s = await setup(ctx, 'fashion-mnist', 200, 11);
      try {
        const eps = 16 / 255;
        const weak = await runProtocol(ctx, s.model, s.im, eps, only({ apgdSteps: 20, apgdRestarts: 1 }, seed + 1));
        const strong = await runProtocol(ctx, s.model, s.im, eps, only({ apgdSteps: 30, apgdRestarts: 2 }, seed + 2));
        const square = await runProtocol(ctx, s.model, s.im, eps, only({ squareQueries: 300 }, seed + 3));
        const [w, st, sq, clean] = [count(weak.robust), count(strong.robust), count(square.robust), count(weak.clean)];
        console.log(`fashion-mnist (images ${s.start}…${s.start + 199}) ε=16/255: clean ${clean}, APGD-CE-20 ${w}, APGD-CE-30×2 ${st}, Square-300 ${sq} robust of 200`);
        expect(st, 'more steps and restarts must not leave more images robust').toBeLessThanOrEqual(w + 1);
        // Square is weaker by design; it breaking ≥ 5 % (10 images) more than APGD-CE would signal masking.
        expect(sq, 'gradient-free search much stronger than APGD-CE: gradient masking').toBeGreaterThanOrEqual(w - 10);
      } finally {
        await s.release();
      }
    });
  }, 300_000);

  it('the quick protocol lands within 1 point of the full-strength one (200 images, ε = 16/255, where a fifth survive)', async () => {
    await withGpu(async (ctx) => {
      const s = await setup(ctx, 'fashion-mnist', 200, 12);
      try {
        const eps = 16 / 255;
        const quick = count((await runProtocol(ctx, s.model, s.im, eps, { ...QUICK_PROTOCOL, seed: seed + 5 })).robust);
        const full = count((await runProtocol(ctx, s.model, s.im, eps, { ...FULL_PROTOCOL, seed: seed + 6 })).robust);
        console.log(`fashion-mnist (images ${s.start}…${s.start + 199}) ε=16/255: quick ${quick}, full ${full} robust of 200`);
        expect(Math.abs(quick - full)).toBeLessThanOrEqual(2);
      } finally {
        await s.release();
      }
    });
  }, 600_000);
});
