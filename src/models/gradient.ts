/**
 * d(⟨upstream, output⟩)/d(input) of a tower through the project's session path: GradientGraphCache builds the
 * forward (+ saved activations) and backward graphs, `createSession` runs them (onnxruntime-web WebGPU on our
 * device in the browser, inputs and activations staying in GPU buffers; onnxruntime-node in Node).
 */
import type { GpuContext } from '../gpu/context';
import { GradientGraphCache } from '../onnx/autodiff/cache';
import { createSession, outputToF32, type SessionDType, type SessionFeed, type SessionOptions } from '../onnx/run/session';

export interface TowerGradientOptions {
  /** Graph input to differentiate (default 'pixel_values'). */
  input?: string;
  /** Output whose upstream gradient is given (default 'image_embeds'). */
  output?: string;
  batch: number;
  /** Input values, row-major, the input's shape at this batch. */
  data: Float32Array;
  /** Upstream gradient on the output, row-major. */
  upstream: Float32Array;
  cache?: GradientGraphCache;
  session?: SessionOptions;
}

export interface TowerGradient {
  output: Float32Array;
  outputDims: number[];
  grad: Float32Array;
  inputDims: number[];
  /** Node counts of the two graphs that ran. */
  forwardNodes: number;
  backwardNodes: number;
  forwardBytes: Uint8Array;
  backwardBytes: Uint8Array;
}

const defaultCache = new GradientGraphCache(4);

export async function towerInputGradient(ctx: GpuContext, model: Uint8Array, o: TowerGradientOptions): Promise<TowerGradient> {
  const input = o.input ?? 'pixel_values', output = o.output ?? 'image_embeds';
  const pair = (o.cache ?? defaultCache).get(model, { wrt: [input], outputs: [output], batch: o.batch });
  const inputDims = pair.shapes.get(input)!.dims, outputDims = pair.shapes.get(output)!.dims;
  const n = inputDims.reduce((a, b) => a * b, 1), m = outputDims.reduce((a, b) => a * b, 1);
  if (o.data.length !== n) throw new RangeError(`${input}: ${o.data.length} values for [${inputDims}]`);
  if (o.upstream.length !== m) throw new RangeError(`upstream gradient of ${output}: ${o.upstream.length} values for [${outputDims}]`);
  const fwdBytes = pair.forwardBytes(), bwdBytes = pair.backwardBytes();
  const fwd = await createSession(ctx, fwdBytes, { ...o.session, label: `${input}→${output} forward` });
  const bwd = await createSession(ctx, bwdBytes, { ...o.session, label: `${input}→${output} backward` }).catch(async (e) => {
    await fwd.release();
    throw e;
  });
  const xBuf = ctx.upload(`${input}`, o.data);
  const gBuf = ctx.upload(`grad_${output}`, o.upstream);
  const disposers: Array<() => void> = [];
  try {
    const feeds: Record<string, SessionFeed> = { [input]: { gpuBuffer: xBuf, dtype: 'float32', dims: inputDims } };
    for (const [name, t] of pair.initialValues) feeds[name] = { dims: t.dims, data: t.data as Float32Array };
    const f = await fwd.run(feeds);
    for (const v of Object.values(f)) disposers.push(() => v.dispose());
    const bFeeds: Record<string, SessionFeed> = {};
    for (const name of pair.savedNames) {
      const v = f[name];
      bFeeds[name] = v.gpuBuffer ? { gpuBuffer: v.gpuBuffer, dtype: v.dtype as SessionDType, dims: v.dims } : { dims: v.dims, data: v.data! };
    }
    for (const name of pair.forwardInputsUsed) bFeeds[name] = feeds[name];
    bFeeds[pair.gradInputs[output]] = { gpuBuffer: gBuf, dtype: 'float32', dims: outputDims };
    const b = await bwd.run(bFeeds);
    for (const v of Object.values(b)) disposers.push(() => v.dispose());
    return {
      output: await outputToF32(ctx, f[output]), outputDims,
      grad: await outputToF32(ctx, b[pair.gradOutputs[input]]), inputDims,
      forwardNodes: pair.forward.graph.nodes.length, backwardNodes: pair.backward.graph.nodes.length,
      forwardBytes: fwdBytes, backwardBytes: bwdBytes,
    };
  } finally {
    for (const d of disposers) d();
    ctx.release(xBuf, gBuf);
    await fwd.release();
    await bwd.release();
  }
}
