/**
 * `--require-hardware-adapter`: a run meant for a GPU node fails loudly on a CPU-emulated adapter instead of
 * running for days on lavapipe (what Dawn picks when the container lacks the NVIDIA Vulkan ICD or the `graphics`
 * driver capability).
 */
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { acquireDevice, assertHardwareAdapter, isSoftwareAdapter, REQUIRE_HARDWARE_ENV } from '../../src/gpu/device';
import { SoftwareAdapterError } from '../../src/gpu/errors';
import { scriptFlags } from '../../scripts/cli';
import { sharedDevice } from '../helpers/gpu';

const lavapipe = { vendor: 'mesa', architecture: '', device: 'llvmpipe (LLVM 19.1.7, 256 bits)', description: 'Mesa 25.0.7', isFallbackAdapter: true };
const nvidia = { vendor: 'nvidia', architecture: 'hopper', device: 'NVIDIA H100 80GB HBM3', description: 'NVIDIA: 550.54', isFallbackAdapter: false };

describe('hardware adapter requirement', () => {
  const saved = process.env[REQUIRE_HARDWARE_ENV];
  afterEach(() => {
    if (saved === undefined) delete process.env[REQUIRE_HARDWARE_ENV];
    else process.env[REQUIRE_HARDWARE_ENV] = saved;
  });

  it('refuses a software adapter with a message naming it and the fix', () => {
    expect(() => assertHardwareAdapter(lavapipe)).toThrow(SoftwareAdapterError);
    expect(() => assertHardwareAdapter(lavapipe)).toThrow(/llvmpipe.*fallback adapter.*NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics/s);
    // SwiftShader is named by architecture, not always flagged as fallback.
    expect(() => assertHardwareAdapter({ vendor: 'google', architecture: 'swiftshader', device: '', description: '', isFallbackAdapter: false })).toThrow(/swiftshader/);
    expect(() => assertHardwareAdapter(nvidia)).not.toThrow();
  });

  it('--require-hardware-adapter reaches the device through the environment; a value is refused', () => {
    delete process.env[REQUIRE_HARDWARE_ENV];
    expect(scriptFlags(['--limit', '3'])).toEqual({ limit: '3' });
    expect(process.env[REQUIRE_HARDWARE_ENV]).toBeUndefined();
    scriptFlags(['--require-hardware-adapter', '--limit', '3']);
    expect(process.env[REQUIRE_HARDWARE_ENV]).toBe('1');
    scriptFlags(['--require-hardware-adapter=false']);
    expect(process.env[REQUIRE_HARDWARE_ENV]).toBe('0');
    expect(() => scriptFlags(['--require-hardware-adapter', 'nvidia'])).toThrow(/takes no value/);
  });

  it('acquireDevice refuses this machine\'s adapter exactly when it is a software one', async () => {
    const { info } = await sharedDevice();
    const required = acquireDevice({ label: 'hardware-required', requireHardwareAdapter: true });
    if (isSoftwareAdapter(info)) await expect(required).rejects.toThrow(SoftwareAdapterError);
    else (await required).device.destroy();
  });

  it('a script run with the flag exits non-zero with the message on a software adapter', () => {
    const { status, stderr } = spawnSync(process.execPath, ['--import', 'tsx', '--import', './scripts/raw-loader.mjs', 'scripts/train/eval.ts',
      '--require-hardware-adapter', '--dataset', 'digits', '--limit', '1'], { encoding: 'utf8', timeout: 100_000 });
    const software = /A hardware GPU adapter was required/.test(stderr);
    // On a GPU machine the same command evaluates one image and succeeds; here (lavapipe) it must fail, loudly.
    if (software) expect(status).toBe(1);
    else expect(status, stderr).toBe(0);
    return sharedDevice().then(({ info }) => expect(software).toBe(isSoftwareAdapter(info)));
  });
});
