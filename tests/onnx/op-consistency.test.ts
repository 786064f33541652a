/**
 * "Supported" means all of it (issue 18): src/onnx/opRegistry.ts is the one table of what the IR knows about each
 * op, and every other table agrees with it both ways — the shape rules, the interpreter's folding, the gradient
 * rules and the executor's lowerings (its sets are derived from the registry; the element-wise and reduce kernels'
 * own tables, and the lowering table, are checked here). An op added to one table and not to the registry, or the
 * other way round, fails here instead of at a user's model (as PRelu and Softsign once did: kernels, no shape rule).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RULES } from '../../src/onnx/autodiff/rules';
import { EW_OPS } from '../../src/onnx/exec/elementwise';
import { loweringKind } from '../../src/onnx/exec/lowerOps';
import { execClaimedOps, execHasLowering, execSupports } from '../../src/onnx/exec/ops';
import { REDUCE_OPS } from '../../src/onnx/exec/reduce';
import { canEvaluate } from '../../src/onnx/interp';
import { OPS, opsThatRun } from '../../src/onnx/opRegistry';
import { hasShapeRule, shapeRuleOps } from '../../src/onnx/shapes';

const registered = Object.keys(OPS).sort();
const where = (f: (op: string) => boolean) => registered.filter(f);

describe('the op registry is the one place per op (issue 18)', () => {
  it('shape rules: exactly the registered ops', () => {
    expect(registered.length).toBeGreaterThan(85);
    expect([...shapeRuleOps()].sort()).toEqual(registered);
  });

  it('folding: `canEvaluate` exactly where the registry says it folds; every other op says why not', () => {
    expect(where((op) => canEvaluate(op) !== (OPS[op].fold === true))).toEqual([]);
    for (const op of where((o) => OPS[o].fold !== true)) expect((OPS[op].fold as string).length, op).toBeGreaterThan(10);
    // Shape-like ops (integer data feeding shapes) always fold.
    for (const op of opsThatRun('fold')) expect(OPS[op].fold, op).toBe(true);
  });

  it('canEvaluate names every op the interpreter\'s switch handles', () => {
    // interp.ts keeps the switch's ops in a set by hand: a case added without it would never be reported.
    const src = readFileSync(join(import.meta.dirname, '../../src/onnx/interp.ts'), 'utf8');
    const body = src.slice(src.indexOf('export function evaluate('));
    const cases = [...body.matchAll(/case '([A-Za-z]+)':/g)].map((m) => m[1]);
    expect(cases.length).toBeGreaterThan(20);
    expect(cases.filter((op) => !canEvaluate(op))).toEqual([]);
    expect(cases.filter((op) => !(op in OPS)), 'folded but not registered').toEqual([]);
  });

  it('gradients: a rule, nondiff or none exactly as registered; no rule for an unregistered op', () => {
    const grad = (op: string) => (op in RULES ? (RULES[op] === 'nondiff' ? 'nondiff' : 'rule') : 'none');
    expect(where((op) => grad(op) !== OPS[op].grad)).toEqual([]);
    expect(Object.keys(RULES).filter((op) => !(op in OPS))).toEqual([]);
  });

  it('lowerings: the executor claims, lowers and accepts exactly the element-wise, view and kernel ops', () => {
    const run = opsThatRun('elementwise', 'view', 'kernel');
    const { lowered, foldOnly } = execClaimedOps();
    expect(lowered).toEqual(run);
    expect(foldOnly).toEqual(opsThatRun('fold'));
    expect(where((op) => execHasLowering(op) !== run.includes(op))).toEqual([]);
    // The lowering table says which are views, kernels or element-wise, as the registry does.
    expect(run.filter((op) => loweringKind(op) !== OPS[op].run)).toEqual([]);
    expect(where((op) => execSupports(op) !== run.includes(op))).toEqual([]);
    for (const op of ['PRelu', 'Softsign']) expect(run).toContain(op);
    expect(run.filter((op) => !hasShapeRule(op))).toEqual([]);
  });

  it('the kernels\' own tables agree: element-wise ops (Identity is a view with an element-wise form), reductions', () => {
    expect(Object.keys(EW_OPS).filter((op) => OPS[op]?.run !== 'elementwise' && OPS[op]?.run !== 'view')).toEqual([]);
    expect(opsThatRun('elementwise').filter((op) => !(op in EW_OPS))).toEqual([]);
    expect(Object.keys(REDUCE_OPS).filter((op) => OPS[op]?.run !== 'kernel')).toEqual([]);
  });

  it('the graph builder emits only registered ops the executor runs (its helpers name them as strings)', () => {
    const src = readFileSync(join(import.meta.dirname, '../../src/onnx/builder.ts'), 'utf8');
    const named = [...new Set([...src.matchAll(/'([A-Z][A-Za-z]+)'/g)].map((m) => m[1]))];
    expect(named.length).toBeGreaterThan(20);
    expect(named.filter((op) => !(op in OPS) || OPS[op].run === 'shapes')).toEqual([]);
  });

  it('every op with a gradient rule runs in the executor or folds (backward graphs run there)', () => {
    expect(where((op) => OPS[op].grad === 'rule' && OPS[op].run === 'shapes')).toEqual([]);
  });
});
