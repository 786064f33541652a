/**
 * Graph tools: shape inference (checked against onnxruntime's output dims), constant folding of exporter shape
 * sub-graphs and masks, DequantizeLinear and float16 weights, dead-node removal, opset lifting, surgery and writing a
 * model back with new weights — each checked by running before/after models in onnxruntime-node.
 */
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/onnx/builder';
import { castTensor, cloneModel, float32ToFloat16Bits, tensorFromNumbers, tensorToNumbers, topoSort, type Model, type Tensor } from '../../src/onnx/ir';
import { foldConstants, normalizeOpset, simplify, upcastFloat16 } from '../../src/onnx/passes';
import { decodeModel, encodeModel } from '../../src/onnx/proto';
import { inferShapes } from '../../src/onnx/shapes';
import { insertPerturbation, promoteInitializers, withNewWeights } from '../../src/onnx/surgery';
import { Rng, freshSeed } from '../../src/util/random';
import { validate } from '../../src/util/validate';
import { run, values } from './ort';

const seed = freshSeed();

/**
 * A TorchScript-export-like graph at opset 14: x[batch, 4, 6] → Reshape by a Shape→Gather→Unsqueeze→Concat chain,
 * an int8 per-channel DequantizeLinear weight, a float16 weight behind a Cast, a Range/Equal/Where mask, a
 * ConstantOfShape bias, a ReduceMean with an axes attribute, a Softmax, and a dead branch.
 */
function exporterLike(rng: Rng): Model {
  const b = new GraphBuilder({ opset: 14 });
  const x = b.input('x', 'float32', ['batch', 4, 6]);
  const shape = b.op('Shape', [x]);
  const batch = b.unsqueeze(b.gather(shape, b.constant([0], 'int64', [])), [0]);
  const target = b.concat([batch, b.ints([2]), b.ints([-1])], 0);
  const r = b.reshape(x, target); // [batch, 2, 12]
  // int8 per-output-channel quantised weight [12, 5]
  const q = b.init('w_q', tensorFromNumbers('int8', Array.from({ length: 60 }, () => rng.int(-127, 128)), [12, 5]));
  const scale = b.init('w_scale', tensorFromNumbers('float32', Array.from({ length: 5 }, () => 0.01 + 0.02 * rng.next()), [5]));
  const zp = b.init('w_zp', tensorFromNumbers('int8', [0, 3, -2, 1, 0], [5]));
  const w = b.op('DequantizeLinear', [q, scale, zp], { axis: 1 }, { outputs: ['w_deq'] });
  let h = b.matmul(r, w); // [batch, 2, 5]
  // float16 bias behind a Cast
  const b16 = b.init('b16', tensorFromNumbers('float16', Array.from(rng.normal(5)), [5]));
  h = b.add(h, b.cast(b16, 'float32'));
  // mask: positions (Range over the last dim from Shape) equal to 3 are replaced by -1
  const n = b.gather(b.op('Shape', [h]), b.constant([2], 'int64', []));
  const pos = b.op('Range', [b.constant([0], 'int64', []), n, b.constant([1], 'int64', [])]);
  const mask = b.op('Equal', [pos, b.constant([3], 'int64', [])]);
  h = b.where(mask, b.scalar(-1), h);
  // ConstantOfShape(Shape(h)) bias of 0.5
  h = b.add(h, b.op('ConstantOfShape', [b.op('Shape', [h])], { value: tensorFromNumbers('float32', [0.5], [1]) }));
  const m = b.reduce('ReduceMean', h, [-1], true); // opset-14 attribute form
  const y = b.softmax(b.sub(h, m), -1);
  b.op('Exp', [y]); // dead
  b.output(y, 'float32', ['batch', 2, 5]);
  return b.model();
}

function feeds(rng: Rng, batch: number): Record<string, Tensor> {
  return { x: tensorFromNumbers('float32', rng.normal(batch * 24), [batch, 4, 6]) };
}

