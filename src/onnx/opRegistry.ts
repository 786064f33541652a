/**
 * THE op table of the IR: one entry per ONNX op (default domain) the project knows, and what it knows about it. An
 * op is "supported" when its entry is whole: a shape rule (every op here has one: ./shapes.ts), folding on constant
 * inputs (./interp.ts) or the reason it does not fold, a gradient (./autodiff/rules.ts: a rule, 'nondiff' for
 * integer/boolean outputs, or 'none' yet — the gradient builder then refuses a graph whose gradient flows through it,
 * naming the op), and how the executor runs it.
 *
 * The executor's lowering sets are derived from `run` (./exec/ops.ts); the shape, folding, gradient and lowering
 * tables are checked against this one, both ways, by tests/onnx/op-consistency.test.ts, so an op added to one table
 * and not here (or here and not there) fails a test rather than a user's model.
 */

/** How the executor runs an op. */
export type OpRun =
  /** a generated element-wise kernel (./exec/elementwise.ts), fusable with its neighbours */
  | 'elementwise'
  /** a strided view of its input: no copy (./exec/lowerOps.ts) */
  | 'view'
  /** a kernel of its own (./exec/steps.ts, ./exec/reduce.ts) */
  | 'kernel'
  /** only ever folded at build time (static shapes): its inputs must be constant */
  | 'fold'
  /** known to shape inference only (model summaries, the loader's rewrites): the executor refuses it */
  | 'shapes';

export interface OpSpec {
  run: OpRun;
  /** true: `evaluate` folds it on constant inputs; else why it does not. */
  fold: true | string;
  grad: 'rule' | 'nondiff' | 'none';
}

const EW = 'elementwise', VIEW = 'view', KERNEL = 'kernel', FOLD = 'fold', SHAPES = 'shapes';

// Why some ops do not fold.
const KERNEL_ONLY = 'a compute kernel: with constant inputs (rare in exported graphs) it runs as a kernel at run time; folding it would only move work to build time';
const NO_ERF = 'JavaScript has no erf; a constant Erf runs on the GPU (our erf, |error| < 1.5e-7)';
const NEEDS_ERF = 'needs erf (see Erf)';
const PAD = 'a copy with a border: constant data through Pad never feeds a shape in the graphs we run; it runs as a kernel';
const SPLIT = 'multi-output view: constant inputs become views of the constant at run time';
const SHAPES_ONLY = 'shape inference only: the executor refuses it, so there is nothing to fold for';

