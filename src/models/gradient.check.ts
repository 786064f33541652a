/**
 * Input gradients of a tiny CLIP vision tower through the project's session path (GradientGraphCache forward +
 * backward graphs run by `createSession`: onnxruntime-web WebGPU on our device in the browser, onnxruntime-node in
 * Node), checked on both hosts against the float64 reference tower (src/onnx/clip/reference.ts):
 *
 * - image_embeds against the reference forward;
 * - directional derivatives ⟨d loss/d pixel_values, v⟩ for random directions v (and the two coordinates with the
 *   largest gradient), loss = ⟨upstream, image_embeds⟩ with a random upstream gradient, against central finite
 *   differences of the float64 reference (h = 1e-3: truncation error ~h² ≈ 1e-6 relative, rounding ~1e-13).
 *
 * Tolerances (float32 forward and backward, 119 + 217 nodes): image_embeds within 1e-4 + 1e-3·|ref| (measured
 * max |diff| ~6e-7); directional derivatives within 1e-4 · max|fd| + 1e-3·|fd| (measured ~1e-5 against a scale of
 * 3–7, i.e. ~2e-6 relative, on onnxruntime-node and on onnxruntime-web WebGPU over SwiftShader).
 */
import type { KernelCheck } from '../gpu/kernelCheck';
import { validate } from '../util/validate';
import { buildClipVisionModel } from '../onnx/clip/build';
import { tinyClipConfig } from '../onnx/clip/config';
import { clipVisionReference } from '../onnx/clip/reference';
import { initClipWeights } from '../onnx/clip/weights';
import { encodeModel } from '../onnx/proto';
import { towerInputGradient } from './gradient';

const DIRECTIONS = 6;
const H = 1e-3;

export const modelGradientChecks: KernelCheck[] = [
  {
    name: 'models/tiny-clip-vision-input-gradient',
    async run(ctx, rng) {
      const cfg = tinyClipConfig;
      const B = 2, S = cfg.imageSize, C = cfg.channels, P = cfg.projectionDim;
      const weights = initClipWeights(cfg, { seed: rng.nextU32(), biasStd: 0.1 });
      const model = encodeModel(buildClipVisionModel(cfg, weights));
      const pixels = rng.uniform(B * C * S * S, -1, 1);
      const upstream = rng.normal(B * P);
      const r = await towerInputGradient(ctx, model, { batch: B, data: pixels, upstream });
      const ref = clipVisionReference(cfg, weights, pixels, B).imageEmbeds;
      const loss = (x: Float64Array): number => {
        const e = clipVisionReference(cfg, weights, x, B).imageEmbeds;
        let s = 0;
        for (let i = 0; i < e.length; i++) s += upstream[i] * e[i];
        return s;
      };
      const n = pixels.length;
      const dirs: Float64Array[] = [];
      for (let k = 0; k < DIRECTIONS; k++) dirs.push(Float64Array.from(rng.normal(n)));
      const byMagnitude = Array.from(r.grad.keys()).sort((a, b) => Math.abs(r.grad[b]) - Math.abs(r.grad[a]));
      for (const i of byMagnitude.slice(0, 2)) {
        const e = new Float64Array(n);
        e[i] = 1;
        dirs.push(e);
      }
      const dd = new Float64Array(dirs.length), fd = new Float64Array(dirs.length);
      dirs.forEach((v, k) => {
        let s = 0;
        for (let i = 0; i < n; i++) s += r.grad[i] * v[i];
        dd[k] = s;
        const plus = Float64Array.from(pixels, (x, i) => x + H * v[i]);
        const minus = Float64Array.from(pixels, (x, i) => x - H * v[i]);
        fd[k] = (loss(plus) - loss(minus)) / (2 * H);
      });
      const scale = Math.max(...Array.from(fd, Math.abs));
      return [
        validate(r.output, ref, 1e-4, 1e-3, `tiny CLIP vision image_embeds (float64 reference)`),
        validate(dd, fd, 1e-4 * scale, 1e-3, `d⟨upstream, image_embeds⟩/d pixel_values along ${DIRECTIONS} random + 2 coordinate directions (central differences of the float64 reference; forward ${r.forwardNodes} nodes, backward ${r.backwardNodes})`),
      ];
    },
  },
];
