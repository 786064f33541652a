/** Every WGSL source of the project, by name. Loaded as text the same way by Vite, vitest and the Node runners. */
import matmul from '../../shaders/matmul.wgsl?raw';

export const shaderSources = {
  matmul,
} as const;

export type ShaderName = keyof typeof shaderSources;
