import { describe, expect, it } from 'vitest';
import { GpuError } from '../src/gpu/errors';
import { sizeClass } from '../src/gpu/bufferPool';
import { UniformWriter } from '../src/gpu/uniforms';
import { encodeMatmul } from '../src/kernels/matmul';
import { shaderSources } from '../src/kernels/shaders';
import { brokenKernelReport, sharedDevice, withGpu } from './helpers/gpu';

describe('GPU runtime', () => {
  it('finds a WebGPU adapter (a missing adapter fails, never skips)', async () => {
    const { info } = await sharedDevice();
    expect(info.host).toBe('node');
    expect(info.limits.maxStorageBufferBindingSize).toBeGreaterThan(0);
    console.log(`adapter: ${info.vendor} ${info.architecture} ${info.device} ${info.description}`);
  });

  it('turns a validation error into a thrown error naming the label', async () => {
    await withGpu(async (ctx) => {
      const tooSmall = ctx.buffer('tiny', 16);
      const a = ctx.buffer('a', 64 * 64 * 4);
      // C is far too small for a 64x64 result: binding validation does not catch it (runtime-sized array),
      // so use a real validation error instead: a buffer without STORAGE usage bound as storage.
      const notStorage = ctx.buffer('not-storage', 64 * 64 * 4, 0x0008 /* COPY_DST */ | 0x0004);
      const run = ctx.run('bad-binding', (rec) => encodeMatmul(rec, a, a, notStorage, { batch: 1, M: 64, N: 64, K: 64 }));
      await expect(run).rejects.toThrow(GpuError);
      await expect(ctx.run('bad-binding-2', (rec) => encodeMatmul(rec, a, tooSmall, notStorage, { batch: 1, M: 4, N: 4, K: 4 })))
        .rejects.toThrow(/bad-binding-2/);
    });
  });

  it('reports a shader compile error as a GpuError', async () => {
    await withGpu(
      async (ctx) => {
        const a = ctx.buffer('a', 64);
        await expect(ctx.run('broken-wgsl', (rec) => encodeMatmul(rec, a, a, a, { batch: 1, M: 2, N: 2, K: 2 })))
          .rejects.toThrow(/broken-wgsl/);
      },
      { matmul: shaderSources.matmul.replace('fn main', 'fn main_oops(') },
    );
  });

  it('catches a deliberately broken kernel', async () => {
    const report = await brokenKernelReport('matmul', 'acc[2] = fma(', 'acc[2] = 1.001 * fma(', 'matmul/nn', 1234);
    expect(report.ok).toBe(false);
    expect(report.message).toMatch(/mismatches/);
  });

  it('caches pipelines by shader text and override constants, not by shape', async () => {
    await withGpu(async (ctx) => {
      const a = ctx.buffer('a', 4 * 4096), c = ctx.buffer('c', 4 * 4096);
      await ctx.run('shapes', (rec) => {
        encodeMatmul(rec, a, a, c, { batch: 1, M: 8, N: 8, K: 8 });
        encodeMatmul(rec, a, a, c, { batch: 2, M: 16, N: 4, K: 3 });
        encodeMatmul(rec, a, a, c, { batch: 1, M: 8, N: 8, K: 8, transA: true });
      });
      expect(ctx.pipelines.misses).toBe(2);
      expect(ctx.pipelines.hits).toBe(1);
    });
  });

  it('pools buffers within bounded size classes', () => {
    expect(sizeClass(1)).toBe(16);
    expect(sizeClass(1000)).toBe(1024);
    expect(sizeClass(1025)).toBe(1280);
    for (const n of [17, 300, 5000, 123457, 9_999_999]) {
      expect(sizeClass(n)).toBeGreaterThanOrEqual(n);
      expect(sizeClass(n)).toBeLessThanOrEqual(Math.ceil(n * 1.25) + 16);
    }
  });

  it('packs uniforms to 16-byte blocks and rejects out-of-range integers', () => {
    expect(new UniformWriter().u32(1).f32(2).bytes().byteLength).toBe(16);
    expect(new UniformWriter().u32(1).u32(2).u32(3).u32(4).u32(5).bytes().byteLength).toBe(32);
    expect(() => new UniformWriter().u32(-1)).toThrow(RangeError);
    expect(() => new UniformWriter().u32(1.5)).toThrow(RangeError);
  });

  it('reports device loss to listeners and to later calls', async () => {
    const { acquireDevice } = await import('../src/gpu/device');
    const { GpuContext } = await import('../src/gpu/context');
    const { device, info } = await acquireDevice({ label: 'doomed' });
    const ctx = new GpuContext(device, info, shaderSources);
    const seen = new Promise<string>((resolve) => ctx.onLost((i) => resolve(i.reason)));
    device.destroy();
    expect(await seen).toBe('destroyed');
    await expect(ctx.run('after-loss', () => undefined)).rejects.toThrow(/device was lost/);
  });
});
