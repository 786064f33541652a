/**
 * Compute pipelines keyed only on what changes the compiled program: shader text, entry point and override
 * constants. Shapes and scalars travel in uniforms, so one pipeline serves every shape. Bounded (LRU) all the same.
 *
 * Two ways in: `compile` (createComputePipelineAsync; a run's compile phase and every executor session use it) and
 * `get` (synchronous, for recording a command buffer). A `get` that misses compiles on the spot — on SwiftShader
 * that stalls the GPU process, which the page's compositor shares, for a second or more per pipeline — and is
 * counted in `blockingCompiles` so tests and benchmarks can require zero.
 */
export interface PipelineSpec {
  label: string;
  code: string;
  entryPoint?: string;
  constants?: Record<string, number>;
}

export class PipelineCache {
  private readonly entries = new Map<string, GPUComputePipeline>();
  private readonly modules = new Map<string, GPUShaderModule>();
  /** Asynchronous compiles in flight, by key (a second request for the same pipeline waits on the first). */
  private readonly pending = new Map<string, Promise<GPUComputePipeline>>();
  hits = 0;
  misses = 0;
  /** Pipelines compiled synchronously by `get` (each one a potential stall of the GPU process). */
  blockingCompiles = 0;

  constructor(
    private readonly device: GPUDevice,
    readonly capacity = 256,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(label: string, code: string, entryPoint = 'main', constants: Record<string, number> = {}): GPUComputePipeline {
    const key = keyOf(code, entryPoint, constants);
    const hit = this.lookup(key);
    if (hit) return hit;
    this.misses++;
    this.blockingCompiles++;
    const pipeline = this.device.createComputePipeline(this.descriptor(label, code, entryPoint, constants));
    this.insert(key, pipeline);
    return pipeline;
  }

  /** Compiles (createComputePipelineAsync) what is not cached yet; later `get`s of these specs are hits. */
  async compile(spec: PipelineSpec): Promise<GPUComputePipeline> {
    const entryPoint = spec.entryPoint ?? 'main', constants = spec.constants ?? {};
    const key = keyOf(spec.code, entryPoint, constants);
    const hit = this.lookup(key);
    if (hit) return hit;
    const inFlight = this.pending.get(key);
    if (inFlight) return inFlight;
    this.misses++;
    const p = this.device.createComputePipelineAsync(this.descriptor(spec.label, spec.code, entryPoint, constants)).then(
      (pipeline) => { this.insert(key, pipeline); return pipeline; },
    ).finally(() => this.pending.delete(key));
    this.pending.set(key, p);
    return p;
  }

  /**
   * Compiles a list (distinct pipelines once each, all in flight together: the driver may compile them in parallel),
   * reporting `onProgress(done, total)` after each. A compile error rejects with the pipeline's label.
   */
  async compileAll(specs: readonly PipelineSpec[], onProgress?: (done: number, total: number) => void): Promise<void> {
    const distinct = new Map<string, PipelineSpec>();
    for (const s of specs) distinct.set(keyOf(s.code, s.entryPoint ?? 'main', s.constants ?? {}), s);
    const total = distinct.size;
    let done = 0;
    onProgress?.(0, total);
    await Promise.all([...distinct.values()].map(async (s) => {
      try {
        await this.compile(s);
      } catch (e) {
        throw new Error(`compiling pipeline '${s.label}' (${s.entryPoint ?? 'main'}) failed: ${(e as Error)?.message ?? e}`, { cause: e });
      }
      onProgress?.(++done, total);
    }));
  }

  private lookup(key: string): GPUComputePipeline | undefined {
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    this.hits++;
    // Re-insert to mark as most recently used.
    this.entries.delete(key);
    this.entries.set(key, hit);
    return hit;
  }

  private descriptor(label: string, code: string, entryPoint: string, constants: Record<string, number>): GPUComputePipelineDescriptor {
    let module = this.modules.get(code);
    if (!module) {
      module = this.device.createShaderModule({ label: `${label}.wgsl`, code });
      this.modules.set(code, module);
      if (this.modules.size > this.capacity) this.modules.delete(this.modules.keys().next().value as string);
    }
    const constKeys = Object.keys(constants).sort();
    return {
      label: constKeys.length ? `${label}[${constKeys.map((k) => `${k}=${constants[k]}`).join(',')}]` : label,
      layout: 'auto',
      compute: { module, entryPoint, constants },
    };
  }

  private insert(key: string, pipeline: GPUComputePipeline): void {
    this.entries.set(key, pipeline);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
  }

  clear(): void {
    this.entries.clear();
    this.modules.clear();
  }
}

function keyOf(code: string, entryPoint: string, constants: Record<string, number>): string {
  const constKeys = Object.keys(constants).sort();
  return `${entryPoint}\u0000${constKeys.map((k) => `${k}=${constants[k]}`).join(',')}\u0000${code}`;
}
