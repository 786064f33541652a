/**
 * Multi-node graphs exercising the executor's strided views and fusion: transposes and reshapes that stay views
 * (or need a copy), slices/splits/expands feeding matmuls and element-wise chains, element-wise fusion across a
 * reshape, MatMul + bias/residual epilogues, Concat of views, and an output that is a view of an input. Each graph
 * is compared with onnxruntime-node (|diff| ≤ 1e-5 + 1e-5·|ref|) and fused vs unfused plans must agree.
 */
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/onnx/builder';
import { tensorFromNumbers, type Model, type Tensor } from '../../src/onnx/ir';
import { inferShapes } from '../../src/onnx/shapes';
import { buildPlan } from '../../src/onnx/exec';
import { EwStep } from '../../src/onnx/exec/elementwise';
import { MatmulStep } from '../../src/onnx/exec/steps';
import { RowNormStep } from '../../src/onnx/exec/rownorm';
import { Rng, freshSeed } from '../../src/util/random';
import { validate } from '../../src/util/validate';
import { withGpu } from '../helpers/gpu';
import { compareWithOrt, runExec } from './helpers';

const seed = freshSeed();
console.log(`exec views test seed ${seed} (AOS_SEED=${seed} replays it)`);

interface Graph { name: string; build: (b: GraphBuilder, rng: Rng) => string[]; inputs: Record<string, number[]>; check?: (m: Model) => void }

const GRAPHS: Graph[] = [
  {
    name: 'transpose-reshape view, then matmul with a transposed weight view',
    inputs: { x: [2, 3, 4], w: [5, 6] },
    build: (b) => {
      const t = b.transpose('x', [2, 0, 1]); // [4, 2, 3]: strides [1, 12, 4] → reshape [4, 6] is a view
      const r = b.reshape(t, [4, 6]);
      return [b.matmul(r, b.transpose('w', [1, 0]))];
    },
  },
  {
    name: 'reshape of a transposed view that needs a copy; slices and splits into matmuls',
    inputs: { x: [2, 3, 4], y: [6, 8] },
    build: (b) => {
      const r = b.reshape(b.transpose('x', [1, 0, 2]), [3, 8]);
      const s = b.slice('y', [1], [6], [0], [2]); // rows 1, 3, 5 (stride-2 view)
      const [l, rr] = b.opN('Split', [r, b.ints([4, 4])], { axis: 1 }, { outputs: 2 });
      return [b.matmul(s, b.transpose(r, [1, 0])), b.add(l, rr)];
    },
  },
  {
    name: 'expand (stride 0) feeding a batched matmul and an element-wise chain',
    inputs: { x: [1, 3, 4], w: [4, 2] },
    build: (b) => {
      const e = b.expand('x', [5, 3, 4]);
      const m = b.matmul(e, 'w');
      return [b.sigmoid(b.mul(b.add(m, b.scalar(0.5)), b.reduceSum(e, [2], true)))];
    },
  },
  {
    name: 'element-wise fusion across a reshape, and matmul epilogues (bias, residual)',
    inputs: { x: [6, 8], w: [8, 8], bias: [8] },
    build: (b) => {
      const h = b.add(b.matmul('x', 'w'), 'bias');
      const g = b.tanh(b.mul(h, b.scalar(0.7)));
      const r = b.reshape(g, [2, 3, 8]);
      const y = b.add(b.sqrt(b.add(b.mul(r, r), b.scalar(1))), b.reshape('x', [2, 3, 8]));
      const z = b.add('x', b.matmul(b.reshape(y, [6, 8]), 'w'));
      return [z, b.transpose(y, [2, 1, 0])];
    },
    check: (m) => {
      const plan = buildPlan(m);
      expect(plan.steps.some((s) => s instanceof MatmulStep && !!s.c)).toBe(true);
      expect(plan.steps.some((s) => s instanceof EwStep && s.label.split(' + ').length >= 3)).toBe(true);
    },
  },
  {
    name: 'concat of views, gather of a constant index, output that views an input',
    inputs: { x: [3, 4], y: [4, 3] },
    build: (b) => {
      const c = b.concat([b.transpose('y', [1, 0]), 'x', b.slice('x', [-1], [-100], [1], [-1])], 0);
      const g = b.gather(c, b.scalar(-2, 'int64'), 0);
      return [c, b.mul(g, b.scalar(3)), b.identity('x'), b.reshape('y', [12])];
    },
  },
  {
    name: 'softmax and LayerNorm on strided inputs; reductions over permuted axes',
    inputs: { x: [2, 5, 6], s: [5], bb: [5] },
    build: (b) => {
      const t = b.transpose('x', [0, 2, 1]); // [2, 6, 5]
      const sm = b.softmax(t, -1);
      const ln = b.op('LayerNormalization', [t, 's', 'bb'], { axis: -1, epsilon: 1e-5 });
      return [sm, ln, b.reduceMean(t, [0, 2], false), b.reduceSum(b.mul(t, t), [1], true)];
    },
  },
  {
    name: 'decomposed LayerNorm (opset-14 export pattern) as one kernel, intermediates read elsewhere',
    inputs: { x: [3, 4, 8], s: [8], bb: [8] },
    build: (b) => {
      const d = b.sub('x', b.reduceMean('x', [-1]));
      const std = b.sqrt(b.add(b.reduceMean(b.pow(d, b.scalar(2)), [-1]), b.scalar(1e-5)));
      const y = b.add(b.mul(b.div(d, std), 's'), 'bb');
      return [y, std, b.mul(d, b.scalar(3))];
    },
    check: (m) => {
      const rn = buildPlan(m).steps.filter((s) => s instanceof RowNormStep) as RowNormStep[];
      expect(rn.map((s) => s.exported)).toEqual([['d', 'std', 'y']]);
      expect(buildPlan(m, { fuse: false }).steps.some((s) => s instanceof RowNormStep)).toBe(false);
    },
  },
  {
    name: 'decomposed LayerNorm with d·d and no bias; the same over a middle axis stays unfused',
    inputs: { x: [2, 6, 5], s: [1, 5] },
    build: (b) => {
      const d = b.sub('x', b.reduceMean('x', [2]));
      const n = b.div(d, b.sqrt(b.add(b.scalar(1e-3), b.reduceMean(b.mul(d, d), [-1]))));
      const d1 = b.sub('x', b.reduceMean('x', [1]));
      const n1 = b.div(d1, b.sqrt(b.add(b.reduceMean(b.mul(d1, d1), [1]), b.scalar(1e-5))));
      return [b.mul('s', n), n1];
    },
    check: (m) => {
      const rn = buildPlan(m).steps.filter((s) => s instanceof RowNormStep) as RowNormStep[];
      expect(rn.map((s) => s.exported)).toEqual([['ys']]);
    },
  },
  {
    name: 'decomposed LayerNorm with every intermediate read elsewhere: over 8 storage bindings, so left unfused',
    inputs: { x: [2, 3, 6], s: [6], bb: [6] },
    build: (b) => {
      const mean = b.reduceMean('x', [-1]);
      const d = b.sub('x', mean);
      const sq = b.pow(d, b.scalar(2));
      const v = b.reduceMean(sq, [-1]);
      const ve = b.add(v, b.scalar(1e-5));
      const std = b.sqrt(ve);
      const ys = b.mul(b.div(d, std), 's');
      return [b.add(ys, 'bb'), mean, d, sq, v, ve, std];
    },
    check: (m) => {
      expect(buildPlan(m).steps.some((s) => s instanceof RowNormStep)).toBe(false);
    },
  },
];

