/**
 * The decomposed LayerNorm of TorchScript-style exports (opset 14, the public transformers.js CLIP files):
 *
 *   mean = ReduceMean(x, [-1]); d = x − mean; sq = d² (Pow 2 or d·d); var = ReduceMean(sq, [-1]); ve = var + ε;
 *   std = √ve; n = d / std; [ys = n · scale]; [y = ys + bias]
 *
 * matched on the graph and run as one kernel (one invocation per row) instead of 6–9 dispatches. Every intermediate
 * that something else reads (another node, or a graph output — a forward graph's saved activations) is written too,
 * so the rest of the graph is unchanged; the WGSL text depends on which of them are written.
 */
import { tensorToNumbers, type Node, type Tensor } from '../ir';
import { reduceAxesOf } from '../shapes';
import type { Alloc, Command, ShaderTexts, Step, Val } from './types';
import { ExecError, Fields, grid1d } from './types';
import { isContiguous, numelOf } from './view';

export const ROW_STAGES = ['mean', 'd', 'sq', 'var', 've', 'std', 'n', 'ys', 'y'] as const;
export type RowStage = (typeof ROW_STAGES)[number];
/** Stages with one value per row (the others have one per element). */
const PER_ROW = new Set<RowStage>(['mean', 'var', 've', 'std']);

export interface RowNormMatch {
  /** The pattern's nodes, in stage order (ys and y only when present). */
  nodes: Node[];
  /** Tensor name of each stage present. */
  names: Partial<Record<RowStage, string>>;
  x: string;
  eps: number;
  /** Whether sq is Pow(d, 2) (else d·d). */
  scale?: string;
  bias?: string;
  /** Stages whose tensors are read outside the pattern (or are graph outputs); the last stage always is. */
  exported: RowStage[];
}

interface MatchEnv {
  opset: number;
  consumers: Map<string, Node[]>;
  graphOutputs: Set<string>;
  dims: (name: string) => number[] | undefined;
  isFloat: (name: string) => boolean;
  constValue: (name: string) => Tensor | undefined;
  /** A tensor available before the pattern runs (graph input or constant): scale and bias must be. */
  available: (name: string) => boolean;
}

function only(env: MatchEnv, name: string, op: string): Node | undefined {
  const c = env.consumers.get(name) ?? [];
  const hits = c.filter((n) => n.op === op && (!n.domain || n.domain === 'ai.onnx'));
  return hits.length === 1 ? hits[0] : undefined;
}

function scalarConst(env: MatchEnv, name: string): number | undefined {
  const t = env.constValue(name);
  if (!t || numelOf(t.dims) !== 1) return undefined;
  return tensorToNumbers(t)[0];
}

function lastAxisMean(env: MatchEnv, node: Node, input: string): boolean {
  if (node.op !== 'ReduceMean' || node.inputs[0] !== input) return false;
  const dims = env.dims(input);
  if (!dims || dims.length === 0) return false;
  const keep = node.attrs.keepdims ? Number(node.attrs.keepdims.value) : 1;
  if (keep !== 1) return false;
  try {
    const axes = reduceAxesOf(node, env.opset, dims.length, (i) => {
      const t = env.constValue(node.inputs[i]);
      return t ? Array.from(tensorToNumbers(t)) : undefined;
    });
    return axes.length === 1 && axes[0] === dims.length - 1;
  } catch {
    return false;
  }
}

