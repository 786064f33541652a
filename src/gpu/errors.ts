/** Errors raised by the GPU runtime. Each names the labelled operation it came from. */

export class GpuError extends Error {
  constructor(
    readonly label: string,
    readonly kind: 'validation' | 'out-of-memory' | 'internal' | 'device-lost',
    message: string,
  ) {
    super(`[${kind}] ${label}: ${message}`);
    this.name = 'GpuError';
  }
}

export class DeviceLostError extends GpuError {
  constructor(label: string, readonly reason: string, detail: string) {
    super(label, 'device-lost', `GPU device was lost (${reason}): ${detail}`);
    this.name = 'DeviceLostError';
  }
}

export class NoAdapterError extends Error {
  constructor(where: string, hint: string) {
    super(`No WebGPU adapter in ${where}. ${hint}`);
    this.name = 'NoAdapterError';
  }
}

/**
 * A CPU-emulated adapter (lavapipe/llvmpipe, SwiftShader, a fallback adapter) where a hardware one was required.
 * On an NVIDIA node this is what a container without the Vulkan ICD, or without `graphics` in
 * NVIDIA_DRIVER_CAPABILITIES, gets: Dawn then silently picks lavapipe.
 */
export class SoftwareAdapterError extends Error {
  constructor(readonly adapter: string, readonly isFallbackAdapter: boolean) {
    super(
      `A hardware GPU adapter was required (--require-hardware-adapter) but WebGPU found only a software one: ${adapter}` +
        `${isFallbackAdapter ? ' (fallback adapter)' : ''}. On an NVIDIA node the container needs the NVIDIA Vulkan ICD and ` +
        'NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics (deploy/README.md); check with `vulkaninfo --summary`.',
    );
    this.name = 'SoftwareAdapterError';
  }
}

/**
 * Runs `fn` inside validation, out-of-memory and internal error scopes and throws the first error captured,
 * named by `label`. Dawn in Node prints validation errors instead of throwing: without scopes a broken pipeline
 * silently "runs", so every submission in this project goes through here.
 */
export async function withErrorScope<T>(device: GPUDevice, label: string, fn: () => T | Promise<T>): Promise<T> {
  device.pushErrorScope('internal');
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  let result: T;
  let thrown: unknown;
  try {
    result = await fn();
  } catch (e) {
    thrown = e;
  }
  const validation = await device.popErrorScope();
  const oom = await device.popErrorScope();
  const internal = await device.popErrorScope();
  if (thrown !== undefined) throw thrown;
  if (validation) throw new GpuError(label, 'validation', validation.message);
  if (oom) throw new GpuError(label, 'out-of-memory', oom.message);
  if (internal) throw new GpuError(label, 'internal', internal.message);
  return result!;
}
