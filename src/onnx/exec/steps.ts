/** The executor's non-element-wise steps: matmul, softmax, LayerNorm, gathers/scatters, convolutions, clears. */
import type { Alloc, Command, ShaderTexts, Step, Val } from './types';
import { ExecError, Fields, grid1d } from './types';
import { coalesce, isContiguous, numelOf, rowMajor } from './view';

function requireContiguous(label: string, what: string, v: Val): void {
  if (!isContiguous(v.view)) throw new ExecError(`internal: ${label}: ${what} must be contiguous`);
}

const MAX_BATCH_RANK = 4;

/**
 * out[batch…, M, N] = alpha · a[batch…, M, K] · b[batch…, K, N] (+ beta · c[batch…, M, N]); a, b, c are views already
 * broadcast to the output's batch dims (stride 0 where broadcast), out a contiguous allocation.
 */
export class MatmulStep implements Step {
  constructor(
    public label: string,
    public a: Val,
    public b: Val,
    public out: Val,
    public c?: Val,
    public alpha = 1,
    public beta = 1,
  ) {}

  reads(): Alloc[] {
    return [this.a.alloc, this.b.alloc, ...(this.c ? [this.c.alloc] : [])];
  }

  writes(): Alloc[] {
    return [this.out.alloc];
  }

  commands(sh: ShaderTexts): Command[] {
    const od = this.out.view.dims;
    const r = od.length;
    let M = od[r - 2];
    const N = od[r - 1], K = this.a.view.dims[r - 1];
    const batchDims = od.slice(0, r - 2);
    let batch = numelOf(batchDims);
    if (M === 0 || N === 0 || batch === 0) return [];
    const av = this.a.view, bv = this.b.view, cv = this.c?.view;
    const outStrides = rowMajor(od).slice(0, r - 2);
    const lists = [av.strides.slice(0, r - 2), bv.strides.slice(0, r - 2), cv ? cv.strides.slice(0, r - 2) : batchDims.map(() => 0), outStrides];
    let co = coalesce(batchDims, lists);
    let sAm = av.strides[r - 2], sCm = cv?.strides[r - 2] ?? 0;
    // A weight shared by the whole batch (B's batch strides 0) with rows that continue across the batch in A (and
    // in the addend): one [batch·M, K] · [K, N] product — a few rows per batch item would leave most of each
    // workgroup's tile idle.
    if (co.dims.length === 1 && co.strides[1][0] === 0) {
      const [aBS, , cBS] = co.strides.map((s) => s[0]);
      if (M === 1 || (aBS === M * sAm && cBS === M * sCm)) {
        if (M === 1) { sAm = aBS; sCm = cBS; }
        M *= batch;
        batch = 1;
        co = { dims: [], strides: co.strides.map(() => []) };
      }
    }
    if (co.dims.length > MAX_BATCH_RANK) throw new ExecError(`${this.label}: more than ${MAX_BATCH_RANK} independent batch dims`);
    if (batch > 65535) throw new ExecError(`${this.label}: batch ${batch} exceeds 65535`);
    const f = new Fields().u(M).u(N).u(K).u(batch).u(co.dims.length)
      .i(av.offset).i(bv.offset).i(cv?.offset ?? 0)
      .i(sAm).i(av.strides[r - 1]).i(bv.strides[r - 2]).i(bv.strides[r - 1])
      .i(sCm).i(cv?.strides[r - 1] ?? 0)
      .f(this.alpha).f(this.beta)
      .is(co.dims, 4, 1).is(co.strides[0], 4).is(co.strides[1], 4).is(co.strides[2], 4)
      .u(this.out.view.offset);
    const withC = !!this.c && this.beta !== 0;
    // 16 x 16 invocations of 4 x 4 outputs (64 x 64 per workgroup), or 8 x 8 (32 x 32) for small matrices.
    const small = M <= 32 || N <= 32;
    const tile = small ? 32 : 64;
    return [{
      kind: 'dispatch', label: `${this.label} (${batch}×${M}×${N}×${K})`, code: sh.matmul, entry: `${withC ? 'main_c' : 'main'}${small ? '8' : ''}`, uniforms: f.done(36),
      bindings: withC ? [this.a.alloc, this.b.alloc, this.out.alloc, this.c!.alloc] : [this.a.alloc, this.b.alloc, this.out.alloc],
      workgroups: [Math.ceil(N / tile), Math.ceil(M / tile), batch],
    }];
  }
}