function model(g: Graph, rng: Rng): { m: Model; feeds: Record<string, Tensor> } {
  const b = new GraphBuilder({ opset: 18 });
  const feeds: Record<string, Tensor> = {};
  for (const [name, dims] of Object.entries(g.inputs)) {
    b.input(name, 'float32', dims);
    feeds[name] = tensorFromNumbers('float32', rng.uniform(dims.reduce((a, c) => a * c, 1), -1.5, 1.5), dims);
  }
  const outs = g.build(b, rng);
  const m = b.model();
  const info = inferShapes(m);
  outs.forEach((o, i) => {
    const name = `out${i}`;
    b.op('Identity', [o], {}, { outputs: [name] });
    m.graph.outputs.push({ name, dtype: 'float32', dims: [...info.get(o)!.dims] });
  });
  return { m, feeds };
}

describe(`executor views and fusion vs onnxruntime-node (AOS_SEED=${seed})`, () => {
  it('agree on graphs of views, fused chains and epilogues', async () => {
    const rng = new Rng(seed);
    const failures: string[] = [];
    await withGpu(async (ctx) => {
      for (const g of GRAPHS) {
        try {
          const { m, feeds } = model(g, rng);
          g.check?.(m);
          for (const r of await compareWithOrt(ctx, m, feeds, 1e-5, 1e-5, g.name)) if (!r.ok) failures.push(r.message);
          const fused = await runExec(ctx, m, feeds);
          const plain = await runExec(ctx, m, feeds, { fuse: false });
          for (const k of Object.keys(fused)) {
            const r = validate(fused[k].data, plain[k].data, 1e-6, 1e-5, `${g.name}: fused vs unfused ${k}`);
            if (!r.ok) failures.push(r.message);
          }
        } catch (e) {
          failures.push(`${g.name}: ${(e as Error).stack ?? e}`);
        }
      }
    });
    expect(failures, failures.join('\n')).toEqual([]);
  });
});
