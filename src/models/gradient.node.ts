/**
 * Node only: the same tower input gradient as gradient.ts, straight through onnxruntime-node (no GpuContext), for
 * host-side comparisons (the Playwright process checks the browser's WebGPU gradients against it).
 */
import * as ort from 'onnxruntime-node';
import { GradientGraphCache } from '../onnx/autodiff/cache';

export interface NodeTowerGradient {
  output: Float32Array;
  grad: Float32Array;
  outputDims: number[];
  inputDims: number[];
}

const defaultCache = new GradientGraphCache(4);

/** d⟨upstream, output⟩/d input (defaults: pixel_values → image_embeds) with onnxruntime-node's CPU provider. */
export async function towerInputGradientNode(model: Uint8Array, o: {
  input?: string; output?: string; batch: number; data: Float32Array; upstream: Float32Array; cache?: GradientGraphCache;
}): Promise<NodeTowerGradient> {
  const input = o.input ?? 'pixel_values', output = o.output ?? 'image_embeds';
  const pair = (o.cache ?? defaultCache).get(model, { wrt: [input], outputs: [output], batch: o.batch });
  const inputDims = pair.shapes.get(input)!.dims, outputDims = pair.shapes.get(output)!.dims;
  const opts: ort.InferenceSession.SessionOptions = { executionProviders: ['cpu'], graphOptimizationLevel: 'all' };
  const fwd = await ort.InferenceSession.create(pair.forwardBytes(), opts);
  const bwd = await ort.InferenceSession.create(pair.backwardBytes(), opts);
  try {
    const x = new ort.Tensor('float32', o.data, inputDims);
    const feeds: Record<string, ort.Tensor> = { [input]: x };
    for (const [name, t] of pair.initialValues) feeds[name] = new ort.Tensor(t.dtype as 'float32', t.data as Float32Array, t.dims);
    const f = await fwd.run(feeds);
    const bFeeds: Record<string, ort.Tensor> = { [pair.gradInputs[output]]: new ort.Tensor('float32', o.upstream, outputDims) };
    for (const name of pair.savedNames) bFeeds[name] = f[name];
    for (const name of pair.forwardInputsUsed) bFeeds[name] = feeds[name];
    const b = await bwd.run(bFeeds);
    return { output: f[output].data as Float32Array, grad: b[pair.gradOutputs[input]].data as Float32Array, outputDims, inputDims };
  } finally {
    await fwd.release();
    await bwd.release();
  }
}
