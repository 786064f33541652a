/**
 * The weights a fine-tuning checkpoint holds, by name (no GPU): the checkpoint's params are the vision tower's
 * tensors then the text tower's, each in `clipWeightShapes` order (how FineTuneModel lays out its flat buffers).
 */
import type { ClipConfig } from '../onnx/clip/config';
import { clipWeightShapes, type ClipWeights } from '../onnx/clip/weights';
import { numel } from '../onnx/ir';
import { decodeCheckpoint } from '../train/checkpoint';

export function checkpointWeights(config: ClipConfig, bytes: Uint8Array): { weights: ClipWeights; step: number } {
  const ck = decodeCheckpoint(bytes);
  const out: ClipWeights = new Map();
  let off = 0;
  for (const tower of ['vision', 'text'] as const) {
    for (const [name, dims] of clipWeightShapes(config, tower)) {
      const n = numel(dims);
      if (off + n > ck.state.params.length) throw new Error(`the checkpoint holds ${ck.state.params.length} parameters: fewer than this model has`);
      out.set(name, { dtype: 'float32', dims: [...dims], data: ck.state.params.slice(off, off + n) });
      off += n;
    }
  }
  if (off !== ck.state.params.length) throw new Error(`the checkpoint holds ${ck.state.params.length} parameters, the model ${off}`);
  out.set('logit_scale', { dtype: 'float32', dims: [], data: Float32Array.of(config.logitScale) });
  return { weights: out, step: ck.meta.step };
}
