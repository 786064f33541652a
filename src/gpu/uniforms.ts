import type { UniformKind } from './uniformLayout';

/** Packed uniforms that remember the kinds written, for the dispatch-time check against the WGSL struct. */
export type UniformBytes = Uint8Array<ArrayBuffer> & { readonly uniformKinds?: readonly UniformKind[] };

/**
 * Packs the scalars of a kernel's `Params` uniform struct. Every field is 4 bytes (u32, i32 or f32), written in
 * the order the WGSL struct declares them; the block is padded to 16 bytes as uniform buffers require. The bytes
 * carry the kinds written: `Recorder.dispatch` checks them against the shader's struct (src/gpu/uniformLayout.ts).
 */
export class UniformWriter {
  private readonly view: DataView;
  private readonly buf: ArrayBuffer;
  private offset = 0;
  private readonly kinds: UniformKind[] = [];

  constructor(capacityFields = 32) {
    this.buf = new ArrayBuffer(capacityFields * 4);
    this.view = new DataView(this.buf);
  }

  u32(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`u32 uniform out of range: ${v}`);
    this.view.setUint32(this.offset, v, true);
    this.offset += 4;
    this.kinds.push('u32');
    return this;
  }

  i32(v: number): this {
    if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) throw new RangeError(`i32 uniform out of range: ${v}`);
    this.view.setInt32(this.offset, v, true);
    this.offset += 4;
    this.kinds.push('i32');
    return this;
  }

  f32(v: number): this {
    this.view.setFloat32(this.offset, v, true);
    this.offset += 4;
    this.kinds.push('f32');
    return this;
  }

  bytes(): UniformBytes {
    const padded = Math.max(16, Math.ceil(this.offset / 16) * 16);
    return Object.assign(new Uint8Array(this.buf, 0, padded).slice(), { uniformKinds: [...this.kinds] as readonly UniformKind[] });
  }
}
