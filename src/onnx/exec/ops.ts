/**
 * The executor's op table: which ops it lowers (element-wise, views, kernels) and which only fold at build time.
 * tests/onnx/op-consistency.test.ts checks it against the IR's other tables (shapes, folding, gradients).
 */
import { describeNode, type Model } from '../ir';
import { hasShapeRule } from '../shapes';
import { EW_OPS } from './elementwise';
import { lowerFor } from './lowerOps';
import { REDUCE_OPS } from './reduce';

/** Ops lowered to kernels or views. */
export const VIEW_OPS = new Set(['Identity', 'Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Transpose', 'Expand', 'Slice', 'Split']);
export const KERNEL_OPS = new Set(['MatMul', 'Gemm', 'Softmax', 'LogSoftmax', 'LayerNormalization', 'Gather', 'GatherND',
  'ScatterND', 'Concat', 'Pad', 'Conv', 'ConvTranspose', 'Trilu', 'Tile', 'GatherElements', ...Object.keys(REDUCE_OPS)]);
/** Ops whose outputs only ever come from constant folding here (static shapes). */
export const FOLD_ONLY = new Set(['Shape', 'Size', 'Constant', 'ConstantOfShape', 'Range']);

/**
 * Every op the executor claims (default domain): the lowering table (element-wise, views, kernels) and the ops that
 * only fold at build time. tests/onnx/op-support.test.ts checks that each has what "supported" needs (a shape rule,
 * a lowering or a folding), so a claimed op is never refused as unknown (issue 18: PRelu and Softsign).
 */
export function execClaimedOps(): { lowered: string[]; foldOnly: string[] } {
  return { lowered: [...new Set([...Object.keys(EW_OPS), ...VIEW_OPS, ...KERNEL_OPS])].sort(), foldOnly: [...FOLD_ONLY].sort() };
}

/** Whether the executor has a lowering for `op` (tests: a claimed op must have one). */
export function execHasLowering(op: string): boolean {
  return !!lowerFor(op);
}

/** Whether the executor runs `op` (default domain). */
export function execSupports(op: string): boolean {
  // Shapes are inferred by ../shapes.ts: an op it does not know cannot be planned either.
  return (op in EW_OPS || VIEW_OPS.has(op) || KERNEL_OPS.has(op)) && hasShapeRule(op);
}

/** Ops of `model` the executor cannot run, as "Op node 'name'" strings. */
export function unsupportedExecOps(model: Model): string[] {
  return model.graph.nodes
    .filter((n) => (n.domain && n.domain !== 'ai.onnx') || !(execSupports(n.op) || FOLD_ONLY.has(n.op)))
    .map(describeNode);
}
