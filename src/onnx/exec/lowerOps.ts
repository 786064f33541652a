/**
 * Each op's lowering to steps over strided views (view ops make no copies), and the decomposed LayerNorm's (one
 * row-norm kernel); `lowerFor(op)` is the table ./plan.ts and ./ops.ts read.
 */
import { resolveSlice } from '../interp';
import { tensorToInts, tensorToNumbers } from '../ir';
import { convParams, convTransposeParams, reduceAxesOf, splitSizes } from '../shapes';
import { EwStep, EW_OPS, ewResultType, MAX_EW_BINDINGS } from './elementwise';
import { REDUCE_OPS, ReduceStep } from './reduce';
import { RowNormStep, type RowNormMatch, type RowStage } from './rownorm';
import { ClearStep, ConvStep, GatherElementsStep, GatherNDStep, GatherStep, LayerNormStep, MatmulStep, ScatterStep, scatterSortRows, SoftmaxStep, type Conv2d } from './steps';
import type { Val } from './types';
import { broadcastView, contiguousView, numelOf, selectView, sliceView, transposeView, type View } from './view';
import { Lowering, norm, reshapeTo, viewOut, type Lower, type LowerCtx } from './lowering';

const reshapeLike: Lower = (c) => [reshapeTo(c, c.x(0), c.outDims(0))];

function ewLower(c: LowerCtx): (Val | undefined)[] {
  const op = c.node.op;
  const a: Record<string, number> = {};
  for (const k of ['alpha', 'beta', 'fmod', 'detect_positive', 'detect_negative']) {
    const at = c.node.attrs[k];
    if (at && (at.type === 'int' || at.type === 'float')) a[k] = at.value;
  }
  if (op === 'Gelu') a.tanh = c.attr<string>('approximate', 'none') === 'tanh' ? 1 : 0;
  const outType = c.outType(0);
  if (op === 'Clip') {
    const t = c.x(0).alloc.type;
    const lo = c.in(1) ?? (t === 'f32' ? -Infinity : -2147483648);
    const hi = c.in(2) ?? (t === 'f32' ? Infinity : 2147483647);
    return [c.L.ew(c.label, op, [c.x(0), lo, hi], c.outDims(0), outType, a)];
  }
  const ins = c.node.inputs.map((_, i) => c.x(i));
  if (EW_OPS[op] === 'n' && ins.length > MAX_EW_BINDINGS) {
    // Chain wide variadic ops (the binding limit), combining partial results.
    if (op === 'Mean') c.fail('Mean of more than 7 inputs is not supported');
    let acc = c.L.ew(`${c.label}.0`, op, ins.slice(0, MAX_EW_BINDINGS), c.outDims(0), outType, a);
    for (let k = MAX_EW_BINDINGS; k < ins.length; k += MAX_EW_BINDINGS - 1) {
      acc = c.L.ew(`${c.label}.${k}`, op, [acc, ...ins.slice(k, k + MAX_EW_BINDINGS - 1)], c.outDims(0), outType, a);
    }
    return [acc];
  }
  if (op === 'Cast' && ins[0].alloc.type === outType) return [ins[0]];
  const expected = ewResultType(op, ins.map((v) => v.alloc.type), outType);
  if (expected !== outType) c.fail(`result type ${outType} differs from the generator's ${expected}`);
  return [c.L.ew(c.label, op, ins, c.outDims(0), outType, a)];
}

function matmulLower(c: LowerCtx): Val[] {
  const A = c.x(0), B = c.x(1);
  if (A.alloc.type !== 'f32' || B.alloc.type !== 'f32') c.fail('only float32 matmuls are supported');
  const a2 = A.view.dims.length === 1 ? { ...A.view, dims: [1, A.view.dims[0]], strides: [0, A.view.strides[0]] } : A.view;
  const b2 = B.view.dims.length === 1 ? { ...B.view, dims: [B.view.dims[0], 1], strides: [B.view.strides[0], 0] } : B.view;
  const M = a2.dims[a2.dims.length - 2], K = a2.dims[a2.dims.length - 1], N = b2.dims[b2.dims.length - 1];
  if (b2.dims[b2.dims.length - 2] !== K) c.fail(`inner dims differ: [${A.view.dims}] · [${B.view.dims}]`);
  const outDims = c.outDims(0);
  const batch = outDims.slice(0, outDims.length - (A.view.dims.length === 1 ? 0 : 1) - (B.view.dims.length === 1 ? 0 : 1));
  const full = [...batch, M, N];
  const av = broadcastView(a2, [...batch, M, K]);
  const bv = broadcastView(b2, [...batch, K, N]);
  const out = c.L.temp('f32', full, c.label);
  c.L.steps.push(new MatmulStep(c.label, { alloc: A.alloc, view: av }, { alloc: B.alloc, view: bv }, out));
  return [{ alloc: out.alloc, view: contiguousView(outDims) }];
}

