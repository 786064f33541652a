/** Every WGSL source of the project, by name. Loaded as text the same way by Vite, vitest and the Node runners. */
import matmul from '../../shaders/matmul.wgsl?raw';
import accumulate from '../../shaders/accumulate.wgsl?raw';
import random from '../../shaders/random.wgsl?raw';
import workgroupSum from '../../shaders/workgroup_sum.wgsl?raw';
import randomFill from '../../shaders/random_fill.wgsl?raw';
import pgd from '../../shaders/pgd.wgsl?raw';
import optim from '../../shaders/optim.wgsl?raw';
import gram from '../../shaders/gram.wgsl?raw';
import crossentropy from '../../shaders/crossentropy.wgsl?raw';
import normalize from '../../shaders/normalize.wgsl?raw';
import ensemble from '../../shaders/ensemble.wgsl?raw';
import prompt_attack from '../../shaders/prompt_attack.wgsl?raw';
import fare from '../../shaders/fare.wgsl?raw';
import kl from '../../shaders/kl.wgsl?raw';
import statsMean from '../../shaders/stats_mean.wgsl?raw';
import subspace_basis from '../../shaders/subspace_basis.wgsl?raw';
import subspace_cross from '../../shaders/subspace_cross.wgsl?raw';
import subspace_angles from '../../shaders/subspace_angles.wgsl?raw';
import subspace_gram from '../../shaders/subspace_gram.wgsl?raw';
import subspace_loss from '../../shaders/subspace_loss.wgsl?raw';
import subspace_apply from '../../shaders/subspace_apply.wgsl?raw';
import subspace_reduce from '../../shaders/subspace_reduce.wgsl?raw';
import subspace_residual_basis from '../../shaders/subspace_residual_basis.wgsl?raw';
import subspace_residual from '../../shaders/subspace_residual.wgsl?raw';
import exec_common from '../../shaders/exec_common.wgsl?raw';
import exec_matmul from '../../shaders/exec_matmul.wgsl?raw';
import exec_norm from '../../shaders/exec_norm.wgsl?raw';
import exec_gather from '../../shaders/exec_gather.wgsl?raw';
import exec_scatter from '../../shaders/exec_scatter.wgsl?raw';
import exec_conv from '../../shaders/exec_conv.wgsl?raw';
import attack_margin from '../../shaders/attack_margin.wgsl?raw';
import attack_track from '../../shaders/attack_track.wgsl?raw';
import attack_apgd from '../../shaders/attack_apgd.wgsl?raw';
import attack_square from '../../shaders/attack_square.wgsl?raw';
import attack_snap from '../../shaders/attack_snap.wgsl?raw';

export const shaderSources = {
  matmul,
  accumulate,
  random: random + '\n' + randomFill, // random.wgsl is a library, prepended to kernels that draw
  pgd: [random, workgroupSum, pgd].join('\n'), // workgroup_sum.wgsl: the shared tree reduction
  optim: workgroupSum + '\n' + optim,
  gram,
  crossentropy,
  normalize: workgroupSum + '\n' + normalize,
  ensemble,
  prompt_attack: workgroupSum + '\n' + prompt_attack,
  fare: [workgroupSum, statsMean, fare].join('\n'), // stats_mean.wgsl: the per-sample stats' mean
  kl: [workgroupSum, statsMean, kl].join('\n'),
  subspace_basis,
  subspace_cross,
  subspace_angles,
  subspace_gram,
  subspace_loss,
  subspace_apply,
  subspace_reduce,
  subspace_residual_basis: workgroupSum + '\n' + subspace_residual_basis,
  subspace_residual: workgroupSum + '\n' + subspace_residual,
  exec_common,
  exec_matmul,
  exec_norm,
  exec_gather,
  exec_scatter,
  exec_conv,
  attack_margin,
  attack_track,
  attack_apgd: workgroupSum + '\n' + attack_apgd,
  attack_square: random + '\n' + attack_square,
  attack_snap: workgroupSum + '\n' + attack_snap,
} as const;

export type { ShaderName } from '../gpu/context';

// Registers these names with the runtime (src/gpu/context.ts), which takes the sources at creation.
declare module '../gpu/context' {
  interface ShaderRegistry extends Record<keyof typeof shaderSources, string> {}
}