describe(`graph tools (AOS_SEED=${seed})`, () => {
  it('infers the same concrete shapes and dtypes as onnxruntime for every tensor', async () => {
    const rng = new Rng(seed);
    const model = exporterLike(rng);
    const info = inferShapes(model, { batch: 3 });
    // Expose every node output as a graph output and compare with what onnxruntime produces.
    const all = cloneModel(model);
    for (const n of all.graph.nodes) for (const o of n.outputs) if (!all.graph.outputs.some((v) => v.name === o)) all.graph.outputs.push({ name: o, dtype: info.get(o)!.dtype });
    const out = await run(all, feeds(rng, 3));
    for (const [name, t] of Object.entries(out)) {
      expect(info.get(name)?.dims, name).toEqual(t.dims);
      expect(info.get(name)?.dtype, name).toBe(t.dtype);
    }
    expect(Object.keys(out).length).toBe(all.graph.outputs.length);
  });

  it('folds shape chains, masks, DequantizeLinear and float16 weights; removes dead nodes; output unchanged', async () => {
    const rng = new Rng(seed + 1);
    const model = exporterLike(rng);
    const simple = simplify(model, { batch: 3 });
    const ops = simple.graph.nodes.map((n) => n.op);
    expect(ops).toEqual(['Reshape', 'MatMul', 'Add', 'Where', 'Add', 'ReduceMean', 'Sub', 'Softmax']);
    expect(simple.opsetImport[0].version).toBe(18);
    expect(simple.graph.initializers.get('w_deq')!.dtype).toBe('float32');
    expect([...simple.graph.initializers.values()].every((t) => t.dtype !== 'float16' && t.dtype !== 'int8')).toBe(true);
    expect(simple.graph.inputs[0].dims).toEqual([3, 4, 6]);
    const f = feeds(rng, 3);
    const [a, b] = [await run(model, f), await run(simple, f)];
    const name = model.graph.outputs[0].name;
    const v = validate(values(b[name]), values(a[name]), 1e-6, 1e-5, 'simplified vs original');
    expect(v.ok, v.message).toBe(true);
  });

  it('keeps `keep` tensors non-constant for their consumers and lifts opset-13 Split/Reduce forms', async () => {
    const rng = new Rng(seed + 2);
    const model = exporterLike(rng);
    const kept = foldConstants(upcastFloat16(normalizeOpset(model)), { batch: 2, keep: new Set(['w_deq']) });
    expect(kept.graph.initializers.has('w_deq')).toBe(true); // folded into an initializer of that name...
    expect(kept.graph.nodes.some((n) => n.op === 'MatMul' && n.inputs.includes('w_deq'))).toBe(true); // ...still read by MatMul

    const b = new GraphBuilder({ opset: 13 });
    const x = b.input('x', 'float32', [2, 6]);
    const [p, q] = b.opN('Split', [x], { axis: 1 }, { outputs: 2 });
    b.output(b.reduce('ReduceMax', b.mul(p, q), [1], false), 'float32', [2]);
    const m13 = b.model();
    const m18 = normalizeOpset(m13);
    expect(m18.graph.nodes[0].attrs.num_outputs).toEqual({ type: 'int', value: 2 });
    const f = { x: tensorFromNumbers('float32', rng.normal(12), [2, 6]) };
    const [o13, o18] = [await run(m13, f), await run(m18, f)];
    expect(Array.from(values(o18[m18.graph.outputs[0].name]))).toEqual(Array.from(values(o13[m13.graph.outputs[0].name])));
  });

  it('converts float16/bfloat16 exactly (all 65536 half values round-trip; round-to-nearest-even)', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const up = castTensor({ dtype: 'float16', dims: [65536], data: all }, 'float32').data as Float32Array;
    const back = castTensor({ dtype: 'float32', dims: [65536], data: up }, 'float16').data as Uint16Array;
    const bad: string[] = [];
    for (let h = 0; h < 65536; h++) {
      const nan = (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
      if (nan ? !Number.isNaN(up[h]) : back[h] !== h) bad.push(`0x${h.toString(16)}`);
    }
    expect(bad).toEqual([]);
    expect(float32ToFloat16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie → even
    expect(float32ToFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(float32ToFloat16Bits(1e6)).toBe(0x7c00);
    const bf = castTensor(tensorFromNumbers('bfloat16', [1.5, -2.75, 3e38], [3]), 'float32').data as Float32Array;
    expect(Array.from(bf.subarray(0, 2))).toEqual([1.5, -2.75]);
    expect(Math.abs(bf[2] / 3e38 - 1)).toBeLessThan(2 ** -8);
  });

  it('sorts nodes topologically and names the culprit of a cycle or a missing tensor', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float32', [2]);
    const a = b.neg(x);
    const c = b.exp(a);
    b.output(c);
    const g = b.graph;
    g.nodes.reverse();
    expect(topoSort(g).map((n) => n.op)).toEqual(['Neg', 'Exp']);
    g.nodes[0].inputs = ['nowhere'];
    expect(() => topoSort(g)).toThrow(/Exp node .* reads 'nowhere'/);
    expect(() => inferShapes(exporterLike(new Rng(1)))).toThrow(/'x' dim 0 is symbolic \('batch'\)/);
  });

  it('promotes initializers to inputs and inserts perturbation inputs', async () => {
    const rng = new Rng(seed + 3);
    const simple = simplify(exporterLike(rng), { batch: 2 });
    const { model: promoted, values: init } = promoteInitializers(simple, ['w_deq']);
    expect(promoted.graph.inputs.map((v) => v.name)).toEqual(['x', 'w_deq']);
    expect(() => promoteInitializers(simple, ['x'])).toThrow(/'x'.*graph input/);
    const matmulOut = promoted.graph.nodes.find((n) => n.op === 'MatMul')!.outputs[0];
    const { model: perturbed, input } = insertPerturbation(promoted, matmulOut);
    expect(input).toBe(`${matmulOut}_perturbation`);
    const f = { ...feeds(rng, 2), w_deq: init.get('w_deq')! };
    const zero = tensorFromNumbers('float32', new Float32Array(20), [2, 2, 5]);
    const delta = tensorFromNumbers('float32', rng.normal(20), [2, 2, 5]);
    const out = simple.graph.outputs[0].name;
    const base = await run(simple, f);
    const withZero = await run(perturbed, { ...f, [input]: zero });
    expect(Array.from(values(withZero[out]))).toEqual(Array.from(values(base[out])));
    // A perturbation of the MatMul output equals perturbing a copy of the graph by hand.
    const hand = cloneModel(simple);
    const bb = new GraphBuilder({ graph: hand.graph });
    const d = bb.init('delta', delta);
    const add = bb.add(matmulOut, d);
    for (const n of hand.graph.nodes) if (n.outputs[0] !== add && n.inputs.includes(matmulOut)) n.inputs = n.inputs.map((s) => (s === matmulOut ? add : s));
    hand.graph.nodes = topoSort(hand.graph);
    const [p, h] = [await run(perturbed, { ...f, [input]: delta }), await run(hand, f)];
    expect(Array.from(values(p[out]))).toEqual(Array.from(values(h[out])));
  });

  it('writes the original model back with new weights (float16 and dequantised weights replaced) and it still loads', async () => {
    const rng = new Rng(seed + 4);
    const model = exporterLike(rng);
    const simple = simplify(model, { batch: 2 });
    const newW = tensorFromNumbers('float32', rng.normal(60), [12, 5]);
    const newB = tensorFromNumbers('float32', rng.normal(5), [5]);
    const exported = decodeModel(encodeModel(withNewWeights(model, { w_deq: newW, b16: newB })));
    expect(exported.graph.nodes.some((n) => n.op === 'DequantizeLinear')).toBe(false);
    expect(exported.graph.initializers.has('w_q')).toBe(false);
    expect(exported.graph.initializers.get('b16')!.dtype).toBe('float16');
    expect(exported.opsetImport[0].version).toBe(14);
    const trained = cloneModel(simple);
    trained.graph.initializers.set('w_deq', newW);
    // the fp16 initializer was folded through its Cast; find its folded name and set the fp16-rounded values
    const castOut = model.graph.nodes.find((n) => n.op === 'Cast')!.outputs[0];
    trained.graph.initializers.set(castOut, { ...newB, data: Float32Array.from(tensorToNumbers(exported.graph.initializers.get('b16')!)) });
    const f = feeds(rng, 2);
    const out = model.graph.outputs[0].name;
    const [e, t] = [await run(exported, f), await run(trained, f)];
    const v = validate(values(e[out]), values(t[out]), 1e-6, 1e-5, 'exported vs trained');
    expect(v.ok, v.message).toBe(true);
  });
});
