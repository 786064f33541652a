/**
 * Issue 18's op-correctness findings, checked without a GPU (shape rules, folding, planning):
 * PRelu and Softsign had kernels but no shape rule (so "the executor has no kernel"), ConvTranspose with
 * auto_pad=SAME_* used Conv's SAME rule (5×5 where ONNX defines 6×6), and the "must be a constant after folding"
 * error did not name the `constants` option.
 */
import { describe, expect, it } from 'vitest';
import { GraphBuilder, type AttrInput } from '../../src/onnx/builder';
import { buildPlan } from '../../src/onnx/exec/plan';
import { unsupportedExecOps } from '../../src/onnx/exec/ops';
import { evaluate } from '../../src/onnx/interp';
import { tensorFromNumbers, tensorToNumbers, type Model } from '../../src/onnx/ir';
import { convTransposeParams, inferShapes } from '../../src/onnx/shapes';

function oneNode(op: string, inputs: { dims: number[]; dtype?: 'float32' | 'int64' }[], attrs: Record<string, AttrInput> = {}, opset = 18): Model {
  const b = new GraphBuilder({ opset });
  const names = inputs.map((s, i) => b.input(`x${i}`, s.dtype ?? 'float32', s.dims));
  b.output(b.op(op, names, attrs, { outputs: ['y'], name: `my_${op}` }));
  return b.model();
}

describe('PRelu and Softsign are supported end to end (issue 18)', () => {
  it('have shape rules: PRelu broadcasts the slope to X, Softsign keeps the shape', () => {
    expect(inferShapes(oneNode('PRelu', [{ dims: [2, 3, 4] }, { dims: [3, 1] }])).get('y')!.dims).toEqual([2, 3, 4]);
    expect(inferShapes(oneNode('Softsign', [{ dims: [5, 2] }])).get('y')!.dims).toEqual([5, 2]);
    // The slope broadcasts to X, never X to the slope.
    expect(() => inferShapes(oneNode('PRelu', [{ dims: [3] }, { dims: [2, 3] }]))).toThrow(/does not broadcast to X/);
  });

  it('plan without "the executor has no kernel"', () => {
    for (const m of [oneNode('PRelu', [{ dims: [2, 3] }, { dims: [3] }]), oneNode('Softsign', [{ dims: [4] }])]) {
      expect(unsupportedExecOps(m)).toEqual([]);
      expect(buildPlan(m).steps.length).toBe(1);
    }
  });

  it('fold on constants with the ONNX definitions', () => {
    const x = tensorFromNumbers('float32', [-2, -0.5, 0, 3], [4]);
    const slope = tensorFromNumbers('float32', [0.25], [1]);
    const prelu = evaluate(oneNode('PRelu', [{ dims: [4] }, { dims: [1] }]).graph.nodes[0], [x, slope]);
    expect(Array.from(tensorToNumbers(prelu![0]))).toEqual([-0.5, -0.125, 0, 3]);
    const softsign = evaluate(oneNode('Softsign', [{ dims: [4] }]).graph.nodes[0], [x]);
    expect(Array.from(tensorToNumbers(softsign![0]))).toEqual([-2 / 3, -0.5 / 1.5, 0, 3 / 4].map(Math.fround));
  });
});

describe('the other element-wise ops the executor claims fold with their ONNX definitions', () => {
  const x = tensorFromNumbers('float32', [-2, -0.5, 0, 3], [4]);
  const fold = (op: string, ins = [x], attrs: Record<string, AttrInput> = {}) =>
    Array.from(tensorToNumbers(evaluate(oneNode(op, ins.map((t) => ({ dims: t.dims })), attrs).graph.nodes[0], ins)![0]));
  const f32 = (v: number[]) => v.map(Math.fround);

  it('Elu, LeakyRelu, HardSigmoid (attributes and defaults), Clip, Sum, Mean, IsInf', () => {
    expect(fold('Elu', [x], { alpha: 2 })).toEqual(f32([2 * Math.expm1(-2), 2 * Math.expm1(-0.5), 0, 3]));
    expect(fold('LeakyRelu')).toEqual(f32([-0.02, -0.005, 0, 3]));
    expect(fold('HardSigmoid', [x], { alpha: 0.5 })).toEqual([0, 0.25, 0.5, 1]);
    const lo = tensorFromNumbers('float32', [-1], []), hi = tensorFromNumbers('float32', [1], []);
    expect(fold('Clip', [x, lo, hi])).toEqual([-1, -0.5, 0, 1]);
    const y = tensorFromNumbers('float32', [1], [1]);
    expect(fold('Sum', [x, y, y])).toEqual([0, 1.5, 2, 5]);
    expect(fold('Mean', [x, y])).toEqual([-0.5, 0.25, 0.5, 2]);
    const inf = tensorFromNumbers('float32', [Infinity, -Infinity, 1], [3]);
    expect(fold('IsInf', [inf], { detect_negative: 0 })).toEqual([1, 0, 0]);
  });
});