function gemmLower(c: LowerCtx): Val[] {
  const A = c.x(0), B = c.x(1), C = c.in(2);
  const av = c.attr('transA', 0) ? transposeView(A.view, [1, 0]) : A.view;
  const bv = c.attr('transB', 0) ? transposeView(B.view, [1, 0]) : B.view;
  const [M, N] = c.outDims(0);
  const out = c.L.temp('f32', [M, N], c.label);
  const beta = c.attr('beta', 1);
  const cv = C && beta !== 0 ? { alloc: C.alloc, view: broadcastView(C.view, [M, N]) } : undefined;
  c.L.steps.push(new MatmulStep(c.label, { alloc: A.alloc, view: av }, { alloc: B.alloc, view: bv }, out, cv, c.attr('alpha', 1), beta));
  return [out];
}

function softmaxLower(c: LowerCtx): Val[] {
  const x = c.L.contiguous(c.x(0), c.label);
  const rank = x.view.dims.length;
  const axis = norm(c.attr('axis', -1), rank);
  const out = c.L.temp('f32', x.view.dims, c.label);
  c.L.steps.push(new SoftmaxStep(c.label, x, out, axis, c.node.op === 'LogSoftmax'));
  return [out];
}

function layerNormLower(c: LowerCtx): (Val | undefined)[] {
  const x = c.L.contiguous(c.x(0), c.label);
  const dims = x.view.dims;
  const axis = norm(c.attr('axis', -1), dims.length);
  const normShape = dims.slice(axis);
  const len = numelOf(normShape);
  const param = (v: Val | undefined, fill: number, what: string): Val => {
    if (!v) return c.L.ew(`${c.label}.${what}`, 'Identity', [fill], normShape, 'f32');
    const b = { alloc: v.alloc, view: broadcastView(v.view, normShape) };
    return c.L.contiguous(b, `${c.label}.${what}`);
  };
  const scale = param(c.x(1), 1, 'scale');
  const bias = param(c.in(2), 0, 'bias');
  const y = c.L.temp('f32', dims, c.label);
  const wantStats = !!(c.node.outputs[1] || c.node.outputs[2]);
  const stat = c.outDims(0).slice(0, axis).concat(normShape.map(() => 1));
  const mean = wantStats ? c.L.temp('f32', stat, `${c.label}.mean`) : undefined;
  const inv = wantStats ? c.L.temp('f32', stat, `${c.label}.invstd`) : undefined;
  c.L.steps.push(new LayerNormStep(c.label, x, scale, bias, y, len, c.attr('epsilon', 1e-5), mean, inv));
  return [y, mean, inv];
}

function reduceLower(c: LowerCtx): Val[] {
  const op = c.node.op;
  const kind = REDUCE_OPS[op];
  const x = c.x(0);
  const rank = x.view.dims.length;
  let axes: number[];
  let selectLast = false;
  if (kind === 'argmax' || kind === 'argmin') {
    axes = [norm(c.attr('axis', 0), rank)];
    selectLast = c.attr<number>('select_last_index', 0) === 1;
  } else {
    axes = reduceAxesOf(c.node, Math.max(c.L.opset, 18), rank, (i) => c.ints(i));
    if (axes.length === 0) return [x];
  }
  const outDims = c.outDims(0);
  const outType = c.outType(0);
  const out = c.L.temp(outType, outDims, c.label);
  const kept = x.view.dims.filter((_, i) => !axes.includes(i));
  const R = numelOf(axes.map((a) => x.view.dims[a]));
  const split = ReduceStep.split(kind, numelOf(kept), R);
  const partial = split ? c.L.alloc('temp', x.alloc.type === 'f32' ? 'f32' : 'i32', numelOf(kept) * split.nChunks, `${c.label}.partial`) : undefined;
  c.L.steps.push(new ReduceStep(c.label, kind, x, axes, out, partial, selectLast));
  return [out];
}

function sliceLower(c: LowerCtx): Val[] {
  const x = c.x(0);
  const r = resolveSlice(x.view.dims, c.ints(1)!, c.ints(2)!, c.ints(3), c.ints(4));
  return [viewOut(c, x, sliceView(x.view, r.start, r.step, r.count))];
}

