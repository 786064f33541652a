/**
 * The executor's view of the op registry (../opRegistry.ts, where each op's `run` is declared): which ops it lowers
 * (element-wise, views, kernels) and which only fold at build time. tests/onnx/op-consistency.test.ts checks the
 * lowering table (./lowerOps.ts) and the kernels' own tables against the registry.
 */
import { describeNode, type Model } from '../ir';
import { opsThatRun } from '../opRegistry';
import { hasShapeRule } from '../shapes';
import { lowerFor } from './lowerOps';

/** Ops lowered to element-wise kernels, views or kernels of their own. */
const LOWERED = new Set(opsThatRun('elementwise', 'view', 'kernel'));
/** Ops whose outputs only ever come from constant folding here (static shapes). */
export const FOLD_ONLY = new Set(opsThatRun('fold'));

/**
 * Every op the executor claims (default domain): the lowering table (element-wise, views, kernels) and the ops that
 * only fold at build time. tests/onnx/op-support.test.ts checks that each has what "supported" needs (a shape rule,
 * a lowering or a folding), so a claimed op is never refused as unknown (issue 18: PRelu and Softsign).
 */
export function execClaimedOps(): { lowered: string[]; foldOnly: string[] } {
  return { lowered: [...LOWERED].sort(), foldOnly: [...FOLD_ONLY].sort() };
}

/** Whether the executor has a lowering for `op` (tests: a claimed op must have one). */
export function execHasLowering(op: string): boolean {
  return !!lowerFor(op);
}

/** Whether the executor runs `op` (default domain). */
export function execSupports(op: string): boolean {
  // Shapes are inferred by ../shapes.ts: an op it does not know cannot be planned either.
  return LOWERED.has(op) && hasShapeRule(op);
}

/** Ops of `model` the executor cannot run, as "Op node 'name'" strings. */
export function unsupportedExecOps(model: Model): string[] {
  return model.graph.nodes
    .filter((n) => (n.domain && n.domain !== 'ai.onnx') || !(execSupports(n.op) || FOLD_ONLY.has(n.op)))
    .map(describeNode);
}
