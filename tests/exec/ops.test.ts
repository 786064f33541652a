/**
 * Per-op checks of the executor against onnxruntime-node: one-node models with random inputs (broadcasting, negative
 * axes, keepdims, strided views, integer and boolean tensors). Float outputs: |diff| ≤ atol + rtol·|ref| with
 * atol = rtol = 1e-5 unless a case states otherwise (transcendental approximations: Erf 2e-7 absolute, Tanh/Exp/Log/Pow
 * within 1e-5 relative; reductions and matmuls only differ by summation order). Integer and boolean outputs: exact.
 */
import { describe, expect, it } from 'vitest';
import { Rng, freshSeed } from '../../src/util/random';
import { shaderSources } from '../../src/kernels/shaders';
import { withGpu } from '../helpers/gpu';
import { validate } from '../../src/util/validate';
import { compareWithOrt, oneNode, runExec, type InSpec, type OpCase } from './helpers';

const seed = freshSeed();
console.log(`exec ops test seed ${seed} (AOS_SEED=${seed} replays it)`);

const pos = (rng: Rng, n: number) => rng.uniform(n, 0.2, 3);
const wide = (rng: Rng, n: number) => rng.uniform(n, -30, 30);
const halves = (rng: Rng, n: number) => Array.from({ length: n }, () => rng.int(-8, 8) / 2 + (rng.next() < 0.3 ? 0.25 : 0));
const f = (...dims: number[]): InSpec => ({ dims });
const i64 = (dims: number[], values?: number[], isConst = false): InSpec => ({ dims, dtype: 'int64', values, const: isConst });
const bool = (...dims: number[]): InSpec => ({ dims, dtype: 'bool' });
const cf = (dims: number[], values?: number[]): InSpec => ({ dims, const: true, values });

