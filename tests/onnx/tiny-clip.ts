/**
 * Tiny CLIP-text-tower-like models built with the IR, in the two torch exporter styles:
 * - 'torchscript' (opset 14): decomposed LayerNorm (ReduceMean/Sub/Pow/Sqrt/Div), MatMul+Add linears, head reshapes
 *   through Shape→Gather→Unsqueeze→Concat→Reshape chains, a causal mask from Range/Less/Where/ConstantOfShape, a
 *   NaN guard (IsNaN/Where), EOS pooling as ArgMax → Range·T + argmax → Gather on the flattened sequence.
 * - 'dynamo' (opset 18): LayerNormalization, Gemm linears, a fused QKV Gemm + Split, positions by Slice of a
 *   position-id buffer, EOS pooling by ArgMax → Unsqueeze → GatherND(batch_dims = 1).
 * GELU is x·½·(1 + erf(x/√2)) ('erf', float32 in onnxruntime) or the tanh approximation ('tanh', float64-capable).
 */
import { GraphBuilder } from '../../src/onnx/builder';
import { tensorFromNumbers, type DType, type Model, type Tensor } from '../../src/onnx/ir';
import type { Rng } from '../../src/util/random';

export const V = 11, T = 5, D = 8, H = 2, DH = 4, HID = 16, E = 6;

export interface TinyClip {
  model: Model;
  feeds: Record<string, Tensor>;
  /** Names of interesting tensors/weights. */
  names: { tokenEmbeds: string; weights: string[]; output: string };
}

