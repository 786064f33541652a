/**
 * The GPU runtime every kernel runs on: one per device, the same in the browser and in Node.
 * - pipelines cached by shader text + entry point + override constants;
 * - buffers from a bounded pool, every one labelled;
 * - `run()` records many dispatches into one command encoder and submits once, inside error scopes that turn
 *   validation errors into thrown errors naming the label;
 * - device loss is reported to listeners and to later calls, never fatal to the process.
 */
import { acquireDevice, type AcquireOptions, type AdapterSummary } from './device';
import { BufferPool } from './bufferPool';
import { DeviceLostError, withErrorScope } from './errors';
import { PipelineCache } from './pipelineCache';
import { uniformStructKinds, uniformsFit, type UniformLayout } from './uniformLayout';
import type { UniformBytes } from './uniforms';

/**
 * The names of the shaders a context can dispatch. Empty here: the shader registry (src/kernels/shaders.ts) adds its
 * names by declaration merging, so the runtime never imports a shader yet dispatches stay checked by name.
 */
export interface ShaderRegistry {}
export type ShaderName = keyof ShaderRegistry & string;
/** WGSL sources by shader name, injected at creation (the runtime itself knows none). */
export type ShaderSources = Readonly<Record<ShaderName, string>>;

export const STORAGE = 0x0080 | 0x0004 | 0x0008; // STORAGE | COPY_SRC | COPY_DST (constants valid before globals load)
const MAP_READ = 0x0001;
const COPY_DST = 0x0008;
const UNIFORM = 0x0040;
const QUERY_RESOLVE = 0x0200;
const COPY_SRC = 0x0004;

export interface DispatchSpec {
  shader: ShaderName;
  label?: string;
  entryPoint?: string;
  constants?: Record<string, number>;
  /** Contents of the `Params` uniform at binding 0, if the shader has one. */
  uniforms?: Uint8Array<ArrayBuffer>;
  /** Storage buffers bound at 1, 2, … (or from 0 when there are no uniforms), in declaration order. */
  buffers: GPUBuffer[];
  workgroups: [number, number?, number?];
}

export interface KernelTiming {
  label: string;
  ns: number;
}

/** Records dispatches into one command encoder. Obtained from `GpuContext.run`. */
export class Recorder {
  private pass: GPUComputePassEncoder | undefined;
  private readonly timedLabels: string[] = [];
  readonly temps: GPUBuffer[] = [];

  constructor(
    private readonly ctx: GpuContext,
    readonly encoder: GPUCommandEncoder,
    private readonly querySet?: GPUQuerySet,
  ) {}

  dispatch(spec: DispatchSpec): void {
    const { device } = this.ctx;
    const label = spec.label ?? spec.shader;
    const pipeline = this.ctx.pipeline(spec.shader, spec.entryPoint, spec.constants);
    const entries: GPUBindGroupEntry[] = [];
    let binding = 0;
    if (spec.uniforms) {
      this.ctx.checkUniforms(spec.shader, spec.entryPoint ?? 'main', label, spec.uniforms);
      const ub = this.ctx.pool.acquire(`${label}.params`, spec.uniforms.byteLength, UNIFORM | COPY_DST);
      device.queue.writeBuffer(ub, 0, spec.uniforms);
      this.temps.push(ub);
      entries.push({ binding: binding++, resource: { buffer: ub, size: spec.uniforms.byteLength } });
    }
    for (const b of spec.buffers) entries.push({ binding: binding++, resource: { buffer: b } });
    const bindGroup = device.createBindGroup({ label: `${label}.bind`, layout: pipeline.getBindGroupLayout(0), entries });
    const [x, y = 1, z = 1] = spec.workgroups;
    const maxDim = this.ctx.limits.maxComputeWorkgroupsPerDimension ?? 65535;
    if (x > maxDim || y > maxDim || z > maxDim) {
      throw new RangeError(`${label}: dispatch (${x}, ${y}, ${z}) exceeds maxComputeWorkgroupsPerDimension ${maxDim}`);
    }
    if (x === 0 || y === 0 || z === 0) return;
    let pass = this.pass;
    if (this.querySet) {
      // Profiling: one pass per dispatch so each gets its own pair of timestamps.
      this.endPass();
      const i = this.timedLabels.length;
      if (2 * i + 2 > this.querySet.count) throw new RangeError('too many timed dispatches in one run');
      this.timedLabels.push(label);
      pass = this.encoder.beginComputePass({
        label,
        timestampWrites: { querySet: this.querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 },
      });
    } else if (!pass) {
      pass = this.encoder.beginComputePass({ label: `${label}.pass` });
    }
    this.pass = pass;
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y, z);
    if (this.querySet) this.endPass();
  }

  /** Ends the current compute pass, e.g. before a copy. Dispatches after it open a new pass. */
  endPass(): void {
    this.pass?.end();
    this.pass = undefined;
  }

  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    this.endPass();
    this.encoder.copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
  }

  /** Zeroes `bytes` of `buffer` from `offset` (default: all of it). */
  clear(buffer: GPUBuffer, offset = 0, bytes?: number): void {
    this.endPass();
    this.encoder.clearBuffer(buffer, offset, bytes);
  }

  get timedDispatches(): readonly string[] {
    return this.timedLabels;
  }
}