/** Softmax / LogSoftmax along `axis` of a contiguous input. */
export class SoftmaxStep implements Step {
  constructor(public label: string, public x: Val, public out: Val, public axis: number, public log: boolean) {}
  reads() { return [this.x.alloc]; }
  writes() { return [this.out.alloc]; }
  commands(sh: ShaderTexts): Command[] {
    requireContiguous(this.label, 'input', this.x);
    const d = this.x.view.dims;
    const len = d[this.axis], inner = numelOf(d.slice(this.axis + 1));
    const rows = numelOf(d) / Math.max(len, 1);
    if (len === 0 || rows === 0) return [];
    const u = new Fields().u(rows).u(len).u(inner).u(this.x.view.offset).f(0).u(0).u(0).u(0).done(8);
    return [{ kind: 'dispatch', label: this.label, code: sh.norm, entry: this.log ? 'logsoftmax' : 'softmax', uniforms: u, bindings: [this.x.alloc, this.out.alloc], workgroups: grid1d(rows, 64) }];
  }
}

/** LayerNormalization over the trailing `len` elements of each row; scale/bias contiguous with `len` elements. */
export class LayerNormStep implements Step {
  constructor(
    public label: string, public x: Val, public scale: Val, public bias: Val, public y: Val, public len: number,
    public eps: number, public mean?: Val, public inv?: Val,
  ) {}
  reads() { return [this.x.alloc, this.scale.alloc, this.bias.alloc]; }
  writes() { return [this.y.alloc, ...(this.mean ? [this.mean.alloc] : []), ...(this.inv ? [this.inv.alloc] : [])]; }
  commands(sh: ShaderTexts): Command[] {
    for (const [w, v] of [['input', this.x], ['scale', this.scale], ['bias', this.bias]] as const) requireContiguous(this.label, w, v);
    const rows = this.len === 0 ? 0 : numelOf(this.x.view.dims) / this.len;
    if (rows === 0) return [];
    const u = new Fields().u(rows).u(this.len).u(1).u(this.x.view.offset).f(this.eps).u(this.scale.view.offset).u(this.bias.view.offset).u(0).done(8);
    const stats = !!(this.mean && this.inv);
    const bindings = [this.x.alloc, this.y.alloc, this.scale.alloc, this.bias.alloc, ...(stats ? [this.mean!.alloc, this.inv!.alloc] : [])];
    return [{ kind: 'dispatch', label: this.label, code: sh.norm, entry: stats ? 'layernorm_stats' : 'layernorm', uniforms: u, bindings, workgroups: grid1d(rows, 64) }];
  }
}

/** Gather along `axis` of contiguous data with contiguous i32 indices. */
export class GatherStep implements Step {
  constructor(public label: string, public data: Val, public idx: Val, public out: Val, public axis: number) {}
  reads() { return [this.data.alloc, this.idx.alloc]; }
  writes() { return [this.out.alloc]; }
  commands(sh: ShaderTexts): Command[] {
    requireContiguous(this.label, 'data', this.data);
    requireContiguous(this.label, 'indices', this.idx);
    const d = this.data.view.dims;
    const n = numelOf(this.out.view.dims);
    if (n === 0) return [];
    const u = new Fields().u(n).u(d[this.axis]).u(numelOf(this.idx.view.dims)).u(numelOf(d.slice(this.axis + 1)))
      .u(this.data.view.offset).u(this.idx.view.offset).done(24);
    return [{ kind: 'dispatch', label: this.label, code: sh.gather, entry: 'gather', uniforms: u, bindings: [this.data.alloc, this.idx.alloc, this.out.alloc], workgroups: grid1d(n) }];
  }
}

/** GatherElements along `axis` over contiguous data and indices (the output has the indices' dims). */
export class GatherElementsStep implements Step {
  constructor(public label: string, public data: Val, public idx: Val, public out: Val, public axis: number) {}
  reads() { return [this.data.alloc, this.idx.alloc]; }
  writes() { return [this.out.alloc]; }
  commands(sh: ShaderTexts): Command[] {
    requireContiguous(this.label, 'data', this.data);
    requireContiguous(this.label, 'indices', this.idx);
    const D = this.data.view.dims, I = this.idx.view.dims;
    const n = numelOf(I);
    if (n === 0) return [];
    if (D.length > 8) throw new ExecError(`${this.label}: rank above 8`);
    const f = new Fields().u(n).u(I.length).u(this.axis).u(D[this.axis]).u(this.data.view.offset).u(this.idx.view.offset).u(0).u(0);
    indexFields(f, I, rowMajor(D));
    return [{ kind: 'dispatch', label: this.label, code: sh.gather, entry: 'gather_elements', uniforms: f.done(24), bindings: [this.data.alloc, this.idx.alloc, this.out.alloc], workgroups: grid1d(n) }];
  }
}