export const OPS: Record<string, OpSpec> = {
  Abs: { run: EW, fold: true, grad: 'none' },
  Add: { run: EW, fold: true, grad: 'rule' },
  And: { run: EW, fold: true, grad: 'nondiff' },
  ArgMax: { run: KERNEL, fold: KERNEL_ONLY, grad: 'nondiff' },
  ArgMin: { run: KERNEL, fold: KERNEL_ONLY, grad: 'nondiff' },
  Cast: { run: EW, fold: true, grad: 'rule' },
  CastLike: { run: SHAPES, fold: true, grad: 'none' },
  Ceil: { run: EW, fold: true, grad: 'none' },
  Clip: { run: EW, fold: true, grad: 'none' },
  Concat: { run: KERNEL, fold: true, grad: 'rule' },
  Constant: { run: FOLD, fold: true, grad: 'nondiff' },
  ConstantOfShape: { run: FOLD, fold: true, grad: 'nondiff' },
  Conv: { run: KERNEL, fold: KERNEL_ONLY, grad: 'rule' },
  ConvTranspose: { run: KERNEL, fold: KERNEL_ONLY, grad: 'none' },
  Cos: { run: EW, fold: true, grad: 'none' },
  DequantizeLinear: { run: SHAPES, fold: true, grad: 'none' },
  Div: { run: EW, fold: true, grad: 'rule' },
  Dropout: { run: SHAPES, fold: SHAPES_ONLY, grad: 'none' },
  Elu: { run: EW, fold: true, grad: 'none' },
  Equal: { run: EW, fold: true, grad: 'nondiff' },
  Erf: { run: EW, fold: NO_ERF, grad: 'rule' },
  Exp: { run: EW, fold: true, grad: 'rule' },
  Expand: { run: VIEW, fold: true, grad: 'rule' },
  Flatten: { run: VIEW, fold: true, grad: 'rule' },
  Floor: { run: EW, fold: true, grad: 'none' },
  Gather: { run: KERNEL, fold: true, grad: 'rule' },
  GatherElements: { run: KERNEL, fold: KERNEL_ONLY, grad: 'none' },
  GatherND: { run: KERNEL, fold: KERNEL_ONLY, grad: 'rule' },
  Gelu: { run: EW, fold: NEEDS_ERF, grad: 'rule' },
  Gemm: { run: KERNEL, fold: KERNEL_ONLY, grad: 'rule' },
  Greater: { run: EW, fold: true, grad: 'nondiff' },
  GreaterOrEqual: { run: EW, fold: true, grad: 'nondiff' },
  HardSigmoid: { run: EW, fold: true, grad: 'none' },
  Identity: { run: VIEW, fold: true, grad: 'rule' },
  IsInf: { run: EW, fold: true, grad: 'nondiff' },
  IsNaN: { run: EW, fold: true, grad: 'nondiff' },
  LayerNormalization: { run: KERNEL, fold: KERNEL_ONLY, grad: 'rule' },
  LeakyRelu: { run: EW, fold: true, grad: 'none' },
  Less: { run: EW, fold: true, grad: 'nondiff' },
  LessOrEqual: { run: EW, fold: true, grad: 'nondiff' },
  Log: { run: EW, fold: true, grad: 'rule' },
  LogSoftmax: { run: KERNEL, fold: KERNEL_ONLY, grad: 'none' },
  MatMul: { run: KERNEL, fold: KERNEL_ONLY, grad: 'rule' },
  Max: { run: EW, fold: true, grad: 'none' },
  Mean: { run: EW, fold: true, grad: 'none' },
  Min: { run: EW, fold: true, grad: 'none' },
  Mod: { run: EW, fold: true, grad: 'none' },
  Mul: { run: EW, fold: true, grad: 'rule' },
  Neg: { run: EW, fold: true, grad: 'rule' },
  Not: { run: EW, fold: true, grad: 'nondiff' },
  Or: { run: EW, fold: true, grad: 'nondiff' },
  PRelu: { run: EW, fold: true, grad: 'rule' },
  Pad: { run: KERNEL, fold: PAD, grad: 'none' },
  Pow: { run: EW, fold: true, grad: 'rule' },
  QuantizeLinear: { run: SHAPES, fold: SHAPES_ONLY, grad: 'none' },
  Range: { run: FOLD, fold: true, grad: 'nondiff' },
  Reciprocal: { run: EW, fold: true, grad: 'none' },
  ReduceL1: { run: KERNEL, fold: KERNEL_ONLY, grad: 'none' },
  ReduceL2: { run: KERNEL, fold: KERNEL_ONLY, grad: 'none' },
  ReduceLogSumExp: { run: KERNEL, fold: KERNEL_ONLY, grad: 'none' },
  ReduceMax: { run: KERNEL, fold: true, grad: 'none' },
  ReduceMean: { run: KERNEL, fold: KERNEL_ONLY, grad: 'rule' },
  ReduceMin: { run: KERNEL, fold: true, grad: 'none' },
  ReduceProd: { run: KERNEL, fold: true, grad: 'none' },
  ReduceSum: { run: KERNEL, fold: true, grad: 'rule' },
  ReduceSumSquare: { run: KERNEL, fold: KERNEL_ONLY, grad: 'none' },
  Relu: { run: EW, fold: true, grad: 'rule' },
  Reshape: { run: VIEW, fold: true, grad: 'rule' },
  Round: { run: EW, fold: true, grad: 'none' },
  ScatterElements: { run: SHAPES, fold: SHAPES_ONLY, grad: 'none' },
  ScatterND: { run: KERNEL, fold: KERNEL_ONLY, grad: 'none' },
  Shape: { run: FOLD, fold: true, grad: 'nondiff' },
  Sigmoid: { run: EW, fold: true, grad: 'rule' },
  Sign: { run: EW, fold: true, grad: 'none' },
  Sin: { run: EW, fold: true, grad: 'none' },
  Size: { run: FOLD, fold: true, grad: 'nondiff' },
  Slice: { run: VIEW, fold: true, grad: 'rule' },
  Softmax: { run: KERNEL, fold: KERNEL_ONLY, grad: 'rule' },
  Softplus: { run: EW, fold: true, grad: 'none' },
  Softsign: { run: EW, fold: true, grad: 'rule' },
  Split: { run: VIEW, fold: SPLIT, grad: 'rule' },
  Sqrt: { run: EW, fold: true, grad: 'rule' },
  Squeeze: { run: VIEW, fold: true, grad: 'rule' },
  Sub: { run: EW, fold: true, grad: 'rule' },
  Sum: { run: EW, fold: true, grad: 'none' },
  Tanh: { run: EW, fold: true, grad: 'rule' },
  Tile: { run: KERNEL, fold: true, grad: 'none' },
  Transpose: { run: VIEW, fold: true, grad: 'rule' },
  Trilu: { run: KERNEL, fold: true, grad: 'rule' },
  Unsqueeze: { run: VIEW, fold: true, grad: 'rule' },
  Where: { run: EW, fold: true, grad: 'rule' },
  Xor: { run: EW, fold: true, grad: 'nondiff' },
};

/** The ops whose `run` is one of `runs`, sorted. */
export function opsThatRun(...runs: OpRun[]): string[] {
  return Object.keys(OPS).filter((op) => runs.includes(OPS[op].run)).sort();
}
