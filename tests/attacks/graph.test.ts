/**
 * The pixel-normalisation surgery: the new `pixels01` input feeds (x − mean) / std to every former consumer of
 * pixel_values, so the model on [0, 1] pixels equals the original on normalised pixels; bad constants are refused.
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { PIXELS01, withPixelNormalization } from '../../src/attacks/graph';
import { normalize } from '../../src/image/preprocess';
import { buildClipVisionModel } from '../../src/onnx/clip/build';
import { tinyClipConfig, withClipConfig } from '../../src/onnx/clip/config';
import { initClipWeights } from '../../src/onnx/clip/weights';
import { encodeModel } from '../../src/onnx/proto';
import { Rng, freshSeed } from '../../src/util/random';

const seed = freshSeed();

describe(`pixel normalisation inside the vision graph (AOS_SEED=${seed})`, () => {
  for (const [pattern, channels] of [['opset14', 1], ['opset18', 3]] as const) {
    it(`${pattern}, ${channels} channel(s): model(pixels01) = original((pixels01 − mean) / std)`, async () => {
      const rng = new Rng(seed);
      const cfg = withClipConfig(tinyClipConfig, { channels });
      const vision = buildClipVisionModel(cfg, initClipWeights(cfg, { seed, biasStd: 0.05 }), { pattern });
      const constants = { mean: Array.from({ length: channels }, () => 0.3 + 0.4 * rng.next()), std: Array.from({ length: channels }, () => 0.2 + 0.1 * rng.next()) };
      const model = withPixelNormalization(vision, constants);
      expect(model.graph.inputs.map((v) => [v.name, v.dims])).toEqual([[PIXELS01, ['batch', channels, 28, 28]]]);
      expect(model.graph.outputs).toEqual(vision.graph.outputs);
      const B = 3, dims = [B, channels, 28, 28];
      const pixels = rng.uniform(B * channels * 28 * 28, 0, 1);
      const a = await ort.InferenceSession.create(encodeModel(model));
      const b = await ort.InferenceSession.create(encodeModel(vision));
      const got = (await a.run({ [PIXELS01]: new ort.Tensor('float32', pixels, dims) })).image_embeds.data as Float32Array;
      const want = (await b.run({ pixel_values: new ort.Tensor('float32', normalize(pixels, dims, constants), dims) })).image_embeds.data as Float32Array;
      let err = 0, scale = 0;
      for (let i = 0; i < want.length; i++) {
        err = Math.max(err, Math.abs(got[i] - want[i]));
        scale = Math.max(scale, Math.abs(want[i]));
      }
      expect(err).toBeLessThanOrEqual(1e-5 * Math.max(1, scale));
    });
  }

  it('refuses constants of the wrong length, non-positive std and a missing input', () => {
    const vision = buildClipVisionModel(tinyClipConfig, initClipWeights(tinyClipConfig, { seed }));
    expect(() => withPixelNormalization(vision, { mean: [0.5, 0.5, 0.5], std: [0.2, 0.2, 0.2] })).toThrow(/channel/);
    expect(() => withPixelNormalization(vision, { mean: [0.5], std: [0] })).toThrow(/positive/);
    expect(() => withPixelNormalization(vision, { mean: [0.5], std: [0.2] }, { input: 'images' })).toThrow(/no input 'images'/);
  });
});