function indexFields(f: Fields, dims: number[], strides: number[]): Fields {
  if (dims.length > 8) throw new ExecError('index rank above 8');
  for (let k = 0; k < 8; k++) f.u(k < dims.length ? dims[k] : 1);
  for (let k = 0; k < 8; k++) f.u(k < strides.length ? strides[k] : 0);
  return f;
}

/** GatherND with batch_dims over contiguous data and indices. */
export class GatherNDStep implements Step {
  constructor(public label: string, public data: Val, public idx: Val, public out: Val, public batchDims: number) {}
  reads() { return [this.data.alloc, this.idx.alloc]; }
  writes() { return [this.out.alloc]; }
  commands(sh: ShaderTexts): Command[] {
    requireContiguous(this.label, 'data', this.data);
    requireContiguous(this.label, 'indices', this.idx);
    const D = this.data.view.dims, I = this.idx.view.dims, b = this.batchDims;
    const k = I[I.length - 1];
    const n = numelOf(this.out.view.dims);
    if (n === 0) return [];
    const slice = numelOf(D.slice(b + k));
    const perBatch = numelOf(I.slice(b, -1));
    const st = rowMajor(D);
    const f = new Fields().u(n).u(slice).u(k).u(Math.max(perBatch, 1)).u(this.data.view.offset).u(this.idx.view.offset)
      .u(numelOf(D.slice(b))).u(0);
    indexFields(f, D.slice(b, b + k), st.slice(b, b + k));
    return [{ kind: 'dispatch', label: this.label, code: sh.gather, entry: 'gathernd', uniforms: f.done(24), bindings: [this.data.alloc, this.idx.alloc, this.out.alloc], workgroups: grid1d(n) }];
  }
}

/** Rows padded to a power of two for the bitonic sort of a scatter-add's update rows. */
export function scatterSortRows(rows: number): number {
  return rows <= 1 ? 1 : 2 ** Math.ceil(Math.log2(rows));
}

/**
 * ScatterND of contiguous updates into `out` (already holding the data), reduction 'none' or 'add'. 'add' is
 * deterministic: the update rows are sorted by destination (`keys`, `order`: temps of the step) and each run of equal
 * destinations is summed in row order by one thread, so a training step gives the same bits every time.
 */
export class ScatterStep implements Step {
  constructor(
    public label: string,
    public updates: Val,
    public idx: Val,
    public out: Val,
    public reduction: 'none' | 'add',
    public sort?: { keys: Alloc; order: Alloc },
  ) {}
  reads() { return [this.updates.alloc, this.idx.alloc, this.out.alloc, ...(this.sort ? [this.sort.keys, this.sort.order] : [])]; }
  writes() { return [this.out.alloc, ...(this.sort ? [this.sort.keys, this.sort.order] : [])]; }
  commands(sh: ShaderTexts): Command[] {
    requireContiguous(this.label, 'updates', this.updates);
    requireContiguous(this.label, 'indices', this.idx);
    const D = this.out.view.dims, I = this.idx.view.dims;
    const k = I[I.length - 1];
    const n = numelOf(this.updates.view.dims);
    if (n === 0) return [];
    const slice = numelOf(D.slice(k));
    if (this.reduction === 'none') {
      const f = new Fields().u(n).u(slice).u(k).u(0).u(this.updates.view.offset).u(this.idx.view.offset).u(0).u(0);
      indexFields(f, D.slice(0, k), rowMajor(D).slice(0, k));
      return [{ kind: 'dispatch', label: this.label, code: sh.gather, entry: 'scatter', uniforms: f.done(24), bindings: [this.updates.alloc, this.idx.alloc, this.out.alloc], workgroups: grid1d(n) }];
    }
    if (!this.sort) throw new ExecError(`internal: ${this.label}: a scatter-add needs its sort buffers`);
    const rows = n / slice, padded = scatterSortRows(rows);
    const uniforms = (j: number, kk: number) => {
      const f = new Fields().u(n).u(slice).u(k).u(rows).u(this.updates.view.offset).u(this.idx.view.offset).u(padded).u(0);
      indexFields(f, D.slice(0, k), rowMajor(D).slice(0, k));
      return f.u(j).u(kk).done(28);
    };
    // Bindings in the shader's order; each pass binds the ones its entry uses (keys: 3, bitonic: 2, add: all 5).
    const bindings = [this.sort.keys, this.sort.order, this.idx.alloc, this.updates.alloc, this.out.alloc];
    const pass = (entry: string, label: string, used: number, u: Uint32Array, threads: number, constants?: Record<string, number>): Command =>
      ({ kind: 'dispatch', label: `${this.label}.${label}`, code: sh.scatter, entry, constants, uniforms: u, bindings: bindings.slice(0, used), workgroups: grid1d(threads) });
    const out: Command[] = [pass('sort_keys', 'keys', 3, uniforms(0, 0), padded)];
    for (let kk = 2; kk <= padded; kk *= 2) for (let j = kk / 2; j >= 1; j /= 2) out.push(pass('bitonic', `sort ${kk}/${j}`, 2, uniforms(j, kk), padded));
    out.push(pass('add', 'add', 5, uniforms(0, 0), n, { INT: this.out.alloc.type === 'f32' ? 0 : 1 }));
    return out;
  }
}

