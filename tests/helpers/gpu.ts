/**
 * Test wrapper (webgpu-utils style): `withGpu(fn)` gives `fn` a fresh GpuContext on the process's shared Dawn
 * device inside an error scope, and destroys every buffer it created afterwards. No adapter is a failure, never a
 * skip: CI must have WebGPU.
 */
import { expect, it } from 'vitest';
import { acquireDevice, type AcquiredDevice } from '../../src/gpu/device';
import { GpuContext } from '../../src/gpu/context';
import { withErrorScope } from '../../src/gpu/errors';
import { shaderSources, type ShaderName } from '../../src/kernels/shaders';

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
  const ctx = new GpuContext(device, info, { ...shaderSources, ...shaderOverrides });
  try {
    return await withErrorScope(device, 'test', () => fn(ctx));
  } finally {
    ctx.disposeBuffers();
    ctx.pipelines.clear();
  }
}

/**
 * Runs the self-check `checkName` with every occurrence of `find` in `shader` replaced by `replace`: the way tests
 * show that a deliberately broken kernel fails its check.
 */
export async function brokenKernelReport(shader: ShaderName, find: string, replace: string, checkName: string, seed: number) {
  const { shaderSources } = await import('../../src/kernels/shaders');
  const { kernelChecks, runCheck } = await import('../../src/selftest/checks');
  const broken = shaderSources[shader].replaceAll(find, replace);
  if (broken === shaderSources[shader]) throw new Error(`'${find}' not found in shader ${shader}`);
  const check = kernelChecks.find((c) => c.name === checkName);
  if (!check) throw new Error(`no self-check named ${checkName}`);
  return withGpu((ctx) => runCheck(ctx, check, seed), { [shader]: broken });
}

export interface BrokenVariant {
  name: string;
  /** The self-check that must fail. */
  check: string;
  shader: ShaderName;
  from: string;
  to: string;
}

/** One `it` per variant: the check exists, and with the shader broken it reports a mismatch. */
export function itCatchesBrokenVariants(variants: BrokenVariant[], checkNames: string[], seed: number): void {
  for (const v of variants) {
    it(`catches a broken kernel — ${v.name}`, async () => {
      expect(checkNames).toContain(v.check);
      const report = await brokenKernelReport(v.shader, v.from, v.to, v.check, seed);
      expect(report.ok, report.message).toBe(false);
      expect(report.message).toMatch(/mismatch/);
    });
  }
}