describe('ConvTranspose auto_pad and output_shape follow the ONNX spec (issue 18)', () => {
  const convT = (attrs: Record<string, AttrInput>, x = [1, 1, 3, 3], w = [1, 2, 3, 3]) =>
    oneNode('ConvTranspose', [{ dims: x }, { dims: w }], attrs);

  it('SAME_UPPER, stride 2: output = input·stride (6×6, not Conv\'s ⌈3/2⌉·… 5×5), the extra pad at the end', () => {
    const m = convT({ auto_pad: 'SAME_UPPER', strides: [2, 2] });
    expect(inferShapes(m).get('y')!.dims).toEqual([1, 2, 6, 6]);
    // total = 2·(3−1) + 0 + 3 − 6 = 1: SAME_UPPER puts ⌊1/2⌋ = 0 first.
    expect(convTransposeParams(m.graph.nodes[0], [1, 1, 3, 3], [1, 2, 3, 3]).pads).toEqual([0, 0, 1, 1]);
  });

  it('SAME_LOWER puts the extra pad first; 1-D, dilation and output_padding enter the total', () => {
    const m = convT({ auto_pad: 'SAME_LOWER', strides: [2, 3], dilations: [2, 1], output_padding: [1, 0] }, [1, 1, 4, 5]);
    expect(inferShapes(m).get('y')!.dims).toEqual([1, 2, 8, 15]);
    // H: 2·3 + 1 + (2·2+1) − 8 = 4 → [2, 2]; W: 3·4 + 0 + 3 − 15 = 0.
    expect(convTransposeParams(m.graph.nodes[0], [1, 1, 4, 5], [1, 2, 3, 3]).pads).toEqual([2, 0, 2, 0]);
    const m1 = convT({ auto_pad: 'SAME_LOWER', strides: [2] }, [1, 1, 4], [1, 1, 4]);
    expect(inferShapes(m1).get('y')!.dims).toEqual([1, 1, 8]);
    expect(convTransposeParams(m1.graph.nodes[0], [1, 1, 4], [1, 1, 4]).pads).toEqual([1, 1]);
  });

  it('a kernel smaller than the stride gives a negative total: the output still is input·stride', () => {
    const m = convT({ auto_pad: 'SAME_UPPER', strides: [3, 3] }, [1, 1, 2, 2], [1, 1, 2, 2]);
    expect(inferShapes(m).get('y')!.dims).toEqual([1, 1, 6, 6]);
    // total = 3 + 2 − 6 = −1: ⌊−1/2⌋ = −1 first (floor division, as onnx/reference), 0 at the end.
    expect(convTransposeParams(m.graph.nodes[0], [1, 1, 2, 2], [1, 1, 2, 2]).pads).toEqual([-1, -1, 0, 0]);
  });

  it('output_shape without auto_pad extends (or crops) at the end; explicit pads stay as given', () => {
    const m = convT({ strides: [3, 2], output_shape: [10, 8] });
    expect(inferShapes(m).get('y')!.dims).toEqual([1, 2, 10, 8]);
    expect(convTransposeParams(m.graph.nodes[0], [1, 1, 3, 3], [1, 2, 3, 3]).pads).toEqual([0, 0, 0, 0]);
    const p = convT({ strides: [3, 2], pads: [1, 2, 1, 2] });
    expect(inferShapes(p).get('y')!.dims).toEqual([1, 2, 7, 3]);
    // The executor plans it (it used to refuse output_shape).
    expect(buildPlan(m).steps.length).toBe(1);
  });
});

describe('a shape input that does not fold names the fix (issue 18)', () => {
  it('a graph input: the message names the `constants` option', () => {
    const m = oneNode('Reshape', [{ dims: [2, 6] }, { dims: [2], dtype: 'int64' }]);
    expect(() => buildPlan(m)).toThrow(/'x1' is a graph input: give its value at build time with the `constants` option/);
    // …and that fix works.
    const plan = buildPlan(m, { constants: { x1: tensorFromNumbers('int64', [3, 4], [2]) } });
    expect(plan.outputs[0].dims).toEqual([3, 4]);
  });

  it('an input only the lowering needs constant (Trilu\'s k) names the option too', () => {
    const m = oneNode('Trilu', [{ dims: [3, 3] }, { dims: [], dtype: 'int64' }], {}, 14);
    expect(() => buildPlan(m)).toThrow(/input 1 \('x1'\) must be a constant; 'x1' is a graph input: give its value at build time with the `constants` option/);
  });

  it('a shape computed from graph inputs: the message names them and the `constants` option', () => {
    const b = new GraphBuilder({ opset: 18 });
    const x = b.input('x', 'float32', [2, 6]);
    const s = b.input('s', 'int64', [2]);
    b.output(b.op('Reshape', [x, b.op('Abs', [s])], {}, { outputs: ['y'] }));
    expect(() => buildPlan(b.model())).toThrow(/must be a constant after folding; it is computed from graph input 's': give its value at build time with the `constants` option \(createExecSession\(ctx, model, \{ constants: \{ 's': tensor \} \}\)/);
    // Shape stops the walk: Shape(x) folds whatever x is, so only 's' is named.
    const b2 = new GraphBuilder({ opset: 18 });
    const x2 = b2.input('x', 'float32', [2, 6]);
    const s2 = b2.input('s', 'int64', [2]);
    const shape = b2.op('Mul', [b2.op('Shape', [x2]), b2.op('Abs', [s2])]);
    b2.output(b2.op('Reshape', [b2.op('Tile', [x2, b2.ints([1, 1])]), shape], {}, { outputs: ['y'] }));
    expect(() => buildPlan(b2.model())).toThrow(/computed from graph input 's': give its value/);
  });
});
