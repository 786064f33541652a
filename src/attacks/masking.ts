/**
 * Gradient-masking checks (the sanity checks of Carlini et al. 2019 / Croce & Hein 2020, on one batch):
 *  - robust accuracy must fall (weakly) as ε grows and reach about 0 at a large ε;
 *  - a gradient-free search (Square-style, L∞) must never be much stronger than the gradient attack at the same ε;
 *  - the gradient attack's loss must rise (its own warnings: `loss-not-rising`, `loss-stalled`).
 * Any failure is returned as a warning; a model that passes is not proven robust, one that fails is suspect.
 */
import type { GpuContext } from '../gpu/context';
import { runAttack, type AttackConfig, type AttackInputs, type AttackProgress, type AttackWarning } from './attack';
import type { AttackTarget } from './model';

export interface MaskingCheckOptions {
  /** Budgets of the sweep, increasing; the last should be large enough to break any classifier (e.g. 64/255). */
  epsList: number[];
  /**
   * Larger budgets tried in order, only while robust accuracy at the last budget swept is still above
   * `zeroTolerance`: "accuracy → 0 as ε grows" is a property of the curve, not of one grid's end — a model trained
   * at a large ε can keep accuracy at the end of a grid chosen for the undefended model and still fall to 0 beyond it
   * (an attack that cannot find those examples at any budget is the masking sign). Default none.
   */
  extendEps?: number[];
  /** The gradient attack (eps is taken from the sweep). Default PGD L∞, CE, 10 steps. */
  attack?: Omit<AttackConfig, 'eps'>;
  /** Queries of the random search per budget (default 100); 0 skips it. */
  squareQueries?: number;
  /** Budgets at which the random search also runs (default: every budget of the sweep). */
  squareEps?: number[];
  /** Accuracy allowed at the largest ε (default 0.05). */
  zeroTolerance?: number;
  /** How much lower the random search's robust accuracy may be than the gradient attack's (default 0.1). */
  squareTolerance?: number;
  /** How much robust accuracy may rise from one ε to the next (default 0: none). */
  monotoneTolerance?: number;
  seed?: number;
  onProgress?: (what: string, p: AttackProgress) => void;
  signal?: AbortSignal;
}

export type MaskingWarningCode = 'sweep-not-monotone' | 'sweep-not-zero' | 'random-search-stronger';

export interface MaskingWarning {
  code: MaskingWarningCode | AttackWarning['code'];
  eps?: number;
  message: string;
}

export interface MaskingReport {
  cleanAccuracy: number;
  sweep: { eps: number; robustAccuracy: number; squareRobustAccuracy?: number }[];
  warnings: MaskingWarning[];
}

export async function gradientMaskingReport(
  ctx: GpuContext, model: AttackTarget, inputs: AttackInputs, o: MaskingCheckOptions,
): Promise<MaskingReport> {
  const attack: Omit<AttackConfig, 'eps'> = o.attack ?? { method: 'pgd', norm: 'linf', steps: 10, loss: 'ce' };
  const queries = o.squareQueries ?? 100;
  const squareEps = new Set(o.squareEps ?? o.epsList);
  const warnings: MaskingWarning[] = [];
  const sweep: MaskingReport['sweep'] = [];
  let cleanAccuracy = NaN;
  const tolZero = o.zeroTolerance ?? 0.05;
  const largest = o.epsList[o.epsList.length - 1] ?? 0;
  const extra = (o.extendEps ?? []).filter((e) => e > largest);
  const budgets = [...o.epsList, ...extra];
  for (const eps of budgets) {
    if (eps > largest && sweep.length && sweep[sweep.length - 1].robustAccuracy <= tolZero) break;
    const r = await runAttack(ctx, model, inputs, { ...attack, eps, seed: o.seed }, {
      signal: o.signal, onProgress: (p) => o.onProgress?.(`${attack.method} ε=${eps}`, p),
    });
    ctx.release(r.adversarial);
    cleanAccuracy = r.cleanAccuracy;
    for (const w of r.warnings) warnings.push({ code: w.code, eps, message: `ε = ${eps}: ${w.message}` });
    const row: MaskingReport['sweep'][number] = { eps, robustAccuracy: r.robustAccuracy };
    if (queries > 0 && squareEps.has(eps) && (attack.norm ?? 'linf') === 'linf') {
      const s = await runAttack(ctx, model, inputs, { method: 'square', eps, steps: queries, seed: o.seed, targets: attack.targets }, {
        signal: o.signal, onProgress: (p) => o.onProgress?.(`square ε=${eps}`, p),
      });
      ctx.release(s.adversarial);
      row.squareRobustAccuracy = s.robustAccuracy;
      if (s.robustAccuracy < r.robustAccuracy - (o.squareTolerance ?? 0.1)) {
        warnings.push({
          code: 'random-search-stronger', eps,
          message: `ε = ${eps}: the gradient-free search leaves ${(100 * s.robustAccuracy).toFixed(1)}% robust, the gradient attack ${(100 * r.robustAccuracy).toFixed(1)}%: the gradients mislead (masking)`,
        });
      }
    }
    sweep.push(row);
  }
  const tolMono = o.monotoneTolerance ?? 0;
  for (let i = 1; i < sweep.length; i++) {
    if (sweep[i].robustAccuracy > sweep[i - 1].robustAccuracy + tolMono) {
      warnings.push({
        code: 'sweep-not-monotone', eps: sweep[i].eps,
        message: `robust accuracy rises from ${sweep[i - 1].robustAccuracy} at ε = ${sweep[i - 1].eps} to ${sweep[i].robustAccuracy} at ε = ${sweep[i].eps}`,
      });
    }
  }
  const last = sweep[sweep.length - 1];
  if (last && last.robustAccuracy > tolZero) {
    warnings.push({
      code: 'sweep-not-zero', eps: last.eps,
      message: `robust accuracy is still ${(100 * last.robustAccuracy).toFixed(1)}% at ε = ${last.eps}: the attack is not converging (masking or too few steps)`,
    });
  }
  return { cleanAccuracy, sweep, warnings };
}
