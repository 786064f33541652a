/**
 * Compute pipelines keyed only on what changes the compiled program: shader text, entry point and override
 * constants. Shapes and scalars travel in uniforms, so one pipeline serves every shape. Bounded (LRU) all the same.
 */
export class PipelineCache {
  private readonly entries = new Map<string, GPUComputePipeline>();
  private readonly modules = new Map<string, GPUShaderModule>();
  hits = 0;
  misses = 0;

  constructor(
    private readonly device: GPUDevice,
    readonly capacity = 256,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(label: string, code: string, entryPoint = 'main', constants: Record<string, number> = {}): GPUComputePipeline {
    const constKeys = Object.keys(constants).sort();
    const key = `${entryPoint}\u0000${constKeys.map((k) => `${k}=${constants[k]}`).join(',')}\u0000${code}`;
    const hit = this.entries.get(key);
    if (hit) {
      this.hits++;
      // Re-insert to mark as most recently used.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    this.misses++;
    let module = this.modules.get(code);
    if (!module) {
      module = this.device.createShaderModule({ label: `${label}.wgsl`, code });
      this.modules.set(code, module);
    }
    const pipeline = this.device.createComputePipeline({
      label: constKeys.length ? `${label}[${constKeys.map((k) => `${k}=${constants[k]}`).join(',')}]` : label,
      layout: 'auto',
      compute: { module, entryPoint, constants },
    });
    this.entries.set(key, pipeline);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    if (this.modules.size > this.capacity) {
      const oldest = this.modules.keys().next().value as string;
      this.modules.delete(oldest);
    }
    return pipeline;
  }

  clear(): void {
    this.entries.clear();
    this.modules.clear();
  }
}
