/**
 * A GpuContext with every workbench shader registered. No cache here: whoever owns the lifetime keeps it (the
 * engine's GPU controller, src/engine/engine.ts; a test probe page its own).
 */
import { GpuContext } from '../gpu/context';
import { shaderSources } from './shaders';

export function createWorkbenchGpuContext(): Promise<GpuContext> {
  return GpuContext.create({ shaders: shaderSources, label: 'workbench' });
}
