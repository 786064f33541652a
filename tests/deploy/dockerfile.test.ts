/**
 * deploy/Dockerfile cannot be built in CI (no container daemon there): these checks keep it from drifting from what
 * the project knows works — CI's Mesa recipe, the Node range of package.json, and the two things without which Dawn
 * silently falls back to lavapipe on an NVIDIA node (the Vulkan ICD manifest, `graphics` in the capabilities).
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const dockerfile = readFileSync('deploy/Dockerfile', 'utf8');
const ciRecipe = readFileSync('.ci/install-system.sh', 'utf8');

describe('runner image definition', () => {
  it('installs Mesa lavapipe from backports exactly as CI does', () => {
    const awk = ciRecipe.match(/awk '[^']+' "\$src"/)![0].replace('"$src"', '');
    expect(dockerfile).toContain(awk.trim());
    expect(ciRecipe).toContain('mesa-vulkan-drivers libdrm2 libvulkan1');
    expect(dockerfile).toMatch(/-t "\$\{suite\}-backports" mesa-vulkan-drivers libdrm2 libvulkan1/);
  });

  it('uses a Node major that package.json engines allow', () => {
    const major = Number(dockerfile.match(/ARG NODE_VERSION=(\d+)/)![1]);
    const min = JSON.parse(readFileSync('package.json', 'utf8')).engines.node.match(/>=(\d+)\.(\d+)/);
    expect(major).toBeGreaterThanOrEqual(Number(min[1]));
  });

  it('ships the NVIDIA Vulkan ICD manifest and asks for the graphics capability', () => {
    const copy = dockerfile.match(/COPY (deploy\/nvidia_icd\.json) (\/usr\/share\/vulkan\/icd\.d\/\S+)/)!;
    expect(existsSync(copy[1])).toBe(true);
    expect(JSON.parse(readFileSync(copy[1], 'utf8')).ICD.library_path).toBe('libGLX_nvidia.so.0');
    expect(dockerfile).toMatch(/NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics/);
  });
});
