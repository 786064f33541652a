/**
 * Every gradient rule against central finite differences on a one-node model with random inputs, run by
 * onnxruntime-node (float64 where its CPU backend has the kernels, else float32: see gradcheck.ts for the
 * tolerance policy), plus: deliberately wrong rules are caught, unsupported and non-differentiable ops are named.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { buildGradientGraphs, unsupportedOps } from '../../src/onnx/autodiff/build';
import { RULES } from '../../src/onnx/autodiff/rules';
import { GraphBuilder, type AttrInput } from '../../src/onnx/builder';
import { tensorFromNumbers, type DType, type Tensor } from '../../src/onnx/ir';
import { Rng, freshSeed } from '../../src/util/random';
import { gradCheck, type FloatType, type GradCheckSetup } from './gradcheck';

const seed = freshSeed();

type Gen = 'normal' | 'pos' | 'away0' | 'unit';
interface In {
  dims: number[];
  kind?: 'float' | 'int64' | 'int32' | 'bool';
  /** An initializer (constant) instead of a graph input. */
  init?: boolean;
  values?: number[];
  gen?: Gen;
  /** Differentiate w.r.t. this float input (default true for float graph inputs). */
  diff?: boolean;
}
interface Case {
  name: string;
  op: string;
  ins: (In | null)[];
  attrs?: Record<string, AttrInput>;
  outputs?: number;
  /** Output indices to differentiate (default all). */
  diffOutputs?: number[];
  opset?: number;
  dtype?: FloatType | 'auto';
}

function gen(rng: Rng, g: Gen, n: number): number[] {
  switch (g) {
    case 'normal': return Array.from(rng.normal(n));
    case 'pos': return Array.from(rng.uniform(n, 0.5, 2));
    case 'unit': return Array.from(rng.uniform(n, -1, 1));
    case 'away0': return Array.from(rng.uniform(n, 0.1, 1.5), (v) => (rng.next() < 0.5 ? -v : v));
  }
}

function setup(c: Case): GradCheckSetup {
  const names = c.ins.map((_, i) => String.fromCharCode(97 + i));
  const wrt = c.ins.flatMap((s, i) => (s && (s.kind ?? 'float') === 'float' && !s.init && s.diff !== false ? [names[i]] : []));
  return {
    build: (dtype, rng) => {
      const b = new GraphBuilder({ opset: c.opset ?? 18 });
      const feeds: Record<string, Tensor> = {};
      const inputs = c.ins.map((s, i) => {
        if (!s) return '';
        const kind: DType = (s.kind ?? 'float') === 'float' ? dtype : (s.kind as DType);
        const n = s.dims.reduce((a, d) => a * d, 1);
        const t = tensorFromNumbers(kind, s.values ?? gen(rng, s.gen ?? 'normal', n), s.dims);
        if (s.init) return b.init(names[i], t);
        feeds[names[i]] = t;
        return b.input(names[i], kind, s.dims);
      });
      const outs = b.opN(c.op, inputs, c.attrs ?? {}, { outputs: c.outputs ?? 1 });
      for (const o of outs) b.output(o);
      const model = b.model();
      // Output dtypes are filled in by shape inference inside buildGradientGraphs; declare the float ones here.
      model.graph.outputs.forEach((v) => { v.dtype = dtype; });
      return { model, feeds };
    },
    options: {
      wrt,
      outputs: c.diffOutputs?.map((i) => `${c.op.toLowerCase()}_${i}`),
    },
    dtype: c.dtype,
  };
}

const F = (dims: number[], more: Partial<In> = {}): In => ({ dims, ...more });
const I64 = (dims: number[], values: number[]): In => ({ dims, kind: 'int64', values });
const C64 = (values: number[]): In => ({ dims: [values.length], kind: 'int64', values, init: true });

