/**
 * THE gradient table: one entry per ONNX op (default domain, opset ≥ 18 conventions — `simplify` lifts 13–17
 * models). Each entry maps a forward node to thunks emitting its input gradients (see `context.ts`). 'nondiff' marks
 * ops whose outputs are integer/boolean or otherwise carry no gradient (Shape, ArgMax, comparisons, …): the builder
 * accepts them only where no gradient would have to flow through them, so nothing is ever silently zeroed.
 *
 * Notation: g = upstream gradient of output 0, x(i)/y(i) forward tensors, ub = unbroadcast to input i's shape.
 */
import { broadcastShapes, resolveSlice, sliceIndices } from '../interp';
import { numel, strides, tensorFromNumbers } from '../ir';
import { convParams, reduceAxesOf, splitSizes } from '../shapes';
import { once, type GradCtx, type GradRule } from './context';

const norm = (a: number, rank: number) => (a < 0 ? a + rank : a);
const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);
/** Permutation swapping the last two axes. */
const swapLast = (rank: number) => [...range(0, rank - 2), rank - 1, rank - 2];
const inverse = (perm: number[]) => perm.map((_, i) => perm.indexOf(i));

/** Integer indices as int64 with negative entries wrapped by `bounds` (a scalar or per-last-axis sizes). */
function wrapIndices(c: GradCtx, idx: string, bounds: number[]): string {
  const { b } = c;
  const i64 = c.dtype(idx) === 'int64' ? idx : b.cast(idx, 'int64');
  const bound = bounds.length === 1 ? b.constant(bounds, 'int64', []) : b.ints(bounds);
  return b.where(b.op('Less', [i64, b.constant([0], 'int64', [])]), b.add(i64, bound), i64);
}

const reduceGrad = (mean: boolean): GradRule => (c) => [() => {
  const X = c.inShape(0);
  const axes = reduceAxesOf(c.node, 18, X.length, (i) => c.ints(i));
  if (axes.length === 0) return c.g;
  const kept = X.map((d, i) => (axes.includes(i) ? 1 : d));
  let g = c.reshapeTo(c.g, c.outShape(0), kept);
  if (mean) g = c.b.mul(g, c.s(1 / numel(axes.map((a) => X[a]))));
  return c.b.expand(g, X);
}];

const reshapeGrad: GradRule = (c) => [() => c.reshapeTo(c.g, c.outShape(0), c.inShape(0))];

