/**
 * Issue 18's op-correctness findings, checked without a GPU (shape rules, folding, planning):
 * PRelu and Softsign had kernels but no shape rule (so "the executor has no kernel"), ConvTranspose with
 * auto_pad=SAME_* used Conv's SAME rule (5×5 where ONNX defines 6×6), and the "must be a constant after folding"
 * error did not name the `constants` option.
 */
import { describe, expect, it } from 'vitest';
import { GraphBuilder, type AttrInput } from '../../src/onnx/builder';
import { buildPlan, unsupportedExecOps } from '../../src/onnx/exec/plan';
import { evaluate } from '../../src/onnx/interp';
import { tensorFromNumbers, tensorToNumbers, type Model } from '../../src/onnx/ir';
import { inferShapes } from '../../src/onnx/shapes';

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
