/**
 * Strided views: every runtime tensor of the executor is (allocation, element offset, dims, strides). Transpose,
 * Expand, Slice, Split, Squeeze/Unsqueeze, Reshape (when the strides allow) and constant-index Gather only make new
 * views; kernels read views through strides carried in their uniforms.
 */
import { strides } from '../ir';

/** Element type of a GPU buffer: float32, int64/int32 as i32, bool as u32 (0/1). */
export type ElemType = 'f32' | 'i32' | 'bool';

export interface View {
  dims: number[];
  strides: number[];
  offset: number;
}

/** Row-major strides of `dims`. */
export const rowMajor: (dims: readonly number[]) => number[] = strides;

export function numelOf(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/** Row-major over its dims (size-1 dims may have any stride); the offset is free. */
export function isContiguous(v: View): boolean {
  const rm = rowMajor(v.dims);
  return v.dims.every((d, i) => d <= 1 || v.strides[i] === rm[i]);
}

export function contiguousView(dims: readonly number[], offset = 0): View {
  return { dims: [...dims], strides: rowMajor(dims), offset };
}

export function transposeView(v: View, perm: readonly number[]): View {
  return { dims: perm.map((p) => v.dims[p]), strides: perm.map((p) => v.strides[p]), offset: v.offset };
}

/** Broadcast a view to `dims` (numpy rules, right-aligned): broadcast dims get stride 0. Throws when incompatible. */
export function broadcastView(v: View, dims: readonly number[]): View {
  const r = dims.length, k = v.dims.length;
  if (k > r) throw new Error(`cannot broadcast [${v.dims}] to [${dims}]`);
  const strides = new Array<number>(r).fill(0);
  for (let i = 0; i < k; i++) {
    const d = v.dims[k - 1 - i], t = dims[r - 1 - i];
    if (d === t) strides[r - 1 - i] = d === 1 ? 0 : v.strides[k - 1 - i];
    else if (d === 1) strides[r - 1 - i] = 0;
    else throw new Error(`cannot broadcast [${v.dims}] to [${dims}]`);
  }
  return { dims: [...dims], strides, offset: v.offset };
}

/**
 * A view of the same elements in row-major order under new dims, without copying, or undefined when the strides
 * do not allow it (then the caller materialises a contiguous copy first).
 */
export function reshapeView(v: View, dims: readonly number[]): View | undefined {
  if (numelOf(v.dims) !== numelOf(dims)) throw new Error(`cannot reshape [${v.dims}] to [${dims}]`);
  if (isContiguous(v)) return contiguousView(dims, v.offset);
  // Drop size-1 dims, then match groups of old dims (each group contiguous in itself) to groups of new dims.
  const od: number[] = [], os: number[] = [];
  v.dims.forEach((d, i) => { if (d !== 1) { od.push(d); os.push(v.strides[i]); } });
  const out = new Array<number>(dims.length).fill(0);
  let oi = 0, ni = 0;
  while (ni < dims.length || oi < od.length) {
    // Skip new size-1 dims (any stride works).
    if (ni < dims.length && dims[ni] === 1) { out[ni] = 0; ni++; continue; }
    if (oi >= od.length || ni >= dims.length) return undefined;
    // Take a group of old dims [oi, oj) and of new dims [ni, nj) with equal products.
    let oj = oi + 1, nj = ni + 1;
    let po = od[oi], pn = dims[ni];
    while (po !== pn) {
      if (po < pn) {
        if (oj >= od.length) return undefined;
        // The old group must be contiguous within itself.
        if (os[oj - 1] !== os[oj] * od[oj]) return undefined;
        po *= od[oj++];
      } else {
        if (nj >= dims.length) return undefined;
        pn *= dims[nj++];
      }
    }
    // Strides of the new group: row-major inside, anchored at the stride of the old group's last dim.
    let s = os[oj - 1];
    for (let k = nj - 1; k >= ni; k--) {
      out[k] = dims[k] === 1 ? 0 : s;
      s *= dims[k];
    }
    oi = oj;
    ni = nj;
  }
  return { dims: [...dims], strides: out, offset: v.offset };
}

/** Slice a view: per-dim start, step and count (as interp.resolveSlice gives them). */
export function sliceView(v: View, start: readonly number[], step: readonly number[], count: readonly number[]): View {
  let offset = v.offset;
  const strides = v.strides.map((s, i) => {
    if (count[i] > 0) offset += start[i] * s;
    return s * step[i];
  });
  return { dims: [...count], strides, offset };
}

/** Select index `index` of `axis` (the dim disappears). */
export function selectView(v: View, axis: number, index: number): View {
  return {
    dims: v.dims.filter((_, i) => i !== axis),
    strides: v.strides.filter((_, i) => i !== axis),
    offset: v.offset + index * v.strides[axis],
  };
}

/**
 * Merges adjacent dims that are contiguous with each other in every view (same dims for all views) and drops size-1
 * dims: fewer index computations in kernels. Returns the common dims and each view's strides.
 */
export function coalesce(dims: readonly number[], stridesList: readonly (readonly number[])[]): { dims: number[]; strides: number[][] } {
  const keep = dims.map((d, i) => i).filter((i) => dims[i] !== 1);
  const outDims: number[] = [];
  const outStrides: number[][] = stridesList.map(() => []);
  for (const i of keep) {
    const last = outDims.length - 1;
    if (last >= 0 && stridesList.every((s, j) => outStrides[j][last] === s[i] * dims[i])) {
      outDims[last] *= dims[i];
      stridesList.forEach((s, j) => { outStrides[j][last] = s[i]; });
    } else {
      outDims.push(dims[i]);
      stridesList.forEach((s, j) => outStrides[j].push(s[i]));
    }
  }
  return { dims: outDims, strides: outStrides };
}

/** Smallest and largest element index a view touches (relative to its buffer), for bounds checks. */
export function viewExtent(v: View): { lo: number; hi: number } {
  let lo = v.offset, hi = v.offset;
  if (v.dims.some((d) => d === 0)) return { lo, hi: lo - 1 };
  v.dims.forEach((d, i) => {
    const s = v.strides[i] * (d - 1);
    if (s < 0) lo += s;
    else hi += s;
  });
  return { lo, hi };
}
