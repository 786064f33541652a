/**
 * Builds and caches forward/backward graph pairs per (model, differentiated set, outputs, batch size and the other
 * options that change the graphs).
 *
 *   const cache = new GradientGraphCache();
 *   const pair = cache.get(modelBytesOrIR, { wrt: ['visual.proj'], perturb: ['pixel_values'], batch: 32 });
 *   pair.forwardBytes();  // ModelProto bytes for onnxruntime / the WebGPU runtime (encoded once, then cached)
 *
 * The model part of the key is a content hash (the bytes of an encoded model, or the IR's structure and initializer
 * data), memoised per object, or `modelKey` when the caller already has one (e.g. a file's ETag).
 */
import { numel, type Model, type Tensor } from '../ir';
import { decodeModel, encodeModel } from '../proto';
import { buildGradientGraphs, type GradientGraphs, type GradientOptions } from './build';

export interface CachedGradientGraphs extends GradientGraphs {
  key: string;
  /** Encoded forward ModelProto (computed on first call). */
  forwardBytes(): Uint8Array;
  /** Encoded backward ModelProto (computed on first call). */
  backwardBytes(): Uint8Array;
}

export interface CacheGetOptions extends Omit<GradientOptions, 'rules' | 'recompute'> {
  /** Only the named policies are cacheable. */
  recompute?: 'none' | 'all' | 'cheap';
  /** A caller-provided identity for the model (skips hashing). */
  modelKey?: string;
}

/** 64-bit content hash (two 32-bit multiply-xorshift lanes), hex. Fast enough for ~1 GB/s-class inputs. */
export class Hasher {
  private h1 = 0x811c9dc5 | 0;
  private h2 = 0x27d4eb2f | 0;
  private n = 0;

  update(bytes: Uint8Array): this {
    const len = bytes.byteLength;
    const aligned = bytes.byteOffset % 4 === 0;
    const words = aligned ? new Uint32Array(bytes.buffer, bytes.byteOffset, len >>> 2) : new Uint32Array(bytes.slice(0, len & ~3).buffer);
    let h1 = this.h1, h2 = this.h2;
    for (let i = 0; i < words.length; i++) {
      const w = words[i];
      h1 = Math.imul(h1 ^ w, 0x9e3779b1);
      h1 = (h1 << 13) | (h1 >>> 19);
      h2 = Math.imul(h2 + w, 0x85ebca77) ^ (h2 >>> 15);
    }
    for (let i = len & ~3; i < len; i++) {
      h1 = Math.imul(h1 ^ bytes[i], 0x9e3779b1);
      h2 = Math.imul(h2 + bytes[i], 0x85ebca77) ^ (h2 >>> 15);
    }
    this.h1 = h1;
    this.h2 = h2;
    this.n += len;
    return this;
  }

  string(s: string): this {
    return this.update(new TextEncoder().encode(`${s.length}:${s}`));
  }

  digest(): string {
    let a = this.h1 ^ this.n, b = this.h2 ^ Math.floor(this.n / 4294967296);
    a = Math.imul(a ^ (a >>> 16), 0x85ebca6b); a = Math.imul(a ^ (a >>> 13), 0xc2b2ae35); a ^= a >>> 16;
    b = Math.imul(b ^ (b >>> 16), 0x85ebca6b) ^ a; b = Math.imul(b ^ (b >>> 13), 0xc2b2ae35); b ^= b >>> 16;
    return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
  }
}

const memo = new WeakMap<object, string>();

function tensorBytes(t: Tensor): Uint8Array {
  if (Array.isArray(t.data)) return new TextEncoder().encode(JSON.stringify(t.data));
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

/** Content hash of a model (encoded bytes, or IR structure + initializer data). Memoised per object. */
export function hashModel(model: Model | Uint8Array): string {
  const hit = memo.get(model);
  if (hit) return hit;
  const h = new Hasher();
  if (model instanceof Uint8Array) h.update(model);
  else {
    const g = model.graph;
    h.string(JSON.stringify({
      opset: model.opsetImport, inputs: g.inputs, outputs: g.outputs,
      nodes: g.nodes.map((n) => [n.op, n.domain, n.inputs, n.outputs, n.attrs]),
    }, (_k, v) => (ArrayBuffer.isView(v) ? Array.from(v as Uint8Array, Number) : typeof v === 'bigint' ? String(v) : v)));
    for (const [name, t] of g.initializers) {
      h.string(`${name}|${t.dtype}|${t.dims.join(',')}|${numel(t.dims)}`);
      h.update(tensorBytes(t));
    }
  }
  const d = h.digest();
  memo.set(model, d);
  return d;
}

/** The cache key for a model hash and options (wrt/perturb as sets; outputs in order). */
export function gradientCacheKey(modelHash: string, o: CacheGetOptions): string {
  const sorted = (a?: string[]) => (a ? [...new Set(a)].sort() : null);
  return JSON.stringify([modelHash, sorted(o.wrt), o.outputs ?? null, sorted(o.perturb), o.batch ?? null,
    o.inputShapes ? Object.entries(o.inputShapes).sort() : null, o.dims ? Object.entries(o.dims).sort() : null,
    o.recompute ?? 'none', !!o.shareConstants, !!o.allowDisconnected]);
}

export class GradientGraphCache {
  private readonly entries = new Map<string, CachedGradientGraphs>();

  /** @param maxEntries least-recently-used entries beyond this are dropped (default 8). */
  constructor(private readonly maxEntries = 8) {}

  get size(): number {
    return this.entries.size;
  }

  /** The forward/backward pair for these options, built on first request. */
  get(model: Model | Uint8Array, o: CacheGetOptions): CachedGradientGraphs {
    const key = gradientCacheKey(o.modelKey ?? hashModel(model), o);
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const ir = model instanceof Uint8Array ? decodeModel(model) : model;
    // wrt order as given by the first caller; a later call with the same set in another order gets the same pair.
    const built = buildGradientGraphs(ir, o);
    let fb: Uint8Array | undefined, bb: Uint8Array | undefined;
    const entry: CachedGradientGraphs = {
      ...built, key,
      forwardBytes: () => (fb ??= encodeModel(built.forward)),
      backwardBytes: () => (bb ??= encodeModel(built.backward)),
    };
    this.entries.set(key, entry);
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return entry;
  }

  clear(): void {
    this.entries.clear();
  }
}
