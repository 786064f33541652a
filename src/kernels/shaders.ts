/** Every WGSL source of the project, by name. Loaded as text the same way by Vite, vitest and the Node runners. */
import matmul from '../../shaders/matmul.wgsl?raw';
import random from '../../shaders/random.wgsl?raw';
import randomFill from '../../shaders/random_fill.wgsl?raw';
import pgd from '../../shaders/pgd.wgsl?raw';
import optim from '../../shaders/optim.wgsl?raw';
import gram from '../../shaders/gram.wgsl?raw';
import crossentropy from '../../shaders/crossentropy.wgsl?raw';
import normalize from '../../shaders/normalize.wgsl?raw';

export const shaderSources = {
  matmul,
  random: random + '\n' + randomFill, // random.wgsl is a library, prepended to kernels that draw
  pgd: random + '\n' + pgd,
  optim,
  gram,
  crossentropy,
  normalize,
} as const;

export type ShaderName = keyof typeof shaderSources;