function splitLower(c: LowerCtx): Val[] {
  const x = c.x(0);
  const dims = x.view.dims;
  const axis = norm(c.attr('axis', 0), dims.length);
  const sizes = splitSizes(c.node, dims[axis], (i) => c.ints(i));
  let at = 0;
  return sizes.map((s) => {
    const start = dims.map((_, i) => (i === axis ? at : 0));
    const count = dims.map((d, i) => (i === axis ? s : d));
    at += s;
    return viewOut(c, x, sliceView(x.view, start, dims.map(() => 1), count));
  });
}

function concatLower(c: LowerCtx): Val[] {
  const dims = c.outDims(0);
  const axis = norm(c.attr('axis', 0), dims.length);
  const out = c.L.temp(c.outType(0), dims, c.label);
  let at = 0;
  c.node.inputs.forEach((_, i) => {
    const part = c.x(i);
    const s = part.view.dims[axis];
    if (s === 0) return;
    const start = dims.map((_, k) => (k === axis ? at : 0));
    const dst = { alloc: out.alloc, view: sliceView(out.view, start, dims.map(() => 1), part.view.dims) };
    c.L.copyInto(`${c.label}.${i}`, part, dst);
    at += s;
  });
  return [out];
}

function padLower(c: LowerCtx): Val[] {
  const mode = c.attr<string>('mode', 'constant');
  if (mode !== 'constant') c.fail(`mode '${mode}' is not supported (constant only)`);
  const x = c.x(0);
  const rank = x.view.dims.length;
  const pads = c.ints(1) ?? c.attr<number[]>('pads', []);
  const axes = (c.ints(3) ?? x.view.dims.map((_, i) => i)).map((a) => norm(a, rank));
  const begin = new Array<number>(rank).fill(0);
  axes.forEach((a, i) => { begin[a] = pads[i]; });
  if (begin.some((b) => b < 0) || pads.some((p) => p < 0)) c.fail('negative pads are not supported');
  const cv = c.node.inputs[2] ? c.L.constValue(c.node.inputs[2]) : undefined;
  if (c.node.inputs[2] && !cv) c.notConstant(2, 'the pad value');
  const value = cv ? tensorToNumbers(cv)[0] : 0;
  const dims = c.outDims(0);
  const out = c.L.temp(c.outType(0), dims, c.label);
  if (value === 0) c.L.steps.push(new ClearStep(`${c.label}.fill`, out.alloc, 0, out.alloc.elems));
  else c.L.steps.push(new EwStep(`${c.label}.fill`, { k: 'lit', v: value, t: out.alloc.type }, [], out));
  c.L.copyInto(`${c.label}.copy`, x, { alloc: out.alloc, view: sliceView(out.view, begin, dims.map(() => 1), x.view.dims) });
  return [out];
}

function gatherLower(c: LowerCtx): Val[] {
  const data = c.x(0);
  const rank = data.view.dims.length;
  const axis = norm(c.attr('axis', 0), rank);
  const d = data.view.dims[axis];
  const ci = c.L.constValue(c.node.inputs[1]);
  if (ci && ci.dims.length === 0) {
    let i = tensorToInts(ci)[0];
    if (i < 0) i += d;
    if (i < 0 || i >= d) c.fail(`index ${tensorToInts(ci)[0]} out of range for an axis of ${d}`);
    return [viewOut(c, data, selectView(data.view, axis, i))];
  }
  const dc = c.L.contiguous(data, `${c.label}.data`);
  const idx = c.L.contiguous(c.x(1), `${c.label}.indices`);
  if (idx.alloc.type !== 'i32') c.fail('indices must be int64 or int32');
  const out = c.L.temp(c.outType(0), c.outDims(0), c.label);
  c.L.steps.push(new GatherStep(c.label, dc, idx, out, axis));
  return [out];
}

function gatherNDLower(c: LowerCtx): Val[] {
  const data = c.L.contiguous(c.x(0), `${c.label}.data`);
  const idx = c.L.contiguous(c.x(1), `${c.label}.indices`);
  const out = c.L.temp(c.outType(0), c.outDims(0), c.label);
  c.L.steps.push(new GatherNDStep(c.label, data, idx, out, c.attr('batch_dims', 0)));
  return [out];
}