export function tinyClip(style: 'torchscript' | 'dynamo', gelu: 'erf' | 'tanh', dtype: DType, rng: Rng, batch: number): TinyClip {
  const b = new GraphBuilder({ opset: style === 'torchscript' ? 14 : 18 });
  const w = (name: string, dims: number[], std = 0.3) => b.init(name, tensorFromNumbers(dtype, rng.normal(dims.reduce((a, c) => a * c, 1), std), dims));
  const ones = (name: string, dims: number[]) => b.init(name, tensorFromNumbers(dtype, Array.from({ length: dims[0] }, () => 1 + 0.2 * rng.next()), dims));
  const s = (v: number) => b.scalar(v, dtype);
  const i64 = (v: number) => b.constant([v], 'int64', []);

  const ids = b.input('input_ids', 'int64', ['batch', T]);
  const tokTable = w('token_embedding', [V, D]);
  const tok = b.op('Gather', [tokTable, ids], { axis: 0 }, { outputs: ['token_embeds'] });
  let x: string;
  if (style === 'torchscript') {
    x = b.add(tok, w('position_embedding', [T, D]));
  } else {
    const posIds = b.init('position_ids', tensorFromNumbers('int64', Array.from({ length: 16 }, (_, i) => i), [1, 16]));
    const seq = b.gather(b.op('Shape', [ids]), i64(1));
    const pos = b.op('Slice', [posIds, b.ints([0]), b.unsqueeze(seq, [0]), b.ints([1])]);
    x = b.add(tok, b.gather(w('position_embedding', [16, D]), pos));
  }

  const layerNorm = (h: string, name: string) => {
    const gamma = ones(`${name}.weight`, [D]), beta = w(`${name}.bias`, [D], 0.1);
    if (style === 'dynamo') return b.layerNorm(h, gamma, beta, -1, 1e-5);
    const mean = b.reduce('ReduceMean', h, [-1], true);
    const c = b.sub(h, mean);
    const variance = b.reduce('ReduceMean', b.pow(c, s(2)), [-1], true);
    return b.add(b.mul(b.div(c, b.sqrt(b.add(variance, s(1e-5)))), gamma), beta);
  };
  const linear = (h: string, name: string, inF: number, outF: number) => {
    if (style === 'torchscript') return b.add(b.matmul(h, w(`${name}.weight`, [inF, outF])), w(`${name}.bias`, [outF], 0.1));
    // dynamo: flatten to 2-D, Gemm with a [out, in] weight, restore [batch, T, out]
    const flat = b.reshape(h, [-1, inF]);
    const y = b.gemm(flat, w(`${name}.weight`, [outF, inF]), w(`${name}.bias`, [outF], 0.1), { transB: true });
    return b.reshape(y, [-1, T, outF]);
  };
  const batchDim = () => b.unsqueeze(b.gather(b.op('Shape', [x]), i64(0)), [0]);
  const geluOf = (h: string) => {
    if (gelu === 'erf') return b.mul(b.mul(h, s(0.5)), b.add(s(1), b.erf(b.div(h, s(Math.SQRT2)))));
    const inner = b.mul(s(Math.sqrt(2 / Math.PI)), b.add(h, b.mul(s(0.044715), b.pow(h, s(3)))));
    return b.mul(b.mul(h, s(0.5)), b.add(s(1), b.tanh(inner)));
  };

  // --- attention block
  const ln1 = layerNorm(x, 'ln_1');
  let q: string, k: string, v: string;
  if (style === 'dynamo') {
    const qkv = linear(ln1, 'attn.in_proj', D, 3 * D);
    [q, k, v] = b.opN('Split', [qkv, b.ints([D, D, D])], { axis: -1 }, { outputs: 3 });
  } else {
    [q, k, v] = ['q_proj', 'k_proj', 'v_proj'].map((n) => linear(ln1, `attn.${n}`, D, D));
  }
  const heads = (t: string) => {
    const shape = b.concat([batchDim(), b.ints([T, H, DH])], 0);
    return b.transpose(b.reshape(t, shape), [0, 2, 1, 3]);
  };
  const [qh, kh, vh] = [q, k, v].map(heads);
  let scores = b.mul(b.matmul(qh, b.transpose(kh, [0, 1, 3, 2])), s(1 / Math.sqrt(DH)));
  // causal mask: key position > query position → -1e4 (built from shape ops, folds to a constant)
  const n = b.gather(b.op('Shape', [scores]), i64(2));
  const r = b.op('Range', [i64(0), n, i64(1)]);
  const future = b.op('Less', [b.unsqueeze(r, [1]), b.unsqueeze(r, [0])]);
  const zeros = b.op('ConstantOfShape', [b.concat([b.unsqueeze(n, [0]), b.unsqueeze(n, [0])], 0)], { value: tensorFromNumbers(dtype, [0], [1]) });
  scores = b.add(scores, b.where(future, s(-1e4), zeros));
  const attn = b.softmax(scores, -1);
  const ctx = b.transpose(b.matmul(attn, vh), [0, 2, 1, 3]);
  const merged = b.reshape(ctx, b.concat([batchDim(), b.ints([T, D])], 0));
  x = b.add(x, linear(merged, 'attn.out_proj', D, D));
  // --- MLP block
  const h = geluOf(linear(layerNorm(x, 'ln_2'), 'mlp.fc1', D, HID));
  x = b.add(x, linear(h, 'mlp.fc2', HID, D));
  // NaN guard (a no-op on finite values): IsNaN → Where
  x = b.where(b.op('IsNaN', [x]), s(0), x);
  const last = layerNorm(x, 'ln_final');
  // --- EOS pooling
  const eos = b.op('ArgMax', [ids], { axis: -1, keepdims: 0 });
  let pooled: string;
  if (style === 'torchscript') {
    const bsz = b.gather(b.op('Shape', [last]), i64(0));
    const rows = b.op('Range', [i64(0), bsz, i64(1)]);
    const flatIdx = b.add(b.mul(rows, i64(T)), b.cast(eos, 'int64'));
    const flat = b.reshape(last, b.concat([b.unsqueeze(b.mul(bsz, i64(T)), [0]), b.ints([D])], 0));
    pooled = b.gather(flat, flatIdx, 0);
  } else {
    pooled = b.op('GatherND', [last, b.unsqueeze(eos, [-1])], { batch_dims: 1 });
  }
  const out = b.op('MatMul', [pooled, w('text_projection', [D, E])], {}, { outputs: ['text_embeds'] });
  b.output(out, dtype, ['batch', E]);
  const model = b.model();

  // token ids: random tokens below the EOS id, one EOS (the largest id) per row at a random position
  const idsData: number[] = [];
  for (let i = 0; i < batch; i++) {
    const at = rng.int(1, T);
    for (let t = 0; t < T; t++) idsData.push(t === at ? V - 1 : rng.int(0, V - 1));
  }
  const weights = style === 'torchscript'
    ? ['token_embedding', 'position_embedding', 'attn.q_proj.weight', 'ln_1.weight', 'mlp.fc1.weight', 'mlp.fc2.bias', 'text_projection']
    : ['token_embedding', 'attn.in_proj.weight', 'attn.in_proj.bias', 'ln_2.weight', 'mlp.fc1.weight', 'ln_final.bias', 'text_projection'];
  return {
    model,
    feeds: { input_ids: tensorFromNumbers('int64', idsData, [batch, T]) },
    names: { tokenEmbeds: tok, weights, output: out },
  };
}
