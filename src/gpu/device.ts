/**
 * WebGPU device acquisition, the same entry point in the browser (navigator.gpu) and in Node (the `webgpu`
 * package, Google's Dawn). The device is created with the adapter's real limits, not the spec defaults.
 */
import { NoAdapterError, SoftwareAdapterError } from './errors';

export interface AcquireOptions {
  powerPreference?: GPUPowerPreference;
  /** Node only: options passed to Dawn's `create()`, e.g. ['backend=opengles'] or ['adapter=nvidia']. */
  dawnFlags?: string[];
  /** Features to enable when the adapter has them (others are ignored). */
  optionalFeatures?: GPUFeatureName[];
  label?: string;
  /**
   * Refuse a CPU-emulated adapter (`isSoftwareAdapter`) with a `SoftwareAdapterError`. Default in Node: the
   * environment variable `AOS_REQUIRE_HARDWARE_ADAPTER=1` (what the scripts' `--require-hardware-adapter` sets), so
   * a GPU node whose driver is not reachable from the container fails instead of running for days on lavapipe.
   */
  requireHardwareAdapter?: boolean;
}

export interface AcquiredDevice {
  device: GPUDevice;
  adapter: GPUAdapter;
  info: AdapterSummary;
}

export interface AdapterSummary {
  host: 'browser' | 'node';
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
  features: string[];
  limits: Record<string, number>;
}

/**
 * A CPU-emulated adapter: the fallback adapter, or Mesa's lavapipe/llvmpipe/softpipe or Google's SwiftShader by
 * name (Dawn in Node reports lavapipe as a fallback adapter; Chromium reports SwiftShader as vendor 'google',
 * architecture 'swiftshader').
 */
export function isSoftwareAdapter(a: Pick<AdapterSummary, 'isFallbackAdapter' | 'description' | 'architecture' | 'device' | 'vendor'>): boolean {
  return a.isFallbackAdapter || /llvmpipe|lavapipe|swiftshader|softpipe/i.test(`${a.description} ${a.architecture} ${a.device} ${a.vendor}`);
}

/** Environment variable that makes `acquireDevice` in Node refuse a software adapter (see AcquireOptions). */
export const REQUIRE_HARDWARE_ENV = 'AOS_REQUIRE_HARDWARE_ADAPTER';

/** Throws `SoftwareAdapterError` naming the adapter when it is CPU-emulated. */
export function assertHardwareAdapter(a: Pick<AdapterSummary, 'isFallbackAdapter' | 'description' | 'architecture' | 'device' | 'vendor'>): void {
  if (!isSoftwareAdapter(a)) return;
  const name = [a.vendor, a.architecture, a.device, a.description].filter(Boolean).join(' ') || 'unnamed adapter';
  throw new SoftwareAdapterError(name, a.isFallbackAdapter);
}

function hardwareRequired(options: AcquireOptions, host: 'browser' | 'node'): boolean {
  if (options.requireHardwareAdapter !== undefined) return options.requireHardwareAdapter;
  return host === 'node' && process.env[REQUIRE_HARDWARE_ENV] === '1';
}

// Dawn's GPU object must outlive every device it made: a collected one crashes the process
// (seen as a segfault in CallbackTaskManager::Flush). Held here for the process lifetime.
let dawnInstance: GPU | undefined;

const LIMIT_NAMES = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxUniformBufferBindingSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
  'maxBindGroups',
  'minStorageBufferOffsetAlignment',
  'minUniformBufferOffsetAlignment',
] as const;

export function isNode(): boolean {
  return typeof process !== 'undefined' && !!process.versions?.node && typeof window === 'undefined';
}

async function nodeGpu(flags: string[]): Promise<GPU> {
  if (dawnInstance) return dawnInstance;
  // The specifier is hidden from bundlers: the browser build never contains Dawn.
  const specifier = 'webgpu';
  const mod = (await import(/* @vite-ignore */ specifier)) as {
    create: (flags: string[]) => GPU;
    globals: Record<string, unknown>;
  };
  Object.assign(globalThis, mod.globals);
  dawnInstance = mod.create(flags);
  return dawnInstance;
}

export async function acquireDevice(options: AcquireOptions = {}): Promise<AcquiredDevice> {
  const host = isNode() ? 'node' : 'browser';
  let gpu: GPU | undefined;
  if (host === 'browser') {
    gpu = typeof navigator !== 'undefined' ? navigator.gpu : undefined;
    if (!gpu) {
      throw new NoAdapterError(
        'this browser',
        'navigator.gpu is missing: use a Chromium-based browser with WebGPU (headless Chromium needs --enable-unsafe-webgpu).',
      );
    }
  } else {
    gpu = await nodeGpu(options.dawnFlags ?? []);
  }
  const adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
  if (!adapter) {
    throw new NoAdapterError(
      host === 'node' ? 'Node (Dawn)' : 'this browser',
      host === 'node'
        ? 'Dawn found no Vulkan driver: install Mesa >= 25 lavapipe (run .ci/install-system.sh) or a GPU driver.'
        : 'WebGPU is disabled or unsupported here (headless Chromium needs --enable-unsafe-webgpu).',
    );
  }
  const info = adapter.info;
  const isFallbackAdapter = Boolean((info as { isFallbackAdapter?: boolean })?.isFallbackAdapter ?? (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter);
  const named = { vendor: info?.vendor ?? '', architecture: info?.architecture ?? '', device: info?.device ?? '', description: info?.description ?? '', isFallbackAdapter };
  // Checked before a device exists: nothing to release when it throws.
  if (hardwareRequired(options, host)) assertHardwareAdapter(named);
  const requiredLimits: Record<string, number> = {};
  for (const name of LIMIT_NAMES) {
    const v = (adapter.limits as unknown as Record<string, number>)[name];
    if (typeof v === 'number') requiredLimits[name] = v;
  }
  const wanted = options.optionalFeatures ?? ['timestamp-query', 'subgroups', 'shader-f16'];
  const requiredFeatures = wanted.filter((f) => adapter.features.has(f));
  const device = await adapter.requestDevice({
    label: options.label ?? 'aos-device',
    requiredLimits,
    requiredFeatures,
  });
  const limits: Record<string, number> = {};
  for (const name of LIMIT_NAMES) {
    const v = (device.limits as unknown as Record<string, number>)[name];
    if (typeof v === 'number') limits[name] = v;
  }
  return {
    device,
    adapter,
    info: {
      host,
      ...named,
      features: [...device.features].sort(),
      limits,
    },
  };
}