const ELEMENTWISE: OpCase[] = [
  { name: 'add-broadcast', op: 'Add', inputs: [f(2, 3, 4), f(4)] },
  { name: 'sub-broadcast-both', op: 'Sub', inputs: [f(2, 1, 4), f(3, 1)] },
  { name: 'mul-scalar-const', op: 'Mul', inputs: [f(2, 3), cf([], [1.702])] },
  { name: 'div', op: 'Div', inputs: [f(3, 5), { dims: [5], gen: pos }] },
  { name: 'pow-positive', op: 'Pow', inputs: [{ dims: [4, 5], gen: pos }, f(5)] },
  { name: 'pow-square-negative-base', op: 'Pow', inputs: [f(4, 5), cf([], [2])] },
  { name: 'pow-cube-negative-base', op: 'Pow', inputs: [f(4, 5), cf([], [3])] },
  { name: 'pow-int-exponent-input', op: 'Pow', inputs: [f(6), { dims: [6], values: [0, 1, 2, 3, -1, 4] }] },
  { name: 'sqrt', op: 'Sqrt', inputs: [{ dims: [3, 7], gen: pos }] },
  { name: 'exp', op: 'Exp', inputs: [f(3, 7)] },
  { name: 'log', op: 'Log', inputs: [{ dims: [3, 7], gen: pos }] },
  { name: 'tanh-wide', op: 'Tanh', inputs: [{ dims: [64], gen: wide }] },
  { name: 'erf', op: 'Erf', inputs: [{ dims: [200], gen: (rng, n) => rng.uniform(n, -5, 5) }], atol: 2e-7, rtol: 1e-6 },
  { name: 'sigmoid-wide', op: 'Sigmoid', inputs: [{ dims: [64], gen: wide }] },
  { name: 'relu', op: 'Relu', inputs: [f(5, 5)] },
  { name: 'neg', op: 'Neg', inputs: [f(5)] },
  { name: 'abs', op: 'Abs', inputs: [f(5)] },
  { name: 'reciprocal', op: 'Reciprocal', inputs: [{ dims: [5], gen: pos }] },
  { name: 'floor', op: 'Floor', inputs: [{ dims: [20], gen: halves }] },
  { name: 'ceil', op: 'Ceil', inputs: [{ dims: [20], gen: halves }] },
  { name: 'round-half-even', op: 'Round', inputs: [{ dims: [20], gen: halves }] },
  { name: 'sign', op: 'Sign', inputs: [{ dims: [20], gen: halves }] },
  { name: 'softplus', op: 'Softplus', inputs: [{ dims: [32], gen: wide }] },
  { name: 'leakyrelu', op: 'LeakyRelu', inputs: [f(10)], attrs: { alpha: 0.1 } },
  { name: 'elu', op: 'Elu', inputs: [f(10)], attrs: { alpha: 0.7 } },
  { name: 'hardsigmoid', op: 'HardSigmoid', inputs: [f(10)], attrs: { alpha: 0.3, beta: 0.4 } },
  { name: 'gelu-erf', op: 'Gelu', inputs: [f(40)], opset: 20, atol: 2e-7 },
  { name: 'gelu-tanh', op: 'Gelu', inputs: [f(40)], opset: 20, attrs: { approximate: 'tanh' } },
  { name: 'max-variadic', op: 'Max', inputs: [f(2, 3), f(3), f(1, 1)] },
  { name: 'min-variadic', op: 'Min', inputs: [f(2, 3), f(2, 1)] },
  { name: 'sum-variadic', op: 'Sum', inputs: [f(2, 3), f(3), f(2, 3), f(1)] },
  { name: 'where-broadcast', op: 'Where', inputs: [bool(3, 1), f(3, 4), f(4)] },
  { name: 'where-scalar-branch', op: 'Where', inputs: [bool(2, 5), f(2, 5), cf([], [0])] },
  { name: 'equal-int64', op: 'Equal', inputs: [i64([3, 4]), i64([4])] },
  { name: 'less-float', op: 'Less', inputs: [f(3, 4), f(3, 1)] },
  { name: 'greater', op: 'Greater', inputs: [f(6), f(6)] },
  { name: 'lessorequal-int', op: 'LessOrEqual', inputs: [i64([6]), i64([6])] },
  { name: 'greaterorequal', op: 'GreaterOrEqual', inputs: [f(6), cf([], [0])] },
  { name: 'and', op: 'And', inputs: [bool(8), bool(8)] },
  { name: 'or', op: 'Or', inputs: [bool(2, 4), bool(4)] },
  { name: 'xor', op: 'Xor', inputs: [bool(8), bool(8)] },
  { name: 'not', op: 'Not', inputs: [bool(8)] },
  { name: 'cast-float-to-int64', op: 'Cast', inputs: [{ dims: [12], gen: (rng, n) => rng.uniform(n, -9, 9) }], attrs: { to: 7 } },
  { name: 'cast-int64-to-float', op: 'Cast', inputs: [i64([7], [-3, -1, 0, 1, 2, 1000, -70000])], attrs: { to: 1 } },
  { name: 'cast-bool-to-float', op: 'Cast', inputs: [bool(9)], attrs: { to: 1 } },
  { name: 'cast-float-to-bool', op: 'Cast', inputs: [{ dims: [6], values: [0, 1, -2, 0, 0.5, -0] }], attrs: { to: 9 } },
  { name: 'add-int64', op: 'Add', inputs: [i64([2, 3]), i64([3])] },
  { name: 'mul-int64', op: 'Mul', inputs: [i64([5]), i64([], [7], true)] },
  { name: 'mod-int-sign-of-divisor', op: 'Mod', inputs: [i64([8], [7, -7, 7, -7, 0, 5, -5, 9]), i64([8], [3, 3, -3, -3, 2, 5, 2, -4])] },
  { name: 'mod-float-fmod', op: 'Mod', inputs: [f(8), { dims: [8], gen: pos }], attrs: { fmod: 1 } },
  { name: 'clip-const-bounds', op: 'Clip', inputs: [f(3, 4), cf([], [-0.5]), cf([], [0.75])] },
  { name: 'clip-max-only', op: 'Clip', inputs: [f(10), null, cf([], [0.25])] },
  { name: 'isnan', op: 'IsNaN', inputs: [{ dims: [5], values: [0, NaN, 1, Infinity, -Infinity] }] },
  { name: 'isinf', op: 'IsInf', inputs: [{ dims: [5], values: [0, NaN, 1, Infinity, -Infinity] }] },
  { name: 'isinf-negative-only', op: 'IsInf', inputs: [{ dims: [5], values: [0, NaN, 1, Infinity, -Infinity] }], attrs: { detect_positive: 0 } },
];

