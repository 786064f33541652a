/** The experiment's attack settings as a src/attacks configuration, with the one-line description the panel shows. */
import type { AttackConfig } from '../../attacks';
import type { ExperimentConfig } from '../../experiment';

const ATTACK_NAMES: Record<string, string> = {
  'pgd-linf': 'PGD L∞', 'pgd-l2': 'PGD L2', 'apgd-ce': 'APGD-CE', 'apgd-dlr': 'APGD-DLR', cw: 'C&W margin',
};

export const fmt255 = (v: number): string => `${Number((v * 255).toFixed(2))}/255`;

export interface PlannedAttack {
  config: AttackConfig;
  norm: 'linf' | 'l2';
  describe: string;
}

/** The src/attacks configuration of the experiment's attack settings (targets are added per batch). */
export function plannedAttack(a: ExperimentConfig['attack'], classes: number, seed: number, targeted: boolean): PlannedAttack {
  const norm = a.type === 'pgd-l2' ? 'l2' : 'linf';
  const base = { eps: a.epsilon, steps: a.steps, restarts: a.restarts, seed, snap8bit: true, norm } as const;
  let config: AttackConfig;
  switch (a.type) {
    case 'pgd-linf': case 'pgd-l2': config = { ...base, method: 'pgd', loss: 'ce', alpha: a.alpha }; break;
    case 'apgd-ce': config = { ...base, method: 'apgd', loss: 'ce' }; break;
    case 'apgd-dlr': config = { ...base, method: 'apgd', loss: 'dlr' }; break;
    case 'cw': config = { ...base, method: 'pgd', loss: 'margin', alpha: a.alpha, kappa: a.cwConfidence }; break;
    default: throw new Error(`unknown attack ${String(a.type)}`);
  }
  if (config.loss === 'dlr' && classes < (targeted ? 4 : 3)) {
    throw new Error(`the ${targeted ? 'targeted ' : ''}DLR loss needs at least ${targeted ? 4 : 3} classes (it compares the top logits); there are ${classes}`);
  }
  const uses = config.method === 'pgd' ? ` · α ${fmt255(a.alpha)}` : '';
  const loss = config.loss === 'ce' ? 'cross-entropy' : config.loss === 'dlr' ? 'DLR' : `margin, κ ${a.cwConfidence}`;
  const describe = `${ATTACK_NAMES[a.type]} · ε ${fmt255(a.epsilon)}${norm === 'l2' ? ` (L2 = ${a.epsilon.toPrecision(3)})` : ''}${uses} · ` +
    `${a.steps} step${a.steps === 1 ? '' : 's'} · ${a.restarts} restart${a.restarts === 1 ? '' : 's'} · ${targeted ? 'targeted' : 'untargeted'} (${loss})`;
  return { config, norm, describe };
}
