/**
 * Graph surgery for attacks in pixel space: a vision tower that takes [0, 1] pixels and normalises them itself, so
 * the normalisation (x − mean) / std lies inside the differentiated graph and autodiff gives ∂/∂pixels01 directly.
 *
 *   pixels01 [B, C, H, W] → Sub(mean [1, C, 1, 1]) → Div(std [1, C, 1, 1]) → (every former consumer of pixel_values)
 *
 * The old `pixel_values` input disappears; every other input, output and node stays as it was.
 */
import { GraphBuilder } from '../onnx/builder';
import { cloneGraph, getOpset, tensorFromNumbers, type Model } from '../onnx/ir';
import type { NormalizationConstants } from '../image/preprocess';

export const PIXELS01 = 'pixels01';

export interface PixelNormalizationOptions {
  /** The input to replace (default 'pixel_values'). */
  input?: string;
  /** The new input's name (default 'pixels01'). */
  newInput?: string;
}

export function withPixelNormalization(model: Model, constants: NormalizationConstants, o: PixelNormalizationOptions = {}): Model {
  const oldName = o.input ?? 'pixel_values';
  const newName = o.newInput ?? PIXELS01;
  const g = cloneGraph(model.graph);
  const at = g.inputs.findIndex((v) => v.name === oldName);
  if (at < 0) throw new Error(`withPixelNormalization: the model has no input '${oldName}' (inputs: ${g.inputs.map((v) => v.name).join(', ')})`);
  const info = g.inputs[at];
  const dims = info.dims ?? [];
  if (dims.length !== 4) throw new Error(`withPixelNormalization: '${oldName}' must be NCHW, has dims [${dims.join(', ')}]`);
  const C = dims[1];
  const { mean, std } = constants;
  if (typeof C !== 'number' || mean.length !== C || std.length !== C) {
    throw new Error(`withPixelNormalization: ${mean.length}/${std.length} mean/std entries for ${String(C)} channel(s)`);
  }
  if (std.some((s) => !(s > 0) || !Number.isFinite(s))) throw new Error(`withPixelNormalization: std must be positive, got [${std.join(', ')}]`);
  if (g.outputs.some((v) => v.name === oldName)) throw new Error(`withPixelNormalization: '${oldName}' is also a graph output`);

  // The new nodes go first; the old input's name is then produced by the Div, so its consumers need no rewiring.
  const nodesBefore = g.nodes;
  g.nodes = [];
  g.inputs.splice(at, 1);
  const b = new GraphBuilder({ graph: g, opset: getOpset(model), reserved: [oldName] });
  b.input(newName, info.dtype, dims);
  g.inputs.splice(at, 0, g.inputs.pop()!); // keep the input order
  const meanName = b.init(`${newName}_mean`, tensorFromNumbers('float32', mean, [1, C, 1, 1]));
  const stdName = b.init(`${newName}_std`, tensorFromNumbers('float32', std, [1, C, 1, 1]));
  const centred = b.op('Sub', [newName, meanName], {}, { name: b.unique(`${newName}_sub_mean`) });
  b.op('Div', [centred, stdName], {}, { name: b.unique(`${newName}_div_std`), outputs: [oldName] });
  g.nodes.push(...nodesBefore);
  return { ...model, graph: g };
}