const SHAPES: OpCase[] = [
  { name: 'identity', op: 'Identity', inputs: [f(3, 4)] },
  { name: 'reshape-zero-and-minus-one', op: 'Reshape', inputs: [f(2, 3, 4), i64([3], [0, -1, 2], true)] },
  { name: 'flatten-axis2', op: 'Flatten', inputs: [f(2, 3, 4, 5)], attrs: { axis: 2 } },
  { name: 'squeeze-negative-axis', op: 'Squeeze', inputs: [f(2, 1, 3, 1), i64([1], [-1], true)] },
  { name: 'unsqueeze-negative-axes', op: 'Unsqueeze', inputs: [f(2, 3), i64([2], [0, -1], true)] },
  { name: 'transpose', op: 'Transpose', inputs: [f(2, 3, 4)], attrs: { perm: [2, 0, 1] } },
  { name: 'transpose-default', op: 'Transpose', inputs: [f(2, 3, 4)] },
  { name: 'expand', op: 'Expand', inputs: [f(3, 1), i64([3], [2, 3, 4], true)] },
  { name: 'slice-steps-negative-axes', op: 'Slice', inputs: [f(4, 10), i64([2], [1, 1], true), i64([2], [4, 1000], true), i64([2], [0, -1], true), i64([2], [2, 3], true)] },
  { name: 'slice-negative-step', op: 'Slice', inputs: [f(3, 8), i64([1], [-1], true), i64([1], [-9], true), i64([1], [1], true), i64([1], [-2], true)] },
  { name: 'split-sizes', op: 'Split', inputs: [f(2, 7), i64([3], [2, 4, 1], true)], attrs: { axis: -1 }, outputs: 3 },
  { name: 'split-num-outputs', op: 'Split', inputs: [f(6, 3)], attrs: { axis: 0, num_outputs: 3 }, outputs: 3 },
  { name: 'concat-last-axis', op: 'Concat', inputs: [f(2, 3), f(2, 1), f(2, 4)], attrs: { axis: -1 } },
  { name: 'concat-int64', op: 'Concat', inputs: [i64([2]), i64([3])], attrs: { axis: 0 } },
  { name: 'pad-zero', op: 'Pad', inputs: [f(2, 3), i64([4], [1, 0, 2, 2], true)] },
  { name: 'pad-value-axes', op: 'Pad', inputs: [f(2, 3, 2), i64([2], [1, 3], true), cf([], [1.5]), i64([1], [-2], true)] },
];

