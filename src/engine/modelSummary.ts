/**
 * What the Model panel shows of a model folder: per tower the ONNX ops, precision, parameter counts and the
 * autodiff's coverage (after folding constants at batch 1). Decoding and folding are compute: this runs in the
 * engine Worker with the rest of src/engine/model.ts.
 */
import { unsupportedOps } from '../onnx/autodiff/build';
import { clipConfigFromJson, clipWeightShapes, type ClipConfig } from '../onnx/clip';
import { numel } from '../onnx/ir';
import { simplify } from '../onnx/passes';
import { decodeModel } from '../onnx/proto';
import type { ModelSummary, TowerSummary } from '../state/resources';

export interface ModelFolder {
  configJson: string;
  tokenizerJson: string | null;
  vision: Uint8Array | null;
  text: Uint8Array | null;
  /** preprocessor_config.json when the source had one that was read (local folders); else derived from config.json. */
  preprocessorJson?: string | null;
}

/** Weight precision from the initializers: the float dtypes of the large tensors, and any 8-bit ones. */
function precisionOf(inits: Iterable<{ dtype: string; dims: number[] }>): string {
  const bytes = new Map<string, number>();
  for (const t of inits) {
    const n = numel(t.dims);
    if (n < 16) continue;
    bytes.set(t.dtype, (bytes.get(t.dtype) ?? 0) + n);
  }
  const name: Record<string, string> = { float32: 'fp32', float16: 'fp16', bfloat16: 'bf16', int8: 'int8', uint8: 'uint8', float64: 'fp64' };
  const kinds = [...bytes.entries()].filter(([d]) => d in name).sort((a, b) => b[1] - a[1]).map(([d]) => name[d]);
  return kinds.length ? kinds.join(' + ') : 'fp32';
}

/** The autodiff's coverage of a tower: nodes without a gradient rule after folding constants at batch 1. */
function coverage(m: ReturnType<typeof decodeModel>, tower: 'vision' | 'text', config: ClipConfig, input: string | undefined): { missing: string[]; checked: number } {
  let g = m;
  if (input) {
    try {
      const shape = tower === 'vision' ? [1, config.channels, config.imageSize, config.imageSize] : [1, config.text.contextLength];
      g = simplify(m, { inputShapes: { [input]: shape } });
    } catch { /* the unfolded graph is checked */ }
  }
  return { missing: unsupportedOps(g), checked: g.graph.nodes.length };
}

function summarizeTower(tower: 'vision' | 'text', bytes: Uint8Array, config: ClipConfig): TowerSummary {
  const m = decodeModel(bytes);
  const counts = new Map<string, number>();
  for (const n of m.graph.nodes) counts.set(n.op, (counts.get(n.op) ?? 0) + 1);
  const initNames = new Set(m.graph.initializers.keys());
  const input = m.graph.inputs.find((v) => !initNames.has(v.name))?.name;
  const cov = coverage(m, tower, config, input);
  return {
    precision: precisionOf(m.graph.initializers.values()),
    notDifferentiable: cov.missing,
    checkedNodes: cov.checked,
    tower,
    bytes: bytes.length,
    opset: m.opsetImport.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version ?? 0,
    nodes: m.graph.nodes.length,
    ops: [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)),
    inputs: m.graph.inputs.filter((v) => !initNames.has(v.name)).map((v) => v.name),
    outputs: m.graph.outputs.map((v) => v.name),
    params: countParams(config, tower),
  };
}

function countParams(c: ClipConfig, tower: 'vision' | 'text'): number {
  let n = 0;
  for (const dims of clipWeightShapes(c, tower).values()) n += numel(dims);
  return n;
}

export function summarize(kind: ModelSummary['kind'], title: string, origin: string, folder: ModelFolder, notes: string[], extra: Partial<ModelSummary> = {}): ModelSummary {
  const config = clipConfigFromJson(folder.configJson);
  const towers: TowerSummary[] = [];
  if (folder.vision) towers.push(summarizeTower('vision', folder.vision, config));
  if (folder.text) towers.push(summarizeTower('text', folder.text, config));
  const vision = countParams(config, 'vision'), text = countParams(config, 'text');
  return { kind, title, origin, config, params: { vision, text, total: vision + text + 1 }, towers, notes, ...extra };
}