function scatterNDLower(c: LowerCtx): Val[] {
  const reduction = c.attr<string>('reduction', 'none');
  if (reduction !== 'none' && reduction !== 'add') c.fail(`reduction '${reduction}' is not supported (none, add)`);
  if (reduction === 'add' && c.outType(0) === 'bool') c.fail('reduction add on bool');
  const dims = c.outDims(0);
  const out = c.L.temp(c.outType(0), dims, c.label);
  const dataName = c.node.inputs[0];
  const cv = c.L.constValue(dataName);
  if (cv && tensorToNumbers(cv).every((v) => v === 0)) c.L.steps.push(new ClearStep(`${c.label}.zeros`, out.alloc, 0, out.alloc.elems));
  else c.L.copyInto(`${c.label}.data`, c.x(0), out);
  const idx = c.L.contiguous(c.x(1), `${c.label}.indices`);
  const upd = c.L.contiguous(c.x(2), `${c.label}.updates`);
  const I = idx.view.dims, rows = I.length ? numelOf(I.slice(0, -1)) : 1;
  const sort = reduction === 'add'
    ? { keys: c.L.alloc('temp', 'i32', Math.max(rows, 1), `${c.label}.keys`), order: c.L.alloc('temp', 'i32', scatterSortRows(rows), `${c.label}.order`) }
    : undefined;
  c.L.steps.push(new ScatterStep(c.label, upd, idx, out, reduction, sort));
  return [out];
}

function convLower(c: LowerCtx): Val[] {
  const transpose = c.node.op === 'ConvTranspose';
  const x = c.L.contiguous(c.x(0), `${c.label}.x`);
  const w = c.L.contiguous(c.x(1), `${c.label}.w`);
  const b = c.in(2) ? c.L.contiguous(c.x(2), `${c.label}.b`) : undefined;
  const X = x.view.dims, Wd = w.view.dims, Y = c.outDims(0);
  const k = X.length - 2;
  if (k !== 1 && k !== 2) c.fail(`${k}-D convolutions are not supported (1-D and 2-D)`);
  // Output dims come from the shape rule (Y); the begin pads from the same resolution of auto_pad/output_shape.
  const p = transpose ? convTransposeParams(c.node, X, Wd) : convParams(c.node, X, Wd);
  const two = (a: number[], fill: number) => (k === 1 ? [fill, a[0]] : a);
  const kernel = two(p.kernel, 1), strides = two(p.strides, 1), dil = two(p.dilations, 1);
  const padsBegin = two(p.pads.slice(0, k), 0);
  const M = transpose ? Wd[1] * p.group : Wd[0];
  const conv: Conv2d = {
    N: X[0], C: X[1], H: k === 1 ? 1 : X[2], W: X[X.length - 1], M, OH: k === 1 ? 1 : Y[2], OW: Y[Y.length - 1],
    KH: kernel[0], KW: kernel[1], sH: strides[0], sW: strides[1], padT: padsBegin[0], padL: padsBegin[1], dH: dil[0], dW: dil[1],
    group: p.group,
  };
  if (conv.C % p.group || M % p.group) c.fail(`channels ${conv.C}/${M} are not divisible by group ${p.group}`);
  const out = c.L.temp('f32', Y, c.label);
  c.L.steps.push(new ConvStep(c.label, transpose ? 'transpose' : 'conv', x, w, out, conv, b));
  return [out];
}

function triluLower(c: LowerCtx): Val[] {
  // A constant keep-mask over the last two dims, applied with Where (shapes are static).
  const x = c.x(0);
  const dims = x.view.dims;
  const R = dims[dims.length - 2], C = dims[dims.length - 1];
  const kv = c.node.inputs[1] ? c.ints(1)![0] : 0;
  const upper = c.attr<number>('upper', 1) === 1;
  const mask = new Uint32Array(R * C);
  for (let i = 0; i < R; i++) for (let j = 0; j < C; j++) mask[i * C + j] = (upper ? j - i >= kv : j - i <= kv) ? 1 : 0;
  const m = c.L.alloc('const', 'bool', R * C, `${c.label}.mask`);
  m.data = mask;
  const zero = x.alloc.type === 'f32' ? 0 : 0;
  return [c.L.ew(c.label, 'Where', [{ alloc: m, view: contiguousView([R, C]) }, x, zero], dims, x.alloc.type)];
}