export interface ContextStats {
  submits: number;
  dispatchRuns: number;
  readbacks: number;
}

export class GpuContext {
  readonly pipelines: PipelineCache;
  readonly pool: BufferPool;
  /** Shader sources by name; tests may replace one to prove a broken kernel is caught. */
  readonly shaders: Record<ShaderName, string>;
  readonly stats: ContextStats = { submits: 0, dispatchRuns: 0, readbacks: 0 };
  /** Each shader's uniform struct kinds (null: unchecked), parsed on first dispatch: one entry per shader. */
  private readonly uniformKinds = new Map<string, UniformLayout | null>();
  lostInfo: { reason: string; message: string } | undefined;
  private readonly lostListeners = new Set<(info: { reason: string; message: string }) => void>();
  private readonly owned = new Set<GPUBuffer>();

  constructor(
    readonly device: GPUDevice,
    readonly adapter: AdapterSummary,
    shaders: ShaderSources,
    pipelines?: PipelineCache,
  ) {
    this.pipelines = pipelines ?? new PipelineCache(device);
    this.pool = new BufferPool(device);
    this.shaders = { ...shaders };
    device.lost.then((info) => {
      this.lostInfo = { reason: info.reason, message: info.message };
      for (const l of this.lostListeners) l(this.lostInfo);
    });
  }

  /** Acquires a device; `shaders` is the registry (kernels/shaders' `shaderSources`), `shaderOverrides` a test hook. */
  static async create(options: AcquireOptions & { shaders: ShaderSources; shaderOverrides?: Partial<Record<ShaderName, string>> }) {
    const { device, info } = await acquireDevice(options);
    return new GpuContext(device, info, { ...options.shaders, ...options.shaderOverrides });
  }

  /**
   * A sibling context on the same device with its own buffers (disposed independently), sharing the pipeline
   * cache (the cache is keyed by shader text, so overridden shaders never collide with the originals).
   */
  fork(shaderOverrides: Partial<Record<ShaderName, string>> = {}): GpuContext {
    const child = new GpuContext(this.device, this.adapter, { ...this.shaders, ...shaderOverrides }, this.pipelines);
    return child;
  }

  get limits(): Record<string, number> {
    return this.adapter.limits;
  }

  get hasTimestamps(): boolean {
    return this.device.features.has('timestamp-query');
  }

  /** Registers a listener for device loss; returns an unsubscribe function. */
  onLost(listener: (info: { reason: string; message: string }) => void): () => void {
    this.lostListeners.add(listener);
    if (this.lostInfo) listener(this.lostInfo);
    return () => this.lostListeners.delete(listener);
  }

  private assertAlive(label: string): void {
    if (this.lostInfo) throw new DeviceLostError(label, this.lostInfo.reason, this.lostInfo.message);
  }

