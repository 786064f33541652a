/**
 * A bounded pool of GPU buffers, bucketed by usage and a size class (quarter steps between powers of two, so at
 * most 25 % is wasted). Released buffers wait for reuse until the idle bytes exceed `maxIdleBytes`, then the
 * oldest are destroyed.
 */
export function sizeClass(bytes: number): number {
  const n = Math.max(16, Math.ceil(bytes));
  if (n <= 256) return Math.ceil(n / 16) * 16;
  const step = 2 ** (Math.floor(Math.log2(n)) - 2);
  return Math.ceil(n / step) * step;
}

export class BufferPool {
  private readonly idle = new Map<string, GPUBuffer[]>();
  private readonly idleOrder: { key: string; buffer: GPUBuffer }[] = [];
  private idleBytes = 0;
  private liveBytes = 0;
  created = 0;
  reused = 0;

  constructor(
    private readonly device: GPUDevice,
    readonly maxIdleBytes = 256 * 1024 * 1024,
  ) {}

  get stats() {
    return { idleBytes: this.idleBytes, liveBytes: this.liveBytes, created: this.created, reused: this.reused };
  }

  acquire(label: string, bytes: number, usage: GPUBufferUsageFlags): GPUBuffer {
    const size = sizeClass(bytes);
    const key = `${usage}:${size}`;
    const list = this.idle.get(key);
    const buffer = list?.pop();
    if (buffer) {
      const i = this.idleOrder.findIndex((e) => e.buffer === buffer);
      if (i >= 0) this.idleOrder.splice(i, 1);
      this.idleBytes -= size;
      this.liveBytes += size;
      this.reused++;
      buffer.label = label;
      return buffer;
    }
    this.created++;
    this.liveBytes += size;
    return this.device.createBuffer({ label, size, usage });
  }

  release(buffer: GPUBuffer): void {
    const size = buffer.size;
    const key = `${buffer.usage}:${size}`;
    this.liveBytes -= size;
    if (buffer.mapState !== 'unmapped') buffer.unmap();
    let list = this.idle.get(key);
    if (!list) this.idle.set(key, (list = []));
    list.push(buffer);
    this.idleOrder.push({ key, buffer });
    this.idleBytes += size;
    while (this.idleBytes > this.maxIdleBytes && this.idleOrder.length) {
      const old = this.idleOrder.shift()!;
      const l = this.idle.get(old.key)!;
      l.splice(l.indexOf(old.buffer), 1);
      this.idleBytes -= old.buffer.size;
      old.buffer.destroy();
    }
  }

  /** Destroys every idle buffer. */
  trim(): void {
    for (const { buffer } of this.idleOrder) buffer.destroy();
    this.idle.clear();
    this.idleOrder.length = 0;
    this.idleBytes = 0;
  }
}
