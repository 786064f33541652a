/** The default engine per host and adapter kind (src/onnx/exec/select.ts; the measurements behind it: bench/RESULTS.md). */
import { describe, expect, it } from 'vitest';
import { isSoftwareAdapter } from '../../src/gpu/device';
import { defaultEngine, SOFTWARE_BROWSER_DEFAULT } from '../../src/onnx/exec/select';

const base = { isFallbackAdapter: false, description: '', architecture: '', device: '', vendor: '' };
const lavapipe = { ...base, host: 'node' as const, isFallbackAdapter: true, description: 'llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)', vendor: 'mesa' };
const swiftshader = { ...base, host: 'browser' as const, vendor: 'google', architecture: 'swiftshader' };
const nvidia = { ...base, vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H100 80GB HBM3' };

describe('default engine', () => {
  it('recognises software adapters by the fallback flag or by name', () => {
    expect(isSoftwareAdapter(lavapipe)).toBe(true);
    expect(isSoftwareAdapter({ ...lavapipe, isFallbackAdapter: false })).toBe(true);
    expect(isSoftwareAdapter(swiftshader)).toBe(true);
    expect(isSoftwareAdapter({ ...base, isFallbackAdapter: true })).toBe(true);
    expect(isSoftwareAdapter(nvidia)).toBe(false);
    expect(isSoftwareAdapter({ ...base, vendor: 'apple', architecture: 'metal-3' })).toBe(false);
  });

  it('our executor on hardware GPUs (both hosts); onnxruntime-node on a software adapter in Node; the measured winner on SwiftShader', () => {
    expect(defaultEngine({ ...nvidia, host: 'node' }).engine).toBe('exec');
    expect(defaultEngine({ ...nvidia, host: 'browser' }).engine).toBe('exec');
    expect(defaultEngine(lavapipe).engine).toBe('onnxruntime');
    expect(defaultEngine(swiftshader)).toEqual(SOFTWARE_BROWSER_DEFAULT);
    for (const a of [lavapipe, swiftshader, { ...nvidia, host: 'node' as const }]) expect(defaultEngine(a).reason.length).toBeGreaterThan(20);
  });
});