export interface Conv2d {
  N: number; C: number; H: number; W: number; M: number; OH: number; OW: number; KH: number; KW: number;
  sH: number; sW: number; padT: number; padL: number; dH: number; dW: number; group: number;
}

/** Conv (direct or patch-embedding matmul) and ConvTranspose over contiguous NCHW tensors. */
export class ConvStep implements Step {
  constructor(public label: string, public mode: 'conv' | 'transpose', public x: Val, public w: Val, public out: Val, public p: Conv2d, public bias?: Val) {}
  reads() { return [this.x.alloc, this.w.alloc, ...(this.bias ? [this.bias.alloc] : [])]; }
  writes() { return [this.out.alloc]; }

  /** Stride = kernel, no padding, dilation 1, group 1: the im2col-free matmul path. */
  get isPatch(): boolean {
    const p = this.p;
    return this.mode === 'conv' && p.sH === p.KH && p.sW === p.KW && p.padT === 0 && p.padL === 0 && p.dH === 1 && p.dW === 1
      && p.group === 1 && p.OH * p.KH <= p.H && p.OW * p.KW <= p.W;
  }

  /** ConvTranspose with stride = kernel, no leading padding, dilation 1, group 1: one input pixel per output. */
  get isPatchTranspose(): boolean {
    const p = this.p;
    return this.mode === 'transpose' && p.sH === p.KH && p.sW === p.KW && p.padT === 0 && p.padL === 0 && p.dH === 1 && p.dW === 1 && p.group === 1;
  }

  commands(sh: ShaderTexts): Command[] {
    for (const [w, v] of [['input', this.x], ['weight', this.w], ...(this.bias ? [['bias', this.bias] as const] : [])] as const) requireContiguous(this.label, w, v);
    const p = this.p;
    const n = p.N * p.M * p.OH * p.OW;
    if (n === 0) return [];
    const u = new Fields().u(p.N).u(p.C).u(p.H).u(p.W).u(p.M).u(p.OH).u(p.OW).u(p.KH).u(p.KW).u(p.sH).u(p.sW)
      // Begin pads as i32 bits (the shader reads them with i32()): ConvTranspose's SAME/output_shape can give −1.
      .i(p.padT).i(p.padL).u(p.dH).u(p.dW).u(p.group).u(this.x.view.offset).u(this.w.view.offset).u(this.bias?.view.offset ?? 0).done(20);
    const bindings = [this.x.alloc, this.w.alloc, this.out.alloc, ...(this.bias ? [this.bias.alloc] : [])];
    const suffix = this.bias ? '_bias' : '';
    if (this.isPatchTranspose) {
      return [{ kind: 'dispatch', label: this.label, code: sh.conv, entry: `convt_patch${suffix}`, uniforms: u, bindings, workgroups: grid1d(p.N * Math.ceil(p.M / 4) * p.OH * p.OW, 64) }];
    }
    if (this.isPatch) {
      if (p.N > 65535) throw new ExecError(`${this.label}: batch ${p.N} exceeds 65535`);
      return [{ kind: 'dispatch', label: this.label, code: sh.conv, entry: `conv_patch${suffix}`, uniforms: u, bindings, workgroups: [Math.ceil((p.OH * p.OW) / 64), Math.ceil(p.M / 64), p.N] }];
    }
    return [{ kind: 'dispatch', label: this.label, code: sh.conv, entry: `${this.mode === 'conv' ? 'conv' : 'convt'}_direct${suffix}`, uniforms: u, bindings, workgroups: grid1d(n, 64) }];
  }
}

/** Fills elements [offset, offset + elems) of an allocation with zero bits. */
export class ClearStep implements Step {
  constructor(public label: string, public alloc: Alloc, public offset: number, public elems: number) {}
  reads() { return []; }
  writes() { return [this.alloc]; }
  commands(): Command[] {
    return this.elems ? [{ kind: 'clear', label: this.label, alloc: this.alloc, offset: this.offset, elems: this.elems }] : [];
  }
}