  /**
   * Checks uniforms packed by `UniformWriter` against the struct the shader declares at binding 0 (kinds and count, in
   * order); raw bytes and structs with non-scalar members pass unchecked. Parsed once per shader (one entry each).
   */
  checkUniforms(shader: ShaderName, entryPoint: string, label: string, uniforms: Uint8Array): void {
    const written = (uniforms as UniformBytes).uniformKinds;
    if (!written) return;
    let want = this.uniformKinds.get(shader);
    if (want === undefined) {
      want = uniformStructKinds(this.shaders[shader] ?? '');
      this.uniformKinds.set(shader, want);
    }
    if (want && !uniformsFit(want, written)) {
      const expected = Array.isArray(want) ? want.join(', ') : `at most ${want.words} packed words`;
      throw new RangeError(`${label}: the uniforms written (${written.join(', ')}) do not match shader '${shader}' (${entryPoint})'s uniform struct (${expected})`);
    }
  }

  pipeline(shader: ShaderName, entryPoint = 'main', constants: Record<string, number> = {}): GPUComputePipeline {
    const code = this.shaders[shader];
    if (code === undefined) throw new Error(`unknown shader '${shader}'`);
    return this.pipelines.get(shader, code, entryPoint, constants);
  }

  /** A storage buffer (STORAGE | COPY_SRC | COPY_DST) from the pool. Give it back with `release`. */
  buffer(label: string, bytes: number, usage: GPUBufferUsageFlags = STORAGE): GPUBuffer {
    this.assertAlive(label);
    const b = this.pool.acquire(label, Math.max(bytes, 4), usage);
    this.owned.add(b);
    return b;
  }

  /** A storage buffer holding `data`. */
  upload(label: string, data: ArrayBufferView, usage: GPUBufferUsageFlags = STORAGE): GPUBuffer {
    const b = this.buffer(label, data.byteLength, usage);
    this.device.queue.writeBuffer(b, 0, data.buffer, data.byteOffset, data.byteLength);
    return b;
  }

  write(buffer: GPUBuffer, data: ArrayBufferView, offsetBytes = 0): void {
    this.device.queue.writeBuffer(buffer, offsetBytes, data.buffer, data.byteOffset, data.byteLength);
  }

  release(...buffers: (GPUBuffer | undefined)[]): void {
    for (const b of buffers) {
      if (!b || !this.owned.delete(b)) continue;
      this.pool.release(b);
    }
  }

  /**
   * Records work into one command encoder and submits it once. Validation errors inside become a thrown
   * GpuError naming `label`. Resolves once submitted (not once finished): later submissions queue behind it.
   */
  async run(label: string, record: (rec: Recorder) => void): Promise<void> {
    this.assertAlive(label);
    let temps: GPUBuffer[] = [];
    await withErrorScope(this.device, label, () => {
      const encoder = this.device.createCommandEncoder({ label });
      const rec = new Recorder(this, encoder);
      try {
        record(rec);
      } finally {
        temps = rec.temps;
      }
      rec.endPass();
      this.device.queue.submit([encoder.finish({ label })]);
      this.stats.submits++;
      this.stats.dispatchRuns++;
    });
    this.releaseWhenDone(temps);
  }

  /**
   * As `run`, but each dispatch in its own pass with GPU timestamps; resolves with per-dispatch times once the GPU
   * has finished. Needs the 'timestamp-query' feature.
   */
  async runTimed(label: string, record: (rec: Recorder) => void, maxDispatches = 64): Promise<KernelTiming[]> {
    this.assertAlive(label);
    if (!this.hasTimestamps) throw new Error(`${label}: adapter has no 'timestamp-query'`);
    const querySet = this.device.createQuerySet({ label: `${label}.timestamps`, type: 'timestamp', count: 2 * maxDispatches });
    const resolveBuf = this.pool.acquire(`${label}.resolve`, 16 * maxDispatches, QUERY_RESOLVE | COPY_SRC);
    let timed: readonly string[] = [];
    let temps: GPUBuffer[] = [];
    await withErrorScope(this.device, label, () => {
      const encoder = this.device.createCommandEncoder({ label });
      const rec = new Recorder(this, encoder, querySet);
      try {
        record(rec);
      } finally {
        temps = rec.temps;
      }
      rec.endPass();
      timed = rec.timedDispatches;
      if (timed.length) encoder.resolveQuerySet(querySet, 0, 2 * timed.length, resolveBuf, 0);
      this.device.queue.submit([encoder.finish({ label })]);
      this.stats.submits++;
    });
    this.releaseWhenDone(temps);
    const times = timed.length ? new BigUint64Array(await this.readRaw(resolveBuf, 0, 16 * timed.length)) : new BigUint64Array();
    this.pool.release(resolveBuf);
    querySet.destroy();
    return timed.map((l, i) => ({ label: l, ns: Number(times[2 * i + 1] - times[2 * i]) }));
  }

