/**
 * A GPU ring of per-step scalars (losses, per-term gradient norms, accuracy, the optimiser's ‖g‖ header…), so a
 * training loop reads its metrics back once every k steps instead of once per step. Each step's parts are copied into
 * its slot inside a submission the step makes anyway (the optimiser's); `read` maps the used slots once.
 *
 * The slot layout (the parts' counts) is fixed by the first step captured; a step whose layout differs is refused
 * (`fits`), so the owner reads the ring first and starts a new one. Capacity is bounded at creation.
 */
import type { GpuContext, Recorder } from '../gpu/context';

export interface RingPart {
  buffer: GPUBuffer;
  count: number;
  /** In f32 elements. */
  offset?: number;
}

/** Most slots a ring holds (a loop reads at least this often). */
export const MAX_RING_SLOTS = 4096;

export class MetricsRing {
  private buffer: GPUBuffer | undefined;
  private counts: number[] | undefined;
  private slotFloats = 0;
  private used = 0;

  constructor(private readonly ctx: GpuContext, readonly capacity: number, private readonly label = 'methods.metricsRing') {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > MAX_RING_SLOTS) throw new RangeError(`MetricsRing: capacity must be an integer in 1…${MAX_RING_SLOTS}, got ${capacity}`);
  }

  /** Steps captured since the last read. */
  get size(): number {
    return this.used;
  }

  get full(): boolean {
    return this.used >= this.capacity;
  }

  /** Whether a step with these parts can be captured now (room left, same layout as the slots already used). */
  fits(parts: readonly RingPart[]): boolean {
    if (this.full) return false;
    if (!this.counts || this.used === 0) return true;
    return parts.length === this.counts.length && parts.every((p, i) => p.count === this.counts![i]);
  }

  /** Encodes copies of `parts` into the next slot (call `fits` first); returns the slot's index. */
  encode(rec: Recorder, parts: readonly RingPart[]): number {
    if (!this.fits(parts)) throw new RangeError(`MetricsRing: no room for a step of ${parts.length} parts (${this.used}/${this.capacity} slots used; read the ring first)`);
    for (const p of parts) {
      if (!Number.isInteger(p.count) || p.count < 0) throw new RangeError(`MetricsRing: part of ${p.buffer.label} has count ${p.count}`);
    }
    const floats = parts.reduce((a, p) => a + p.count, 0);
    if (this.used === 0 && (!this.buffer || floats !== this.slotFloats)) {
      if (this.buffer) this.ctx.release(this.buffer);
      this.slotFloats = floats;
      this.buffer = this.ctx.buffer(this.label, Math.max(1, floats * this.capacity) * 4);
    }
    this.counts = parts.map((p) => p.count);
    let at = this.used * this.slotFloats;
    for (const p of parts) {
      if (p.count > 0) rec.copy(p.buffer, (p.offset ?? 0) * 4, this.buffer!, at * 4, p.count * 4);
      at += p.count;
    }
    return this.used++;
  }

  /** The captured slots, oldest first, each as its parts' values; empties the ring (one readback). */
  async read(): Promise<Float32Array[][]> {
    if (!this.used || !this.buffer || !this.counts) return [];
    const n = this.used, counts = this.counts;
    const [raw] = await this.ctx.readMany([{ buffer: this.buffer, count: n * this.slotFloats }]);
    this.used = 0;
    const all = new Float32Array(raw), out: Float32Array[][] = [];
    for (let s = 0; s < n; s++) {
      let at = s * this.slotFloats;
      out.push(counts.map((c) => {
        const v = all.slice(at, at + c);
        at += c;
        return v;
      }));
    }
    return out;
  }

  release(): void {
    if (this.buffer) this.ctx.release(this.buffer);
    this.buffer = undefined;
    this.used = 0;
  }
}
