/** ONNX protobuf I/O: IR ⇄ ModelProto round trips, zero-copy initializers, typed fields, and interop with onnxruntime. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import protobuf from 'protobufjs/minimal.js';
import { describe, expect, it } from 'vitest';
import { GraphBuilder, f } from '../../src/onnx/builder';
import { scalarTensor, tensorFromNumbers, tensorToNumbers, type Model } from '../../src/onnx/ir';
import { decodeModel, encodeModel } from '../../src/onnx/proto';
import { Rng, freshSeed } from '../../src/util/random';

const seed = freshSeed();

function sampleModel(rng: Rng): Model {
  const b = new GraphBuilder({ opset: 17 });
  const x = b.input('x', 'float32', ['batch', 4]);
  const w = b.init('w', tensorFromNumbers('float32', rng.normal(12), [4, 3]));
  const bias = b.init('bias', tensorFromNumbers('float64', [0.5, -1, 2], [3]));
  const h = b.add(b.matmul(x, w), b.cast(bias, 'float32'));
  const y = b.op('LayerNormalization', [h, b.init('g', tensorFromNumbers('float32', [1, 2, 3], [3]))], { axis: -1, epsilon: f(1e-5) });
  b.output(y, 'float32', ['batch', 3]);
  // Initializers of every dtype the IR models, kept alive through the graph by a no-op consumer chain.
  const g = b.graph;
  g.initializers.set('i64', tensorFromNumbers('int64', [-3, 0, 9007199254740991], [3]));
  g.initializers.set('i32', tensorFromNumbers('int32', [-7, 8], [2]));
  g.initializers.set('i8', tensorFromNumbers('int8', [-128, 127], [2]));
  g.initializers.set('u8', tensorFromNumbers('uint8', [0, 255], [2]));
  g.initializers.set('b', tensorFromNumbers('bool', [1, 0, 1], [3]));
  g.initializers.set('h', tensorFromNumbers('float16', [1.5, -2, 65504], [3]));
  g.initializers.set('s', { dtype: 'string', dims: [2], data: ['héllo', ''] });
  g.initializers.set('scalar', scalarTensor('float32', 3.25));
  g.nodes.push({ op: 'Dummy', domain: 'test.domain', name: 'dummy', inputs: ['i64', ''], outputs: ['dummy_out'],
    attrs: {
      fl: { type: 'float', value: 0.25 }, in: { type: 'int', value: -5 }, st: { type: 'string', value: 'abc' },
      fls: { type: 'floats', value: [1.5, -2] }, ins: { type: 'ints', value: [1, -2, 3] }, sts: { type: 'strings', value: ['a', 'bc'] },
      te: { type: 'tensor', value: tensorFromNumbers('int64', [4, 5], [2]) },
      gr: { type: 'graph', value: { name: 'body', nodes: [], inputs: [], outputs: [{ name: 'o', dtype: 'float32', dims: [] }], initializers: new Map(), valueInfo: [] } },
    } });
  const m = b.model();
  m.opsetImport.push({ domain: 'test.domain', version: 1 });
  m.metadata = { author: 'test', note: 'ünïcode' };
  m.docString = 'doc';
  return m;
}

describe(`ONNX protobuf I/O (AOS_SEED=${seed})`, () => {
  it('round-trips the IR through ModelProto bytes, byte-identically on re-encode', () => {
    const m = sampleModel(new Rng(seed));
    const bytes = encodeModel(m);
    const d = decodeModel(bytes);
    expect(d.opsetImport).toEqual(m.opsetImport);
    expect(d.metadata).toEqual(m.metadata);
    expect(d.docString).toBe('doc');
    expect(d.graph.inputs).toEqual(m.graph.inputs);
    expect(d.graph.outputs).toEqual(m.graph.outputs);
    expect(d.graph.nodes.map((n) => n.op)).toEqual(m.graph.nodes.map((n) => n.op));
    expect(d.graph.nodes.at(-1)!.attrs).toEqual(m.graph.nodes.at(-1)!.attrs);
    for (const [name, t] of m.graph.initializers) {
      const u = d.graph.initializers.get(name)!;
      expect(u.dtype, name).toBe(t.dtype);
      expect(u.dims, name).toEqual(t.dims);
      expect(Array.isArray(u.data) ? u.data : Array.from(u.data as ArrayLike<unknown>), name)
        .toEqual(Array.isArray(t.data) ? t.data : Array.from(t.data as ArrayLike<unknown>));
    }
    expect(Array.from(encodeModel(d))).toEqual(Array.from(bytes));
  });

  it('decodes aligned raw_data initializers as views into the model bytes (no copy)', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float32', [2]);
    b.output(b.add(x, b.init('big', tensorFromNumbers('float32', new Float32Array(1 << 16).fill(1), [1 << 16]))));
    const bytes = encodeModel(b.model());
    // Exactly one of four byte shifts puts the payload on a 4-byte boundary: that one must decode as a view.
    const shifted = new Uint8Array(bytes.length + 4);
    let views = 0;
    for (let s = 0; s < 4; s++) {
      const view = shifted.subarray(s, s + bytes.length);
      view.set(bytes);
      const data = decodeModel(view).graph.initializers.get('big')!.data as Float32Array;
      if (data.buffer === shifted.buffer) views++;
      expect(data.length).toBe(1 << 16);
      expect(data[12345]).toBe(1);
    }
    expect(views).toBe(1);
  });

  it('decodes typed (non-raw) tensor fields: float_data, int32_data, int64_data, double_data', () => {
    const W = protobuf.Writer;
    const tensor = (name: string, code: number, dims: number[], fill: (w: protobuf.Writer) => void) => {
      const w = W.create();
      w.uint32((1 << 3) | 2).fork();
      for (const d of dims) w.int64(d);
      w.ldelim();
      w.uint32((2 << 3) | 0).int32(code);
      w.uint32((8 << 3) | 2).string(name);
      fill(w);
      return w.finish();
    };
    const graph = W.create();
    const inits = [
      tensor('f', 1, [3], (w) => { w.uint32((4 << 3) | 2).fork().float(1.5).float(-2).float(3).ldelim(); }),
      tensor('f_unpacked', 1, [2], (w) => { w.uint32((4 << 3) | 5).float(7); w.uint32((4 << 3) | 5).float(8); }),
      tensor('i32', 6, [2], (w) => { w.uint32((5 << 3) | 2).fork().int32(-1).int32(5).ldelim(); }),
      tensor('h16', 10, [2], (w) => { w.uint32((5 << 3) | 2).fork().int32(0x3c00).int32(0xc000).ldelim(); }),
      tensor('i64', 7, [2, 1], (w) => { w.uint32((7 << 3) | 2).fork().int64(-9).int64(123456789012).ldelim(); }),
      tensor('d', 11, [2], (w) => { w.uint32((10 << 3) | 2).fork().double(0.1).double(-1e300).ldelim(); }),
    ];
    for (const t of inits) graph.uint32((5 << 3) | 2).bytes(t);
    const model = W.create();
    model.uint32((1 << 3) | 0).int64(8);
    model.uint32((7 << 3) | 2).bytes(graph.finish());
    model.uint32((8 << 3) | 2).fork().uint32((2 << 3) | 0).int64(18).ldelim();
    const m = decodeModel(model.finish());
    const get = (n: string) => Array.from(tensorToNumbers(m.graph.initializers.get(n)!));
    expect(get('f')).toEqual([1.5, -2, 3]);
    expect(get('f_unpacked')).toEqual([7, 8]);
    expect(get('i32')).toEqual([-1, 5]);
    expect(get('h16')).toEqual([1, -2]);
    expect(get('i64')).toEqual([-9, 123456789012]);
    expect(m.graph.initializers.get('i64')!.dims).toEqual([2, 1]);
    expect(get('d')).toEqual([0.1, -1e300]);
    expect(m.opsetImport).toEqual([{ domain: '', version: 18 }]);
  });

  it('runs encoded models in onnxruntime-node and decodes the models onnxruntime writes', async () => {
    const rng = new Rng(seed);
    const m = sampleModel(rng);
    m.graph.nodes.pop(); // drop the custom-domain node, which onnxruntime cannot run
    m.opsetImport.pop();
    const x = rng.normal(8);
    const dir = mkdtempSync(join(tmpdir(), 'aos-onnx-'));
    try {
      const optimizedPath = join(dir, 'optimized.onnx');
      const s = await ort.InferenceSession.create(encodeModel(m), { optimizedModelFilePath: optimizedPath, graphOptimizationLevel: 'basic' });
      const out = (await s.run({ x: new ort.Tensor('float32', x, [2, 4]) }))[m.graph.outputs[0].name];
      expect(out.dims).toEqual([2, 3]);
      // The model onnxruntime serialised (its own protobuf encoder) decodes, re-encodes and runs to the same output.
      const theirs = decodeModel(new Uint8Array(readFileSync(optimizedPath)));
      expect(theirs.graph.inputs[0].name).toBe('x');
      const s2 = await ort.InferenceSession.create(encodeModel(theirs));
      const out2 = (await s2.run({ x: new ort.Tensor('float32', x, [2, 4]) }))[theirs.graph.outputs[0].name];
      expect(Array.from(out2.data as Float32Array)).toEqual(Array.from(out.data as Float32Array));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports external data with the tensor name', () => {
    const W = protobuf.Writer;
    const t = W.create();
    t.uint32((2 << 3) | 0).int32(1).uint32((8 << 3) | 2).string('weights').uint32((14 << 3) | 0).int32(1);
    const g = W.create().uint32((5 << 3) | 2).bytes(t.finish()).finish();
    const model = W.create().uint32((7 << 3) | 2).bytes(g).finish();
    expect(() => decodeModel(model)).toThrow(/'weights'.*external/);
  });
});
