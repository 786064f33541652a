/**
 * Packs the scalars of a kernel's `Params` uniform struct. Every field is 4 bytes (u32, i32 or f32), written in
 * the order the WGSL struct declares them; the block is padded to 16 bytes as uniform buffers require.
 */
export class UniformWriter {
  private readonly view: DataView;
  private readonly buf: ArrayBuffer;
  private offset = 0;

  constructor(capacityFields = 32) {
    this.buf = new ArrayBuffer(capacityFields * 4);
    this.view = new DataView(this.buf);
  }

  u32(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`u32 uniform out of range: ${v}`);
    this.view.setUint32(this.offset, v, true);
    this.offset += 4;
    return this;
  }

  i32(v: number): this {
    if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) throw new RangeError(`i32 uniform out of range: ${v}`);
    this.view.setInt32(this.offset, v, true);
    this.offset += 4;
    return this;
  }

  f32(v: number): this {
    this.view.setFloat32(this.offset, v, true);
    this.offset += 4;
    return this;
  }

  bytes(): Uint8Array<ArrayBuffer> {
    const padded = Math.max(16, Math.ceil(this.offset / 16) * 16);
    return new Uint8Array(this.buf, 0, padded).slice();
  }
}
