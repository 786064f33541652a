/**
 * "Supported" means all of it (issue 18): every op the executor claims has a shape rule (else planning refuses it
 * as unknown, as PRelu and Softsign were although their kernels existed), a lowering, and — where the op can be
 * folded — an interp implementation. The ops that deliberately do not fold are listed below with the reason, so
 * adding an op to one table without the others fails here instead of at a user's model.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RULES } from '../../src/onnx/autodiff/rules';
import { execClaimedOps, execHasLowering, execSupports } from '../../src/onnx/exec/ops';
import { canEvaluate } from '../../src/onnx/interp';
import { hasShapeRule } from '../../src/onnx/shapes';

const KERNEL_ONLY = 'a compute kernel: with constant inputs (rare in exported graphs) it runs as a kernel at run time; folding it would only move work to build time';

/** Claimed ops that `evaluate` does not fold, and why that is fine. Nothing shape-like (ints) is among them. */
const NOT_FOLDED: Record<string, string> = {
  Erf: 'JavaScript has no erf; a constant Erf runs on the GPU (our erf, |error| < 1.5e-7)',
  Gelu: 'needs erf (see Erf)',
  MatMul: KERNEL_ONLY, Gemm: KERNEL_ONLY, Conv: KERNEL_ONLY, ConvTranspose: KERNEL_ONLY,
  Softmax: KERNEL_ONLY, LogSoftmax: KERNEL_ONLY, LayerNormalization: KERNEL_ONLY,
  ReduceMean: KERNEL_ONLY, ReduceL1: KERNEL_ONLY, ReduceL2: KERNEL_ONLY, ReduceLogSumExp: KERNEL_ONLY, ReduceSumSquare: KERNEL_ONLY,
  ArgMax: KERNEL_ONLY, ArgMin: KERNEL_ONLY, GatherElements: KERNEL_ONLY, GatherND: KERNEL_ONLY, ScatterND: KERNEL_ONLY,
  Pad: 'a copy with a border: constant data through Pad never feeds a shape in the graphs we run; it runs as a kernel',
  Split: 'multi-output view: constant inputs become views of the constant at run time',
};

describe('what the executor claims, the IR knows (issue 18)', () => {
  const { lowered, foldOnly } = execClaimedOps();

  it('every claimed op has a shape rule and a lowering, so execSupports accepts it', () => {
    expect(lowered.length).toBeGreaterThan(70);
    expect(lowered.filter((op) => !hasShapeRule(op)), 'claimed without a shape rule').toEqual([]);
    expect(lowered.filter((op) => !execHasLowering(op)), 'claimed without a lowering').toEqual([]);
    expect(lowered.filter((op) => !execSupports(op)), 'claimed but refused').toEqual([]);
    for (const op of ['PRelu', 'Softsign']) expect(lowered).toContain(op);
  });

  it('fold-only ops (Shape, Size, Range, …) have a shape rule and a folding', () => {
    expect(foldOnly.filter((op) => op !== 'Constant' && !hasShapeRule(op))).toEqual([]);
    expect(foldOnly.filter((op) => !canEvaluate(op))).toEqual([]);
  });

  it('claimed ops fold on constants except the listed ones (the list is exact)', () => {
    expect(lowered.filter((op) => !canEvaluate(op)).sort()).toEqual(Object.keys(NOT_FOLDED).sort());
    for (const [op, why] of Object.entries(NOT_FOLDED)) expect(why.length, op).toBeGreaterThan(10);
  });

  it('canEvaluate names every op the interpreter\'s switch handles', () => {
    // interp.ts keeps the switch's ops in a set by hand: a case added without it would never be reported.
    const src = readFileSync(join(import.meta.dirname, '../../src/onnx/interp.ts'), 'utf8');
    const body = src.slice(src.indexOf('export function evaluate('));
    const cases = [...body.matchAll(/case '([A-Za-z]+)':/g)].map((m) => m[1]);
    expect(cases.length).toBeGreaterThan(20);
    expect(cases.filter((op) => !canEvaluate(op))).toEqual([]);
  });

  it('every op with a gradient rule has a shape rule and runs in the executor (backward graphs run there)', () => {
    const claimed = new Set([...lowered, ...foldOnly]);
    expect(Object.keys(RULES).filter((op) => op !== 'Constant' && !hasShapeRule(op))).toEqual([]);
    expect(Object.keys(RULES).filter((op) => !claimed.has(op))).toEqual([]);
  });
});
