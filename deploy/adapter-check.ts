/**
 * node --import tsx deploy/adapter-check.ts [--require-hardware-adapter]
 *
 * Prints the WebGPU adapter Dawn picks on this node (JSON) and exits: the first thing to run in a new container.
 * With the flag, a software adapter (lavapipe, a fallback adapter) is an error saying what to fix.
 */
import { acquireDevice, isSoftwareAdapter } from '../src/gpu/device';
import { scriptFlags } from '../scripts/cli';

scriptFlags();
try {
  const { device, info } = await acquireDevice({ label: 'adapter-check' });
  const { limits: _limits, ...named } = info;
  console.log(JSON.stringify({ ...named, software: isSoftwareAdapter(info), maxBufferSize: info.limits.maxBufferSize }, null, 2));
  device.destroy();
  process.exit(0);
} catch (e) {
  console.error((e as Error).message);
  process.exit(1);
}