/** The decomposed LayerNorm starting at `mean` (a ReduceMean node), or undefined. */
export function matchRowNorm(env: MatchEnv, meanNode: Node): RowNormMatch | undefined {
  const x = meanNode.inputs[0];
  if (!x || !env.isFloat(x) || !lastAxisMean(env, meanNode, x)) return undefined;
  const xd = env.dims(x)!;
  const mean = meanNode.outputs[0];
  const subNode = (env.consumers.get(mean) ?? []).find((n) => n.op === 'Sub' && n.inputs[0] === x && n.inputs[1] === mean);
  if (!subNode) return undefined;
  const d = subNode.outputs[0];
  if (env.dims(d)?.join() !== xd.join()) return undefined;
  const dc = env.consumers.get(d) ?? [];
  const sqNode = dc.find((n) => (n.op === 'Pow' && n.inputs[0] === d && scalarConst(env, n.inputs[1]) === 2) || (n.op === 'Mul' && n.inputs[0] === d && n.inputs[1] === d));
  const divNode = dc.find((n) => n.op === 'Div' && n.inputs[0] === d);
  if (!sqNode || !divNode) return undefined;
  const sq = sqNode.outputs[0];
  const varNode = (env.consumers.get(sq) ?? []).find((n) => lastAxisMean(env, n, sq));
  if (!varNode) return undefined;
  const vr = varNode.outputs[0];
  const addNode = only(env, vr, 'Add');
  if (!addNode) return undefined;
  const epsName = addNode.inputs[0] === vr ? addNode.inputs[1] : addNode.inputs[0];
  const eps = scalarConst(env, epsName);
  if (eps === undefined) return undefined;
  const ve = addNode.outputs[0];
  const sqrtNode = only(env, ve, 'Sqrt');
  if (!sqrtNode) return undefined;
  const std = sqrtNode.outputs[0];
  if (divNode.inputs[1] !== std) return undefined;
  const n = divNode.outputs[0];
  const nodes = [meanNode, subNode, sqNode, varNode, addNode, sqrtNode, divNode];
  const names: Partial<Record<RowStage, string>> = { mean, d, sq, var: vr, ve, std, n };
  const D = xd[xd.length - 1];
  const rowParam = (name: string) => env.available(name) && env.isFloat(name) && numelOf(env.dims(name) ?? []) === D
    && (env.dims(name)!.length === 1 || env.dims(name)!.slice(0, -1).every((v) => v === 1));
  let scale: string | undefined, bias: string | undefined;
  const mulNode = only(env, n, 'Mul');
  if (mulNode && (env.consumers.get(n) ?? []).length === 1) {
    const other = mulNode.inputs[0] === n ? mulNode.inputs[1] : mulNode.inputs[0];
    const ys = mulNode.outputs[0];
    if (rowParam(other) && env.dims(ys)?.join() === xd.join()) {
      scale = other;
      nodes.push(mulNode);
      names.ys = ys;
      const biasNode = only(env, ys, 'Add');
      if (biasNode && (env.consumers.get(ys) ?? []).length === 1) {
        const o = biasNode.inputs[0] === ys ? biasNode.inputs[1] : biasNode.inputs[0];
        if (rowParam(o) && env.dims(biasNode.outputs[0])?.join() === xd.join()) {
          bias = o;
          nodes.push(biasNode);
          names.y = biasNode.outputs[0];
        }
      }
    }
  }
  const inPattern = new Set(nodes);
  const last = ROW_STAGES.filter((s) => names[s]).at(-1)!;
  const exported = ROW_STAGES.filter((s) => {
    const t = names[s];
    if (!t) return false;
    if (s === last || env.graphOutputs.has(t)) return true;
    return (env.consumers.get(t) ?? []).some((c) => !inPattern.has(c));
  });
  // Storage bindings of the kernel within WebGPU's default maxStorageBuffersPerShaderStage (8), else unfused.
  if (1 + (scale ? 1 : 0) + (bias ? 1 : 0) + exported.length > MAX_ROWNORM_BINDINGS) return undefined;
  return { nodes, names, x, eps, scale, bias, exported };
}

/** Storage buffers one fused LayerNorm may bind (WebGPU's default maxStorageBuffersPerShaderStage). */
export const MAX_ROWNORM_BINDINGS = 8;