export const RULES: Record<string, GradRule> = {
  Identity: (c) => [() => c.g],
  Cast: (c) => [() => c.b.cast(c.g, c.dtype(c.x(0)))],
  Neg: (c) => [() => c.b.neg(c.g)],
  Add: (c) => [() => c.ub(c.g, 0), () => c.ub(c.g, 1)],
  Sub: (c) => [() => c.ub(c.g, 0), () => c.ub(c.b.neg(c.g), 1)],
  Mul: (c) => [() => c.ub(c.b.mul(c.g, c.x(1)), 0), () => c.ub(c.b.mul(c.g, c.x(0)), 1)],
  Div: (c) => [() => c.ub(c.b.div(c.g, c.x(1)), 0), () => c.ub(c.b.neg(c.b.div(c.b.mul(c.g, c.y(0)), c.x(1))), 1)],
  Pow: (c) => {
    const { b } = c;
    const sameType = c.dtype(c.x(1)) === c.dtype(c.x(0));
    const e = sameType ? c.x(1) : b.cast(c.x(1), c.dtype(c.x(0)));
    return [
      () => c.ub(b.mul(c.g, b.mul(e, b.pow(c.x(0), b.sub(e, c.s(1))))), 0),
      () => { const g = c.ub(b.mul(c.g, b.mul(c.y(0), b.log(c.x(0)))), 1); return sameType ? g : b.cast(g, c.dtype(c.x(1))); },
    ];
  },
  Sqrt: (c) => [() => c.b.div(c.b.mul(c.g, c.s(0.5)), c.y(0))],
  Exp: (c) => [() => c.b.mul(c.g, c.y(0))],
  Log: (c) => [() => c.b.div(c.g, c.x(0))],
  Tanh: (c) => [() => c.b.mul(c.g, c.b.sub(c.s(1), c.b.mul(c.y(0), c.y(0))))],
  Sigmoid: (c) => [() => c.b.mul(c.g, c.b.mul(c.y(0), c.b.sub(c.s(1), c.y(0))))],
  Erf: (c) => [() => c.b.mul(c.g, c.b.mul(c.s(2 / Math.sqrt(Math.PI)), c.b.exp(c.b.neg(c.b.mul(c.x(0), c.x(0))))))],
  Relu: (c) => [() => c.b.where(c.b.op('Greater', [c.x(0), c.s(0)]), c.g, c.s(0))],
  // y = x < 0 ? slope·x : x, the slope broadcast to X.
  PRelu: (c) => {
    const { b } = c;
    const neg = once(() => b.op('Less', [c.x(0), c.s(0)]));
    return [() => b.where(neg(), b.mul(c.g, c.x(1)), c.g), () => c.ub(b.where(neg(), b.mul(c.g, c.x(0)), c.s(0)), 1)];
  },
  // y = x / (1 + |x|): y' = 1 / (1 + |x|)².
  Softsign: (c) => [() => {
    const d = c.b.add(c.s(1), c.b.op('Abs', [c.x(0)]));
    return c.b.div(c.g, c.b.mul(d, d));
  }],
  Gelu: (c) => [() => {
    const { b } = c;
    const x = c.x(0);
    if (c.attr('approximate', 'none') === 'tanh') {
      // y = x/2 (1 + tanh u), u = √(2/π)(x + 0.044715 x³)
      const k = Math.sqrt(2 / Math.PI);
      const x2 = b.mul(x, x);
      const t = b.tanh(b.mul(c.s(k), b.add(x, b.mul(c.s(0.044715), b.mul(x2, x)))));
      const du = b.mul(c.s(k), b.add(c.s(1), b.mul(c.s(3 * 0.044715), x2)));
      const d = b.add(b.mul(c.s(0.5), b.add(c.s(1), t)), b.mul(b.mul(c.s(0.5), x), b.mul(b.sub(c.s(1), b.mul(t, t)), du)));
      return b.mul(c.g, d);
    }
    // y = x Φ(x): y' = Φ(x) + x φ(x)
    const cdf = b.mul(c.s(0.5), b.add(c.s(1), b.erf(b.mul(x, c.s(Math.SQRT1_2)))));
    const pdf = b.mul(c.s(1 / Math.sqrt(2 * Math.PI)), b.exp(b.mul(c.s(-0.5), b.mul(x, x))));
    return b.mul(c.g, b.add(cdf, b.mul(x, pdf)));
  }],
  Softmax: (c) => {
    const axis = norm(c.attr('axis', -1), c.inShape(0).length);
    return [() => c.b.mul(c.y(0), c.b.sub(c.g, c.b.reduceSum(c.b.mul(c.g, c.y(0)), [axis], true)))];
  },
  MatMul: (c) => {
    const { b } = c;
    const A = c.inShape(0), B = c.inShape(1);
    const A2 = A.length === 1 ? [1, A[0]] : A, B2 = B.length === 1 ? [B[0], 1] : B;
    const batch = broadcastShapes(A2.slice(0, -2), B2.slice(0, -2));
    const M = A2[A2.length - 2], K = A2[A2.length - 1], N = B2[B2.length - 1];
    const g = once(() => c.reshapeTo(c.g, c.outShape(0), [...batch, M, N]));
    const a2 = () => c.reshapeTo(c.x(0), A, A2), b2 = () => c.reshapeTo(c.x(1), B, B2);
    return [
      () => c.reshapeTo(c.reduceTo(b.matmul(g(), b.transpose(b2(), swapLast(B2.length))), [...batch, M, K], A2), A2, A),
      () => c.reshapeTo(c.reduceTo(b.matmul(b.transpose(a2(), swapLast(A2.length)), g()), [...batch, K, N], B2), B2, B),
    ];
  },
  Gemm: (c) => {
    const { b } = c;
    const alpha = c.attr('alpha', 1), beta = c.attr('beta', 1), tA = c.attr('transA', 0) === 1, tB = c.attr('transB', 0) === 1;
    const [A, B] = [c.x(0), c.x(1)];
    return [
      () => (tA ? b.gemm(B, c.g, undefined, { alpha, transA: tB, transB: true }) : b.gemm(c.g, B, undefined, { alpha, transB: !tB })),
      () => (tB ? b.gemm(c.g, A, undefined, { alpha, transA: true, transB: tA }) : b.gemm(A, c.g, undefined, { alpha, transA: !tA })),
      () => c.reduceTo(beta === 1 ? c.g : b.mul(c.g, c.s(beta)), c.outShape(0), c.inShape(2)),
    ];
  },
  Conv: (c) => {
    const { b } = c;
    const X = c.inShape(0), W = c.inShape(1), Y = c.outShape(0);
    const p = convParams(c.node, X, W);
    const k = X.length - 2;
    const swap01 = [1, 0, ...range(2, k + 2)];
    return [
      () => {
        // dX = ConvTranspose(g, W) with output_padding restoring X's spatial size.
        const outPad = range(0, k).map((i) => X[2 + i] - (p.strides[i] * (Y[2 + i] - 1) + (p.kernel[i] - 1) * p.dilations[i] + 1 - p.pads[i] - p.pads[i + k]));
        return b.op('ConvTranspose', [c.g, c.x(1)], { strides: p.strides, dilations: p.dilations, pads: p.pads, group: p.group, output_padding: outPad });
      },
      () => {
        // dW[m,c,κ] = Σ_n,i g[n,m,i] x[n,c,i·s+κ·d−p]: a Conv over the batch with x as [C,N,…] and g as [M,N,…] kernels.
        if (p.group !== 1) c.fail('weight gradient for grouped convolution (group > 1) is not supported');
        const dw = b.op('Conv', [b.transpose(c.x(0), swap01), b.transpose(c.g, swap01)], {
          strides: p.dilations, dilations: p.strides, pads: p.pads,
        });
        return b.transpose(b.slice(dw, range(0, k).map(() => 0), p.kernel, range(2, k + 2)), swap01);
      },
      () => b.reduceSum(c.g, [0, ...range(2, k + 2)], false),
    ];
  },
  LayerNormalization: (c) => {
    if (c.gy(1) || c.gy(2)) c.fail('gradients through the Mean/InvStdDev outputs are not supported');
    const { b } = c;
    const rank = c.inShape(0).length;
    const axes = range(norm(c.attr('axis', -1), rank), rank);
    const stats = once(() => {
      const xc = b.sub(c.x(0), b.reduceMean(c.x(0), axes));
      const inv = b.div(c.s(1), b.sqrt(b.add(b.reduceMean(b.mul(xc, xc), axes), c.s(c.attr('epsilon', 1e-5)))));
      return { xhat: b.mul(xc, inv), inv };
    });
    return [
      () => {
        // dx = inv · (ĝ − mean(ĝ) − x̂ · mean(ĝ x̂)), ĝ = g · scale
        const { xhat, inv } = stats();
        const gs = b.mul(c.g, c.x(1));
        const centred = b.sub(b.sub(gs, b.reduceMean(gs, axes)), b.mul(xhat, b.reduceMean(b.mul(gs, xhat), axes)));
        return b.mul(inv, centred);
      },
      () => c.ub(b.mul(c.g, stats().xhat), 1),
      () => c.ub(c.g, 2),
    ];
  },
  ReduceMean: reduceGrad(true),
  ReduceSum: reduceGrad(false),
  Reshape: reshapeGrad, Flatten: reshapeGrad, Squeeze: reshapeGrad, Unsqueeze: reshapeGrad,
  Transpose: (c) => {
    const rank = c.inShape(0).length;
    const perm = c.attr<number[]>('perm', range(0, rank).reverse());
    return [() => c.b.transpose(c.g, inverse(perm))];
  },
  Expand: (c) => [() => c.ub(c.g, 0)],
  Concat: (c) => {
    const rank = c.outShape(0).length;
    const axis = norm(c.attr('axis', 0), rank);
    const sizes = c.node.inputs.map((_, i) => c.inShape(i)[axis]);
    const parts = once(() => c.b.opN('Split', [c.g, c.b.ints(sizes)], { axis }, { outputs: sizes.length }));
    return sizes.map((_, i) => () => (sizes.length === 1 ? c.g : parts()[i]));
  },
  Split: (c) => {
    const X = c.inShape(0);
    const axis = norm(c.attr('axis', 0), X.length);
    const sizes = splitSizes(c.node, X[axis], (i) => c.ints(i));
    const parts = sizes.map((_, i) => c.gy(i) ?? c.zeros(c.outShape(i), c.dtype(c.y(i))));
    return [() => (parts.length === 1 ? parts[0] : c.b.concat(parts, axis))];
  },
  Slice: (c) => [() => {
    const { b } = c;
    const X = c.inShape(0), rank = X.length;
    const starts = c.ints(1)!, ends = c.ints(2)!, axes = c.ints(3), steps = c.ints(4);
    const r = resolveSlice(X, starts, ends, axes, steps);
    if (r.step.every((s) => s === 1)) {
      // Contiguous: pad the gradient back to X's shape.
      const pads = [...r.start, ...range(0, rank).map((i) => X[i] - r.start[i] - r.count[i])];
      return pads.every((p) => p === 0) ? c.g : b.op('Pad', [c.g, b.ints(pads)]);
    }
    // Strided: scatter into the flat positions the slice read.
    const flat = sliceIndices(X, r);
    const idx = b.init('slice_index', tensorFromNumbers('int64', flat, [flat.length, 1]));
    const scattered = b.op('ScatterND', [c.zeros([numel(X)], c.dtype(c.x(0))), idx, b.reshape(c.g, [flat.length])]);
    return b.reshape(scattered, X);
  }],
  Gather: (c) => [() => {
    const { b } = c;
    const D = c.inShape(0), I = c.inShape(1);
    const a = norm(c.attr('axis', 0), D.length);
    const idx = b.unsqueeze(wrapIndices(c, c.x(1), [D[a]]), [-1]);
    // Scatter-add g (indices' dims first) into [D[a], D[:a], D[a+1:]], then move axis a back into place.
    const rankY = c.outShape(0).length;
    const front = range(a, a + I.length);
    const toFront = [...front, ...range(0, a), ...range(a + I.length, rankY)];
    const updates = a === 0 ? c.g : b.transpose(c.g, toFront);
    const T = [D[a], ...D.slice(0, a), ...D.slice(a + 1)];
    const s = b.op('ScatterND', [c.zeros(T, c.dtype(c.x(0))), idx, updates], { reduction: 'add' });
    return a === 0 ? s : b.transpose(s, range(0, D.length).map((j) => (j < a ? j + 1 : j === a ? 0 : j)));
  }, undefined],
  GatherND: (c) => [() => {
    const { b } = c;
    const D = c.inShape(0), I = c.inShape(1);
    const bd = c.attr('batch_dims', 0);
    const k = I[I.length - 1];
    let idx = wrapIndices(c, c.x(1), D.slice(bd, bd + k));
    if (bd > 0) {
      // Make batch coordinates explicit so a batch_dims = 0 ScatterND can add the gradient back.
      const lead = I.slice(0, -1), st = strides(lead);
      const coords: number[] = [];
      for (let p = 0; p < numel(lead); p++) for (let d = 0; d < bd; d++) coords.push(Math.floor(p / st[d]) % lead[d]);
      idx = b.concat([b.constant(coords, 'int64', [...lead, bd]), idx], -1);
    }
    return b.op('ScatterND', [c.zeros(D, c.dtype(c.x(0))), idx, c.g], { reduction: 'add' });
  }, undefined],
  Where: (c) => [undefined, () => c.ub(c.b.where(c.x(0), c.g, c.s(0)), 1), () => c.ub(c.b.where(c.x(0), c.s(0), c.g), 2)],
  Trilu: (c) => [() => c.b.op('Trilu', c.x(1) ? [c.g, c.x(1)] : [c.g], { upper: c.attr('upper', 1) }), undefined],

  // Integer/boolean outputs, or outputs independent of float input values: no gradient flows through these.
  Shape: 'nondiff', Size: 'nondiff', ArgMax: 'nondiff', ArgMin: 'nondiff', Range: 'nondiff', ConstantOfShape: 'nondiff',
  Constant: 'nondiff', Equal: 'nondiff', Less: 'nondiff', LessOrEqual: 'nondiff', Greater: 'nondiff',
  GreaterOrEqual: 'nondiff', Not: 'nondiff', And: 'nondiff', Or: 'nondiff', Xor: 'nondiff', IsNaN: 'nondiff', IsInf: 'nondiff',
};

/** Ops with an entry in the table (differentiable or declared non-differentiable). */
export function hasGradRule(op: string, rules: Record<string, GradRule> = RULES): boolean {
  return Object.prototype.hasOwnProperty.call(rules, op);
}

/** For tests and tools: a sanity check that every differentiable entry is a function. */
export const DIFFERENTIABLE_OPS = Object.keys(RULES).filter((k) => RULES[k] !== 'nondiff');