function tileLower(c: LowerCtx): Val[] {
  // x [d0, d1, …] read as [r0, d0, r1, d1, …] with stride 0 over each repeat, copied out contiguous.
  const x = c.x(0);
  const reps = c.ints(1)!;
  const dims = x.view.dims;
  if (reps.length !== dims.length) c.fail(`repeats has ${reps.length} entries for rank ${dims.length}`);
  if (reps.some((r) => r < 0)) c.fail('negative repeats');
  const view: View = { dims: dims.flatMap((d, i) => [reps[i], d]), strides: x.view.strides.flatMap((s) => [0, s]), offset: x.view.offset };
  const out = c.L.temp(x.alloc.type, c.outDims(0), c.label);
  c.L.steps.push(new EwStep(c.label, { k: 'in', i: 0 }, [{ alloc: x.alloc, view }], { alloc: out.alloc, view: contiguousView(view.dims) }));
  return [out];
}

function gatherElementsLower(c: LowerCtx): Val[] {
  const data = c.L.contiguous(c.x(0), `${c.label}.data`);
  const idx = c.L.contiguous(c.x(1), `${c.label}.indices`);
  const rank = data.view.dims.length;
  if (idx.view.dims.length !== rank) c.fail('indices must have the rank of the data');
  const axis = norm(c.attr('axis', 0), rank);
  const out = c.L.temp(data.alloc.type, c.outDims(0), c.label);
  c.L.steps.push(new GatherElementsStep(c.label, data, idx, out, axis));
  return [out];
}

/** Ops whose lowering is a view of the input (no step, no copy). */
const VIEWS: Record<string, Lower> = {
  Identity: (c) => [c.x(0)],
  Reshape: reshapeLike, Flatten: reshapeLike, Squeeze: reshapeLike, Unsqueeze: reshapeLike,
  Transpose: (c) => {
    const x = c.x(0);
    const perm = c.attr<number[]>('perm', x.view.dims.map((_, i) => x.view.dims.length - 1 - i));
    return [viewOut(c, x, transposeView(x.view, perm))];
  },
  Expand: (c) => [viewOut(c, c.x(0), broadcastView(c.x(0).view, c.outDims(0)))],
  Slice: sliceLower,
  Split: splitLower,
};

/** Ops lowered to kernels of their own. */
const KERNELS: Record<string, Lower> = {
  Concat: concatLower,
  Pad: padLower,
  MatMul: matmulLower,
  Gemm: gemmLower,
  Softmax: softmaxLower,
  LogSoftmax: softmaxLower,
  LayerNormalization: layerNormLower,
  Gather: gatherLower,
  GatherND: gatherNDLower,
  ScatterND: scatterNDLower,
  Conv: convLower,
  ConvTranspose: convLower,
  Trilu: triluLower,
  Tile: tileLower,
  GatherElements: gatherElementsLower,
};
for (const op of Object.keys(REDUCE_OPS)) KERNELS[op] = reduceLower;

/** The decomposed LayerNorm a `matchRowNorm` found, as one row-norm kernel. */
export function lowerRowNorm(L: Lowering, m: RowNormMatch): void {
  const label = `LayerNorm pattern '${m.nodes[0].name || m.names.mean}'…'${m.nodes.at(-1)!.name || m.nodes.at(-1)!.outputs[0]}'`;
  const x = L.contiguous(L.val(m.x), label);
  const len = x.view.dims[x.view.dims.length - 1];
  const param = (name: string | undefined, what: string) => (name ? L.contiguous(L.val(name), `${label}.${what}`) : undefined);
  const outs: Partial<Record<RowStage, Val>> = {};
  for (const s of m.exported) outs[s] = L.temp('f32', L.dims(m.names[s]!), `${label}.${s}`);
  L.steps.push(new RowNormStep(label, x, len, m.eps, outs, param(m.scale, 'scale'), param(m.bias, 'bias')));
  for (const s of m.exported) L.vals.set(m.names[s]!, outs[s]!);
}

/** The lowering of `op` (default domain), if the executor has one. */
export function lowerFor(op: string): Lower | undefined {
  const kind = loweringKind(op);
  return kind === 'view' ? VIEWS[op] : kind === 'kernel' ? KERNELS[op] : kind === 'elementwise' ? ewLower : undefined;
}

/** Which lowering `op` has (a view wins over an element-wise form: Identity); tests check it against the op registry. */
export function loweringKind(op: string): 'view' | 'kernel' | 'elementwise' | undefined {
  if (Object.hasOwn(VIEWS, op)) return 'view';
  if (Object.hasOwn(KERNELS, op)) return 'kernel';
  if (Object.hasOwn(EW_OPS, op)) return 'elementwise';
  return undefined;
}