/** WGSL of a fused decomposed LayerNorm writing `exported` stages (bindings: X, [Scale], [Bias], outputs). */
export function rowNormShader(exported: readonly RowStage[], hasScale: boolean, hasBias: boolean, sqIsPow: boolean): string {
  let b = 2;
  const decl: string[] = [];
  if (hasScale) decl.push(`@group(0) @binding(${b++}) var<storage, read> Scale: array<f32>;`);
  if (hasBias) decl.push(`@group(0) @binding(${b++}) var<storage, read> Bias: array<f32>;`);
  for (const s of exported) decl.push(`@group(0) @binding(${b++}) var<storage, read_write> O_${s}: array<f32>;`);
  const w = (s: RowStage, v: string, at: string) => (exported.includes(s) ? `O_${s}[${at}] = ${v};` : '');
  const needLoop3 = exported.some((s) => s === 'n' || s === 'ys' || s === 'y');
  void sqIsPow;
  return `// Fused decomposed LayerNorm (src/onnx/exec/rownorm.ts). Uniform: 0 rows, 1 len, 2 xOff, 3 eps (f32), 4 scaleOff, 5 biasOff.
struct Params { v: array<vec4<u32>, 2> }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> X: array<f32>;
${decl.join('\n')}
fn P(i: u32) -> u32 { return p.v[i >> 2u][i & 3u]; }

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = gid.x + gid.y * nwg.x * 64u;
  if (r >= P(0u)) { return; }
  let len = P(1u);
  let base = P(2u) + r * len;
  let ob = r * len;
  var s: f32 = 0.0;
  for (var j: u32 = 0u; j < len; j = j + 1u) { s = s + X[base + j]; }
  let mean = s / f32(len);
  var acc: f32 = 0.0;
  for (var j: u32 = 0u; j < len; j = j + 1u) {
    let d = X[base + j] - mean;
    let sq = d * d;
    acc = acc + sq;
    ${w('d', 'd', 'ob + j')}
    ${w('sq', 'sq', 'ob + j')}
  }
  let vr = acc / f32(len);
  let ve = vr + bitcast<f32>(P(3u));
  let sd = sqrt(ve);
  ${w('mean', 'mean', 'r')}
  ${w('var', 'vr', 'r')}
  ${w('ve', 've', 'r')}
  ${w('std', 'sd', 'r')}
${needLoop3 ? `  for (var j: u32 = 0u; j < len; j = j + 1u) {
    let n = (X[base + j] - mean) / sd;
    ${w('n', 'n', 'ob + j')}
${hasScale ? `    let ys = n * Scale[P(4u) + j];
    ${w('ys', 'ys', 'ob + j')}` : ''}
${hasBias ? `    let y = ys + Bias[P(5u) + j];
    ${w('y', 'y', 'ob + j')}` : ''}
  }` : ''}
}
`;
}

/** One dispatch computing a matched decomposed LayerNorm (rows of `len` contiguous elements of x). */
export class RowNormStep implements Step {
  constructor(
    public label: string,
    public x: Val,
    public len: number,
    public eps: number,
    public outs: Partial<Record<RowStage, Val>>,
    public scale?: Val,
    public bias?: Val,
    public sqIsPow = true,
  ) {}

  get exported(): RowStage[] {
    return ROW_STAGES.filter((s) => this.outs[s]);
  }

  reads(): Alloc[] {
    return [this.x.alloc, ...(this.scale ? [this.scale.alloc] : []), ...(this.bias ? [this.bias.alloc] : [])];
  }

  writes(): Alloc[] {
    return this.exported.map((s) => this.outs[s]!.alloc);
  }

  commands(sh: ShaderTexts): Command[] {
    void sh;
    for (const v of [this.x, this.scale, this.bias]) {
      if (v && !isContiguous(v.view)) throw new ExecError(`internal: ${this.label}: operands must be contiguous`);
    }
    const rows = this.len ? numelOf(this.x.view.dims) / this.len : 0;
    if (!rows) return [];
    for (const s of this.exported) {
      const v = this.outs[s]!;
      if (v.view.offset !== 0 || numelOf(v.view.dims) !== (PER_ROW.has(s) ? rows : rows * this.len)) throw new ExecError(`internal: ${this.label}: output ${s} has the wrong size`);
    }
    const u = new Fields().u(rows).u(this.len).u(this.x.view.offset).f(this.eps).u(this.scale?.view.offset ?? 0).u(this.bias?.view.offset ?? 0).done(8);
    const exported = this.exported;
    return [{
      kind: 'dispatch', label: this.label, code: rowNormShader(exported, !!this.scale, !!this.bias, this.sqIsPow), entry: 'main', uniforms: u,
      bindings: [this.x.alloc, ...(this.scale ? [this.scale.alloc] : []), ...(this.bias ? [this.bias.alloc] : []), ...exported.map((s) => this.outs[s]!.alloc)],
      workgroups: grid1d(rows, 64),
    }];
  }
}

export { PER_ROW };