const COMPUTE: OpCase[] = [
  { name: 'matmul-2d', op: 'MatMul', inputs: [f(5, 7), f(7, 3)] },
  { name: 'matmul-batch-broadcast', op: 'MatMul', inputs: [f(2, 1, 3, 4), f(5, 4, 6)] },
  { name: 'matmul-1d-left', op: 'MatMul', inputs: [f(4), f(2, 4, 3)] },
  { name: 'matmul-1d-right', op: 'MatMul', inputs: [f(2, 3, 4), f(4)] },
  { name: 'matmul-const-weight', op: 'MatMul', inputs: [f(3, 66, 9), { dims: [9, 70], const: true }] },
  // A weight shared by the batch folds the batch into the rows (one-row items, small and large tiles).
  { name: 'matmul-shared-weight-one-row', op: 'MatMul', inputs: [f(5, 1, 4), f(4, 3)] },
  { name: 'matmul-shared-weight-2-batch-dims', op: 'MatMul', inputs: [f(2, 3, 5, 6), f(6, 70)] },
  { name: 'matmul-per-batch-small', op: 'MatMul', inputs: [f(6, 17, 16), f(6, 16, 17)] },
  { name: 'gemm-transB-bias', op: 'Gemm', inputs: [f(5, 8), f(6, 8), f(6)], attrs: { transB: 1 } },
  { name: 'gemm-transA-alpha-beta-col', op: 'Gemm', inputs: [f(8, 5), f(8, 6), f(5, 1)], attrs: { transA: 1, alpha: 0.5, beta: 2 } },
  { name: 'gemm-no-c', op: 'Gemm', inputs: [f(3, 4), f(4, 5)], attrs: { alpha: -1.5 } },
  { name: 'softmax-last', op: 'Softmax', inputs: [{ dims: [3, 4, 9], gen: wide }] },
  { name: 'softmax-axis1', op: 'Softmax', inputs: [f(3, 4, 5)], attrs: { axis: 1 } },
  { name: 'logsoftmax', op: 'LogSoftmax', inputs: [f(4, 6)] },
  { name: 'layernorm-last', op: 'LayerNormalization', inputs: [f(2, 5, 16), f(16), f(16)], attrs: { epsilon: 1e-5 } },
  { name: 'layernorm-axis1-stats', op: 'LayerNormalization', inputs: [f(3, 4, 5), f(4, 5)], attrs: { axis: 1 }, outputs: 3 },
  { name: 'reducemean-last-keep', op: 'ReduceMean', inputs: [f(2, 3, 8), i64([1], [-1], true)] },
  { name: 'reducesum-axes02-nokeep', op: 'ReduceSum', inputs: [f(4, 3, 5), i64([2], [0, 2], true)], attrs: { keepdims: 0 } },
  { name: 'reducesum-all', op: 'ReduceSum', inputs: [f(4, 3, 5)] },
  { name: 'reducesum-noop', op: 'ReduceSum', inputs: [f(4, 3)], attrs: { noop_with_empty_axes: 1 } },
  { name: 'reducesum-split-path', op: 'ReduceSum', inputs: [f(4100, 3), i64([1], [0], true)], atol: 1e-4, rtol: 1e-5 },
  { name: 'reducemean-split-path', op: 'ReduceMean', inputs: [f(2, 3000), i64([1], [1], true)], attrs: { keepdims: 0 } },
  { name: 'reducemean-opset13-attr', op: 'ReduceMean', inputs: [f(3, 4, 5)], attrs: { axes: [1, -1] }, opset: 13 },
  { name: 'reducemax', op: 'ReduceMax', inputs: [f(3, 4), i64([1], [0], true)] },
  { name: 'reducemin', op: 'ReduceMin', inputs: [f(3, 4), i64([1], [1], true)], attrs: { keepdims: 0 } },
  { name: 'reduceprod', op: 'ReduceProd', inputs: [{ dims: [3, 4], gen: pos }, i64([1], [1], true)] },
  { name: 'reducel2', op: 'ReduceL2', inputs: [f(3, 4), i64([1], [1], true)] },
  { name: 'reducesumsquare', op: 'ReduceSumSquare', inputs: [f(3, 4), i64([1], [1], true)] },
  { name: 'reducelogsumexp', op: 'ReduceLogSumExp', inputs: [{ dims: [3, 6], gen: wide }, i64([1], [-1], true)] },
  { name: 'argmax-nokeep', op: 'ArgMax', inputs: [f(3, 7)], attrs: { axis: 1, keepdims: 0 } },
  { name: 'argmax-ties-last', op: 'ArgMax', inputs: [i64([2, 6], [1, 4, 4, 0, 4, 2, 3, 3, 1, 0, 0, 3])], attrs: { axis: -1, select_last_index: 1 } },
  { name: 'gather-axis0-negative', op: 'Gather', inputs: [f(6, 4), i64([2, 3], [0, -1, 2, 5, -6, 3])] },
  { name: 'gather-axis1', op: 'Gather', inputs: [f(2, 5, 3), i64([4], [4, 0, 0, -2])], attrs: { axis: 1 } },
  { name: 'gather-scalar-const', op: 'Gather', inputs: [f(2, 5, 3), i64([], [-2], true)], attrs: { axis: 1 } },
  { name: 'gathernd', op: 'GatherND', inputs: [f(3, 4, 2), i64([2, 2], [0, 1, 2, -1])] },
  { name: 'gathernd-batch-dims', op: 'GatherND', inputs: [f(3, 5, 4), i64([3, 1], [4, 0, 2])], attrs: { batch_dims: 1 } },
  { name: 'scatternd-none', op: 'ScatterND', inputs: [f(5, 3), i64([2, 1], [3, 0]), f(2, 3)] },
  { name: 'scatternd-add-duplicates', op: 'ScatterND', inputs: [cf([6, 2], new Array(12).fill(0)), i64([4, 1], [1, 4, 1, -1]), f(4, 2)], attrs: { reduction: 'add' }, opset: 18 },
  { name: 'scatternd-add-int64-duplicates', op: 'ScatterND', inputs: [i64([5, 2]), i64([7, 1], [0, 3, 3, -1, 0, 3, 2]), i64([7, 2])], attrs: { reduction: 'add' }, opset: 18 },
  { name: 'scatternd-add-2d-index-many-duplicates', op: 'ScatterND', inputs: [f(4, 3, 2), { dims: [50, 2], dtype: 'int64', gen: (rng, n) => Array.from({ length: n }, (_, i) => (i % 2 ? rng.int(0, 3) : rng.int(-4, 4))) }, f(50, 2)], attrs: { reduction: 'add' }, opset: 18 },
  { name: 'conv-patch', op: 'Conv', inputs: [f(2, 3, 8, 12), f(5, 3, 4, 4)], attrs: { strides: [4, 4], kernel_shape: [4, 4] } },
  { name: 'conv-patch-bias', op: 'Conv', inputs: [f(1, 1, 28, 28), f(6, 1, 7, 7), f(6)], attrs: { strides: [7, 7] } },
  { name: 'conv-pads-stride', op: 'Conv', inputs: [f(2, 3, 7, 6), f(4, 3, 3, 3), f(4)], attrs: { pads: [1, 0, 2, 1], strides: [2, 1] } },
  { name: 'conv-dilation-group', op: 'Conv', inputs: [f(1, 4, 9, 9), f(6, 2, 2, 3)], attrs: { dilations: [2, 3], group: 2 } },
  { name: 'conv-1d', op: 'Conv', inputs: [f(2, 3, 11), f(4, 3, 3)], attrs: { pads: [1, 1] } },
  { name: 'convtranspose-patch', op: 'ConvTranspose', inputs: [f(2, 5, 2, 3), f(5, 3, 4, 4)], attrs: { strides: [4, 4] } },
  // The patch path (stride = kernel, no leading padding): bias, output_padding past the patches, trailing crop, 1-D.
  { name: 'convtranspose-patch-bias-outpad', op: 'ConvTranspose', inputs: [f(2, 6, 2, 3), f(6, 5, 3, 3), f(5)], attrs: { strides: [3, 3], output_padding: [1, 2] } },
  { name: 'convtranspose-patch-end-pads', op: 'ConvTranspose', inputs: [f(1, 3, 3, 3), f(3, 2, 2, 2)], attrs: { strides: [2, 2], pads: [0, 0, 1, 1] } },
  { name: 'convtranspose-patch-1d', op: 'ConvTranspose', inputs: [f(2, 3, 5), f(3, 2, 4)], attrs: { strides: [4] } },
  { name: 'convtranspose-pads-outpad-group', op: 'ConvTranspose', inputs: [f(1, 4, 3, 4), f(4, 3, 3, 3), f(6)], attrs: { strides: [2, 2], pads: [1, 0, 1, 1], output_padding: [1, 0], group: 2 } },
  // auto_pad SAME_*: output = input·stride, the total padding split per the spec (issue 18: 5×5 instead of 6×6).
  { name: 'convtranspose-same-upper-stride2', op: 'ConvTranspose', inputs: [f(1, 2, 3, 3), f(2, 3, 3, 3), f(3)], attrs: { auto_pad: 'SAME_UPPER', strides: [2, 2] } },
  { name: 'convtranspose-same-lower-stride2', op: 'ConvTranspose', inputs: [f(2, 2, 3, 4), f(2, 3, 3, 3)], attrs: { auto_pad: 'SAME_LOWER', strides: [2, 2] } },
  { name: 'convtranspose-same-lower-dilation', op: 'ConvTranspose', inputs: [f(1, 1, 4, 5), f(1, 2, 3, 3)], attrs: { auto_pad: 'SAME_LOWER', strides: [2, 3], dilations: [2, 1] } },
  { name: 'convtranspose-output-shape', op: 'ConvTranspose', inputs: [f(1, 1, 3, 3), f(1, 2, 3, 3)], attrs: { strides: [3, 2], output_shape: [10, 8] } },
  { name: 'trilu-upper', op: 'Trilu', inputs: [f(2, 4, 5)], opset: 14 },
  { name: 'trilu-lower-k', op: 'Trilu', inputs: [f(4, 5), i64([], [-1], true)], attrs: { upper: 0 }, opset: 14 },
];