const CASES: Case[] = [
  { name: 'MatMul batched × matrix', op: 'MatMul', ins: [F([2, 3, 4]), F([4, 5])] },
  { name: 'MatMul broadcast batch dims', op: 'MatMul', ins: [F([2, 1, 3, 4]), F([5, 4, 2])] },
  { name: 'MatMul vector × batched', op: 'MatMul', ins: [F([4]), F([2, 4, 3])] },
  { name: 'MatMul batched × vector', op: 'MatMul', ins: [F([2, 3, 4]), F([4])] },
  { name: 'Gemm transB, alpha, beta, row bias', op: 'Gemm', ins: [F([3, 4]), F([5, 4]), F([5])], attrs: { transB: 1, alpha: 0.7, beta: 1.3 } },
  { name: 'Gemm transA, column bias', op: 'Gemm', ins: [F([4, 3]), F([4, 5]), F([3, 1])], attrs: { transA: 1 } },
  { name: 'Gemm transA transB, no bias', op: 'Gemm', ins: [F([4, 3]), F([5, 4])], attrs: { transA: 1, transB: 1 } },
  { name: 'Conv patch embedding (stride = kernel)', op: 'Conv', ins: [F([2, 3, 8, 8]), F([4, 3, 4, 4]), F([4])], attrs: { strides: [4, 4] } },
  { name: 'Conv padded, strided, uneven size', op: 'Conv', ins: [F([1, 2, 7, 6]), F([3, 2, 3, 2])], attrs: { strides: [2, 2], pads: [1, 0, 1, 1], dilations: [1, 2] } },
  { name: 'Add broadcast', op: 'Add', ins: [F([2, 3, 4]), F([4])] },
  { name: 'Sub broadcast both ways', op: 'Sub', ins: [F([2, 1, 4]), F([3, 1])] },
  { name: 'Mul broadcast', op: 'Mul', ins: [F([2, 3]), F([2, 1])] },
  { name: 'Div broadcast', op: 'Div', ins: [F([2, 3]), F([3], { gen: 'pos' })] },
  { name: 'Neg', op: 'Neg', ins: [F([2, 3])] },
  { name: 'Pow constant exponent', op: 'Pow', ins: [F([2, 3], { gen: 'pos' }), F([], { init: true, values: [2] })] },
  { name: 'Pow both inputs', op: 'Pow', ins: [F([2, 3], { gen: 'pos' }), F([3], { gen: 'unit' })] },
  { name: 'Sqrt', op: 'Sqrt', ins: [F([2, 3], { gen: 'pos' })] },
  { name: 'Exp', op: 'Exp', ins: [F([2, 3], { gen: 'unit' })] },
  { name: 'Log', op: 'Log', ins: [F([2, 3], { gen: 'pos' })] },
  { name: 'Tanh', op: 'Tanh', ins: [F([2, 3])] },
  { name: 'Erf', op: 'Erf', ins: [F([2, 3])] },
  { name: 'Sigmoid', op: 'Sigmoid', ins: [F([2, 3])] },
  { name: 'Relu', op: 'Relu', ins: [F([3, 4], { gen: 'away0' })] },
  { name: 'PRelu per-channel slope', op: 'PRelu', ins: [F([2, 3, 4], { gen: 'away0' }), F([3, 1])] },
  { name: 'Softsign', op: 'Softsign', ins: [F([2, 3])] },
  { name: 'Gelu (opset 20)', op: 'Gelu', ins: [F([2, 5])], opset: 20 },
  { name: 'Gelu tanh (opset 20)', op: 'Gelu', ins: [F([2, 5])], attrs: { approximate: 'tanh' }, opset: 20 },
  { name: 'Softmax last axis', op: 'Softmax', ins: [F([2, 3, 4])], attrs: { axis: -1 } },
  { name: 'Softmax middle axis', op: 'Softmax', ins: [F([2, 3, 4])], attrs: { axis: 1 } },
  { name: 'LayerNormalization last axis', op: 'LayerNormalization', ins: [F([2, 3, 4]), F([4]), F([4])], attrs: { axis: -1, epsilon: 1e-5 } },
  { name: 'LayerNormalization two axes, no bias', op: 'LayerNormalization', ins: [F([2, 3, 4]), F([3, 4])], attrs: { axis: 1, epsilon: 1e-3 } },
  { name: 'ReduceMean one axis', op: 'ReduceMean', ins: [F([2, 3, 4]), C64([1])], attrs: { keepdims: 0 } },
  { name: 'ReduceSum two axes keepdims', op: 'ReduceSum', ins: [F([2, 3, 4]), C64([0, 2])], attrs: { keepdims: 1 } },
  { name: 'ReduceSum all axes', op: 'ReduceSum', ins: [F([2, 3])], attrs: { keepdims: 0 } },
  { name: 'ReduceMean opset 13 axes attribute', op: 'ReduceMean', ins: [F([2, 3, 4])], attrs: { axes: [-1] }, opset: 13 },
  { name: 'Reshape', op: 'Reshape', ins: [F([2, 3, 4]), C64([6, -1])] },
  { name: 'Flatten', op: 'Flatten', ins: [F([2, 3, 4])], attrs: { axis: 2 } },
  { name: 'Transpose', op: 'Transpose', ins: [F([2, 3, 4])], attrs: { perm: [2, 0, 1] } },
  { name: 'Squeeze', op: 'Squeeze', ins: [F([2, 1, 3]), C64([1])] },
  { name: 'Unsqueeze', op: 'Unsqueeze', ins: [F([2, 3]), C64([0, 3])] },
  { name: 'Concat', op: 'Concat', ins: [F([2, 1, 3]), F([2, 2, 3]), F([2, 3, 3])], attrs: { axis: 1 } },
  { name: 'Split explicit sizes', op: 'Split', ins: [F([2, 5]), C64([2, 3])], attrs: { axis: 1 }, outputs: 2 },
  { name: 'Split num_outputs, one output used', op: 'Split', ins: [F([6, 2])], attrs: { axis: 0, num_outputs: 3 }, outputs: 3, diffOutputs: [1] },
  { name: 'Slice contiguous', op: 'Slice', ins: [F([3, 5]), C64([1, -4]), C64([3, 100])] },
  { name: 'Slice strided, negative step', op: 'Slice', ins: [F([3, 7]), C64([-1]), C64([-100]), C64([1]), C64([-2])] },
  { name: 'Expand', op: 'Expand', ins: [F([3, 1]), C64([2, 3, 4])] },
  { name: 'Gather embedding rows (repeats, negative index)', op: 'Gather', ins: [F([5, 3]), I64([2, 3], [1, 4, 1, -1, 0, 4])], attrs: { axis: 0 } },
  { name: 'Gather axis 1, scalar index', op: 'Gather', ins: [F([2, 4, 3]), I64([], [2])], attrs: { axis: 1 } },
  { name: 'Gather axis 1, 2-D indices', op: 'Gather', ins: [F([2, 4, 3]), I64([2, 2], [3, 0, 3, 1])], attrs: { axis: 1 } },
  { name: 'GatherND pairs', op: 'GatherND', ins: [F([3, 4, 2]), I64([3, 2], [0, 1, 2, 3, 0, 1])] },
  { name: 'GatherND batch_dims 1 (EOS pooling)', op: 'GatherND', ins: [F([2, 4, 3]), I64([2, 1], [3, 1])], attrs: { batch_dims: 1 } },
  { name: 'Where broadcast', op: 'Where', ins: [{ dims: [3, 1], kind: 'bool', values: [1, 0, 1] }, F([3, 4]), F([4])] },
  { name: 'Cast float → double', op: 'Cast', ins: [F([2, 3])], attrs: { to: 11 } },
  { name: 'Identity', op: 'Identity', ins: [F([2, 3])] },
  { name: 'Trilu', op: 'Trilu', ins: [F([2, 4, 4]), { dims: [], kind: 'int64', values: [1], init: true }], attrs: { upper: 0 } },
];

