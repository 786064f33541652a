/**
 * Test wrapper (webgpu-utils style): `withGpu(fn)` gives `fn` a fresh GpuContext on the process's shared Dawn
 * device inside an error scope, and destroys every buffer it created afterwards. No adapter is a failure, never a
 * skip: CI must have WebGPU.
 */
import { acquireDevice, type AcquiredDevice } from '../../src/gpu/device';
import { GpuContext } from '../../src/gpu/context';
import { withErrorScope } from '../../src/gpu/errors';
import type { ShaderName } from '../../src/kernels/shaders';

let shared: Promise<AcquiredDevice> | undefined;

export function sharedDevice(): Promise<AcquiredDevice> {
  shared ??= acquireDevice({ label: 'test-device' });
  return shared;
}

export async function withGpu<T>(
  fn: (ctx: GpuContext) => Promise<T>,
  shaderOverrides: Partial<Record<ShaderName, string>> = {},
): Promise<T> {
  const { device, info } = await sharedDevice();
  const ctx = new GpuContext(device, info, shaderOverrides);
  try {
    return await withErrorScope(device, 'test', () => fn(ctx));
  } finally {
    ctx.disposeBuffers();
    ctx.pipelines.clear();
  }
}