/** Ops that had no shape rule or no kernel before (issue 9): each vs onnxruntime-node. */
const ADDED: OpCase[] = [
  { name: 'sin', op: 'Sin', inputs: [{ dims: [256], gen: (rng, n) => rng.uniform(n, -20, 20) }], atol: 1e-6, rtol: 1e-5 },
  { name: 'cos', op: 'Cos', inputs: [{ dims: [256], gen: (rng, n) => rng.uniform(n, -20, 20) }], atol: 1e-6, rtol: 1e-5 },
  { name: 'sin-large-args', op: 'Sin', inputs: [{ dims: [64], gen: (rng, n) => rng.uniform(n, -2000, 2000) }], atol: 2e-6, rtol: 0 },
  { name: 'cos-quadrant-edges', op: 'Cos', inputs: [{ dims: [9], values: [0, Math.PI / 4, Math.PI / 2, (3 * Math.PI) / 4, Math.PI, -Math.PI / 2, -Math.PI, 2 * Math.PI, 1e-3] }], atol: 1e-6, rtol: 1e-5 },
  { name: 'mean-variadic-broadcast', op: 'Mean', inputs: [f(2, 3), f(3), f(2, 1)] },
  { name: 'reducel1', op: 'ReduceL1', inputs: [f(3, 4, 5), i64([1], [1], true)] },
  { name: 'reducel1-all-nokeep', op: 'ReduceL1', inputs: [f(3, 4)], attrs: { keepdims: 0 } },
  { name: 'argmin', op: 'ArgMin', inputs: [f(3, 7)], attrs: { axis: 1 } },
  { name: 'argmin-ties-last-nokeep', op: 'ArgMin', inputs: [i64([2, 6], [1, 0, 4, 0, 4, 2, 3, 3, 1, 0, 0, 3])], attrs: { axis: -1, keepdims: 0, select_last_index: 1 } },
  { name: 'tile', op: 'Tile', inputs: [f(2, 3), i64([2], [3, 2], true)] },
  { name: 'tile-3d-ones', op: 'Tile', inputs: [f(2, 1, 3), i64([3], [1, 4, 1], true)] },
  { name: 'tile-int64', op: 'Tile', inputs: [i64([3]), i64([1], [2], true)] },
  { name: 'gatherelements-axis0', op: 'GatherElements', inputs: [f(4, 3), i64([2, 3], [0, 3, -1, 2, 1, -4])] },
  { name: 'gatherelements-axis1-3d', op: 'GatherElements', inputs: [f(2, 5, 3), i64([2, 2, 3], [4, 0, 1, -1, 2, 2, 0, 0, 0, 3, 4, -5])], attrs: { axis: 1 } },
  { name: 'gatherelements-last-axis-int64', op: 'GatherElements', inputs: [i64([3, 4]), i64([3, 2], [3, 0, 1, 1, -1, 2])], attrs: { axis: -1 } },
];

