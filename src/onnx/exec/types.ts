/** Shared types of the executor: allocations, values (strided views of allocations), steps and GPU commands. */
import type { ElemType, View } from './view';

/** One buffer-sized piece of memory of the plan: a constant, a graph input, or a step's result. */
export interface Alloc {
  id: number;
  type: ElemType;
  /** Elements (4 bytes each). */
  elems: number;
  kind: 'const' | 'input' | 'temp';
  /** Tensor name it was made for (labels, errors). */
  name: string;
  /** Constant data, converted to the element type (const only). */
  data?: Float32Array | Int32Array | Uint32Array;
  /** Graph input name (input only). */
  input?: string;
  /** Held to the end of the run: a graph output lives in it. */
  keep?: boolean;
  /** Buffer slot assigned by the memory plan (temp only). */
  slot?: number;
}

/** A runtime tensor: a strided view into an allocation. */
export interface Val {
  alloc: Alloc;
  view: View;
}

/** What a step records: a dispatch of a pipeline, or an encoder-level clear or copy. */
export type Command =
  | {
    kind: 'dispatch';
    label: string;
    /** WGSL text (the pipeline cache key, with entry point and constants). */
    code: string;
    entry: string;
    constants?: Record<string, number>;
    /** Contents of the uniform at binding 0 (omitted: no uniform). */
    uniforms?: Uint32Array;
    /** Storage buffers at bindings 1, 2, … (0, 1, … without uniforms). */
    bindings: Alloc[];
    workgroups: [number, number, number];
  }
  | { kind: 'clear'; label: string; alloc: Alloc; offset: number; elems: number }
  | { kind: 'copy'; label: string; src: Alloc; srcOffset: number; dst: Alloc; dstOffset: number; elems: number };

/** Shader texts the steps need (so overridden shaders in a context are honoured). */
export interface ShaderTexts {
  common: string;
  matmul: string;
  norm: string;
  gather: string;
  scatter: string;
  conv: string;
}

export interface Step {
  /** The ONNX node(s) it came from, for labels and errors. */
  label: string;
  reads(): Alloc[];
  writes(): Alloc[];
  commands(sh: ShaderTexts): Command[];
}

export class ExecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExecError';
  }
}

/** Workgroup grid for `threads` invocations in workgroups of `size` (x spills into y beyond 65535 groups). */
export function grid1d(threads: number, size = 256): [number, number, number] {
  const groups = Math.ceil(threads / size);
  if (groups <= 65535) return [groups, 1, 1];
  const y = Math.ceil(groups / 65535);
  return [Math.ceil(groups / y), y, 1];
}

/** Packs i32/u32/f32 fields into a Uint32Array (padded to 16 bytes). */
export class Fields {
  private readonly v: number[] = [];
  u(x: number): this {
    if (!Number.isInteger(x) || x < 0 || x > 0xffffffff) throw new RangeError(`u32 field out of range: ${x}`);
    this.v.push(x >>> 0);
    return this;
  }
  i(x: number): this {
    if (!Number.isInteger(x) || x < -0x80000000 || x > 0x7fffffff) throw new RangeError(`i32 field out of range: ${x}`);
    this.v.push(x >>> 0);
    return this;
  }
  f(x: number): this {
    const b = new Float32Array([x]);
    this.v.push(new Uint32Array(b.buffer)[0]);
    return this;
  }
  /** `n` entries of `xs` (i32), padded with `pad`. */
  is(xs: readonly number[], n: number, pad = 0): this {
    if (xs.length > n) throw new RangeError(`${xs.length} values for ${n} fields`);
    for (let k = 0; k < n; k++) this.i(k < xs.length ? xs[k] : pad);
    return this;
  }
  get length(): number {
    return this.v.length;
  }
  /** The words, zero-padded to a multiple of 4 and at least `minWords` (the shader's uniform struct size). */
  done(minWords = 0): Uint32Array {
    const n = Math.max(4, minWords, Math.ceil(this.v.length / 4) * 4);
    const out = new Uint32Array(n);
    out.set(this.v);
    return out;
  }
}