const used = new Map<string, FloatType>();

describe(`gradient rules vs finite differences (AOS_SEED=${seed})`, () => {
  CASES.forEach((c, k) => {
    it(c.name, async () => {
      const r = await gradCheck(setup(c), (seed + k * 0x9e3779b1) >>> 0);
      used.set(c.name, r.dtype);
      if (process.env.GRADCHECK_VERBOSE) console.log(c.name, r.message);
      expect(r.ok, `${c.name}: ${r.message}`).toBe(true);
    });
  });

  it('covers every differentiable rule in the table', () => {
    const tested = new Set(CASES.map((c) => c.op));
    expect(Object.keys(RULES).filter((op) => RULES[op] !== 'nondiff' && !tested.has(op))).toEqual([]);
  });

  it('catches deliberately wrong rules (float64 and float32)', async () => {
    // Tanh with the wrong sign (1 + y² instead of 1 − y²), checked in float64.
    const tanh = setup(CASES.find((c) => c.op === 'Tanh')!);
    tanh.options.rules = { Tanh: (c) => [() => c.b.mul(c.g, c.b.add(c.s(1), c.b.mul(c.y(0), c.y(0))))] };
    const r1 = await gradCheck(tanh, seed);
    expect(r1.dtype).toBe('float64');
    expect(r1.ok, r1.message).toBe(false);
    // Erf with a constant 3% too large, in float32: the float32 tolerances are tight enough to see it.
    const erf = setup(CASES.find((c) => c.op === 'Erf')!);
    erf.options.rules = { Erf: (c) => [() => c.b.mul(c.g, c.b.mul(c.s(1.03 * 2 / Math.sqrt(Math.PI)), c.b.exp(c.b.neg(c.b.mul(c.x(0), c.x(0))))))] };
    const r2 = await gradCheck(erf, seed);
    expect(r2.dtype).toBe('float32');
    expect(r2.ok, r2.message).toBe(false);
    // A broadcast gradient reduced over the wrong axes (gradient of the wrong shape) fails to run or to check.
    const add = setup(CASES.find((c) => c.name === 'Add broadcast')!);
    add.options.rules = { Add: (c) => [() => c.g, () => c.b.reduceSum(c.g, [0], false)] };
    expect(await gradCheck(add, seed).then((r) => r.ok, () => false)).toBe(false);
  });

  it('names unsupported ops and non-differentiable ops on the gradient path; never silently zeroes', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float32', [2, 3]);
    b.output(b.exp(b.op('Sin', [x], {}, { name: 'my_sin' })), 'float32', [2, 3]);
    const m = b.model();
    expect(() => buildGradientGraphs(m, { wrt: ['x'] })).toThrow(/Sin node 'my_sin'.*no gradient rule.*for Sin/);
    expect(unsupportedOps(m)).toEqual(["Sin node 'my_sin'"]);

    // An op declared non-differentiable may sit only where no gradient has to cross it.
    const b2 = new GraphBuilder();
    const s = b2.input('s', 'float32', [2, 3]);
    b2.output(b2.mul(b2.op('Tanh', [s], {}, { name: 'my_tanh' }), s), 'float32', [2, 3]);
    expect(() => buildGradientGraphs(b2.model(), { wrt: ['s'], rules: { Tanh: 'nondiff' } }))
      .toThrow(/Tanh node 'my_tanh'.*not differentiable.*from 's'/);

    const b3 = new GraphBuilder();
    const y = b3.input('y', 'float32', [2]);
    const z = b3.input('z', 'float32', [2]);
    b3.output(b3.exp(y), 'float32', [2]);
    void z;
    expect(() => buildGradientGraphs(b3.model(), { wrt: ['y', 'z'] })).toThrow(/'z' does not influence/);
    const ok = buildGradientGraphs(b3.model(), { wrt: ['y', 'z'], allowDisconnected: true });
    expect(ok.backward.graph.nodes.some((n) => n.op === 'ConstantOfShape' && n.outputs[0] === 'grad_z')).toBe(true);
  });

  afterAll(() => {
    const by = (d: FloatType) => [...used].filter(([, t]) => t === d).map(([n]) => n);
    console.log(`float64 checks: ${by('float64').length}; float32 checks: ${by('float32').join(', ')}`);
  });
});