/** Ops whose kernels existed but had no shape rule (issue 18: "the executor has no kernel"). */
const SHAPE_RULE_ADDED: OpCase[] = [
  { name: 'prelu-channel-slope', op: 'PRelu', inputs: [f(2, 3, 4, 5), f(3, 1, 1)] },
  { name: 'prelu-const-scalar-slope', op: 'PRelu', inputs: [f(4, 6), cf([1], [0.1])] },
  { name: 'softsign', op: 'Softsign', inputs: [{ dims: [64], gen: wide }] },
];

async function runCases(cases: OpCase[], group: number) {
  const rng = new Rng((seed + group * 7919) >>> 0);
  const failures: string[] = [];
  await withGpu(async (ctx) => {
    for (const c of cases) {
      try {
        const { model, feeds } = oneNode(c, rng);
        const rs = await compareWithOrt(ctx, model, feeds, c.atol ?? 1e-5, c.rtol ?? 1e-5, c.name);
        for (const r of rs) if (!r.ok) failures.push(r.message);
      } catch (e) {
        failures.push(`${c.name}: ${(e as Error).stack ?? e}`);
      }
    }
  });
  expect(failures, failures.join('\n')).toEqual([]);
}

describe(`executor ops vs onnxruntime-node (AOS_SEED=${seed})`, () => {
  it('element-wise ops with broadcasting, integer and boolean types', () => runCases(ELEMENTWISE, 1));
  it('shape and view ops', () => runCases(SHAPES, 2));
  it('matmul, Gemm, softmax, LayerNorm, reductions, gathers, scatters, convolutions, Trilu', () => runCases(COMPUTE, 3));
  it('Sin, Cos, Mean, ReduceL1, ArgMin, Tile, GatherElements', () => runCases(ADDED, 4));
  it('PRelu, Softsign', () => runCases(SHAPE_RULE_ADDED, 5));
  it('ConvTranspose SAME_UPPER with a kernel smaller than the stride: input·stride, shifted by the −1 begin pad', async () => {
    // total = 3·(2−1) + 2 − 6 = −1 → pads [−1, 0] per axis (onnx/reference's floor division). onnxruntime clamps
    // the total at 0 and gives 5×5, against the spec's input·stride: compared with the definition instead.
    const rng = new Rng(seed);
    const { model, feeds } = oneNode({ name: 'convt-k-lt-s', op: 'ConvTranspose', inputs: [f(1, 1, 2, 2), f(1, 1, 2, 2)], attrs: { auto_pad: 'SAME_UPPER', strides: [3, 3] } }, rng);
    const x = feeds.x0.data as Float32Array, w = feeds.x1.data as Float32Array;
    const want = new Float64Array(36);
    for (let iy = 0; iy < 2; iy++) for (let ix = 0; ix < 2; ix++) for (let ky = 0; ky < 2; ky++) for (let kx = 0; kx < 2; kx++) {
      want[(iy * 3 + ky + 1) * 6 + ix * 3 + kx + 1] += x[iy * 2 + ix] * w[ky * 2 + kx];
    }
    const got = await withGpu((ctx) => runExec(ctx, model, feeds));
    expect(got.y0.dims).toEqual([1, 1, 6, 6]);
    const r = validate(got.y0.data, want, 1e-6, 1e-6, 'convt-k-lt-s');
    expect(r.ok, r.message).toBe(true);
  });
  it('scatter-add sums repeated indices in update-row order: the same bits as a sequential float32 sum, every run', async () => {
    // Values of very different magnitudes, so that the order of the sum shows in the last bits.
    const rng = new Rng(seed);
    const rows = 300, V = 8, cols = 3;
    const idx = Array.from({ length: rows }, () => rng.int(-V, V));
    const upd = Array.from({ length: rows * cols }, () => (rng.next() < 0.5 ? -1 : 1) * 2 ** rng.int(-12, 12) * (1 + rng.next()));
    const c: OpCase = { name: 'scatter-add-order', op: 'ScatterND', opset: 18, attrs: { reduction: 'add' },
      inputs: [cf([V, cols], new Array(V * cols).fill(0)), i64([rows, 1], idx), { dims: [rows, cols], values: upd }] };
    const { model, feeds } = oneNode(c, rng);
    const want = new Float32Array(V * cols);
    const acc = new Float32Array(V * cols); // sums kept in float32, row by row
    for (let r = 0; r < rows; r++) for (let q = 0; q < cols; q++) {
      const t = ((idx[r] + V) % V) * cols + q;
      acc[t] = Math.fround(acc[t] + Math.fround(upd[r * cols + q]));
    }
    want.set(acc);
    const [a, b] = await withGpu(async (ctx) => [await runExec(ctx, model, feeds), await runExec(ctx, model, feeds)]);
    expect(Array.from(a.y0.data)).toEqual(Array.from(want));
    expect(Array.from(b.y0.data)).toEqual(Array.from(a.y0.data));
  });
  it('a broken sin polynomial and a broken GatherElements kernel fail the comparison', async () => {
    const rng = new Rng(seed);
    const common = shaderSources.exec_common.replace('-0.166666667 + z', '-0.166 + z');
    const gather = shaderSources.exec_gather.replace('if (d == axis) { c = wrap(', 'if (d != axis) { c = wrap(');
    expect(common).not.toBe(shaderSources.exec_common);
    expect(gather).not.toBe(shaderSources.exec_gather);
    await withGpu(async (ctx) => {
      for (const name of ['sin', 'gatherelements-axis1-3d']) {
        const { model, feeds } = oneNode(ADDED.find((c) => c.name === name)!, rng);
        const rs = await compareWithOrt(ctx, model, feeds, 1e-5, 1e-5, name);
        expect(rs.some((r) => !r.ok), `${name} passed with a broken kernel`).toBe(true);
      }
    }, { exec_common: common, exec_gather: gather });
  });
});