  private releaseWhenDone(temps: GPUBuffer[]): void {
    if (!temps.length) return;
    this.device.queue.onSubmittedWorkDone().then(
      () => temps.forEach((t) => this.pool.release(t)),
      () => undefined,
    );
  }

  private async readRaw(buffer: GPUBuffer, offset: number, bytes: number): Promise<ArrayBuffer> {
    const label = `${buffer.label || 'buffer'}.readback`;
    this.assertAlive(label);
    const staging = this.pool.acquire(label, bytes, MAP_READ | COPY_DST);
    try {
      await withErrorScope(this.device, label, () => {
        const enc = this.device.createCommandEncoder({ label });
        enc.copyBufferToBuffer(buffer, offset, staging, 0, bytes);
        this.device.queue.submit([enc.finish()]);
      });
      await staging.mapAsync(GPUMapMode.READ, 0, bytes);
      this.stats.readbacks++;
      return staging.getMappedRange(0, bytes).slice(0);
    } finally {
      this.pool.release(staging);
    }
  }

  /** Copies `count` f32 values (from element `offset`) back to the CPU. */
  async readF32(buffer: GPUBuffer, count?: number, offset = 0): Promise<Float32Array> {
    const n = count ?? (buffer.size / 4 - offset);
    return new Float32Array(await this.readRaw(buffer, offset * 4, n * 4));
  }

  async readU32(buffer: GPUBuffer, count?: number, offset = 0): Promise<Uint32Array> {
    const n = count ?? (buffer.size / 4 - offset);
    return new Uint32Array(await this.readRaw(buffer, offset * 4, n * 4));
  }

  /**
   * Several 4-byte-element regions read back together: one copy per region into one staging buffer, one submission,
   * one map — one readback, where a loss that reads its value and gradients separately would wait once per buffer.
   * Returns each region's bytes, in order (wrap as Float32Array / Uint32Array).
   */
  async readMany(parts: ReadonlyArray<{ buffer: GPUBuffer; count: number; offset?: number }>): Promise<ArrayBuffer[]> {
    const label = `${[...new Set(parts.map((p) => p.buffer.label || 'buffer'))].join('+')}.readback`;
    this.assertAlive(label);
    const starts: number[] = [];
    let total = 0;
    for (const p of parts) {
      if (!Number.isInteger(p.count) || p.count < 0) throw new RangeError(`readMany: count ${p.count} of ${p.buffer.label}`);
      starts.push(total);
      total += p.count * 4;
    }
    if (total === 0) return parts.map(() => new ArrayBuffer(0));
    const staging = this.pool.acquire(label, total, MAP_READ | COPY_DST);
    try {
      await withErrorScope(this.device, label, () => {
        const enc = this.device.createCommandEncoder({ label });
        parts.forEach((p, i) => {
          if (p.count > 0) enc.copyBufferToBuffer(p.buffer, (p.offset ?? 0) * 4, staging, starts[i], p.count * 4);
        });
        this.device.queue.submit([enc.finish()]);
      });
      await staging.mapAsync(GPUMapMode.READ, 0, total);
      this.stats.readbacks++;
      const all = staging.getMappedRange(0, total);
      return parts.map((p, i) => all.slice(starts[i], starts[i] + p.count * 4));
    } finally {
      this.pool.release(staging);
    }
  }

  /** Waits until the GPU has finished all submitted work. */
  async finish(): Promise<void> {
    await this.device.queue.onSubmittedWorkDone();
  }

  /** Destroys every buffer this context handed out and every pooled buffer. The device stays usable. */
  disposeBuffers(): void {
    for (const b of this.owned) b.destroy();
    this.owned.clear();
    this.pool.trim();
  }

  destroy(): void {
    this.disposeBuffers();
    this.pipelines.clear();
    this.device.destroy();
  }
}
