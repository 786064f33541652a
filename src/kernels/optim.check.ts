import type { GpuContext } from '../gpu/context';
import type { KernelCheck } from '../gpu/kernelCheck';
import type { Rng } from '../util/random';
import { validate, type ValidateResult } from '../util/validate';
import { adamwStep, adamwStepRef, globalGradNorm, globalGradNormRef, sgdStep, sgdStepRef, type AdamwOptions, type SgdOptions } from './optim';

// Tolerances (|got − ref| ≤ atol + rtol·|ref|) after several f32 steps against float64: parameters are O(1) and move
// by O(lr) per step; the norm is an f32 reduction over up to 10^5 squares. A state entry (m, v, a momentum buffer) is
// a running sum that can cancel to near 0 while its terms are large (gradients of scale 3 here), so its atol is
// per entry: STATE_ATOL × max(1, Σ_t |g_t|) for m and momentum (an upper bound on the size of what they sum); v sums
// squares, never cancels, and keeps STATE_ATOL with rtol. A flat 1e-6 failed 1 seed in 100 on sgd-momentum, at
// 2.3e-6 on an entry summed from terms of size ~10.
const PARAM_TOL: [number, number] = [2e-6, 1e-5];
const STATE_ATOL = 1e-6;
const STATE_RTOL = 1e-5;
const NORM_TOL: [number, number] = [0, 2e-5];

/**
 * Gradients of several tensors packed in one flat buffer: consecutive segments with different scales (as for
 * weights, biases and norms of different layers), fresh per step.
 */
function packedGradients(rng: Rng, count: number, steps: number): Float32Array[] {
  const cuts = [0, Math.floor(count * 0.3), Math.floor(count * 0.35), Math.floor(count * 0.8), count];
  const scales = [0.02, 1, 0.2, 3];
  return Array.from({ length: steps }, () => {
    const g = rng.normal(count);
    for (let s = 0; s < 4; s++) for (let i = cuts[s]; i < cuts[s + 1]; i++) g[i] *= scales[s];
    return g;
  });
}

/** A maxGradNorm that clips every step: a fraction of the smallest gradient norm. */
function activeClip(grads: Float32Array[]): number {
  return 0.4 * Math.min(...grads.map((g) => globalGradNormRef(g).norm));
}

/** Each state tensor against its reference, with atol per entry scaled by what the entry sums (see STATE_ATOL). */
function compareState(name: string, got: Record<string, Float32Array>, want: Record<string, Float64Array>, grads: Float32Array[]): ValidateResult[] {
  return Object.keys(want).map((k) => {
    const summed = new Float64Array(want[k].length);
    if (k !== 'v') for (const g of grads) for (let j = 0; j < summed.length; j++) if (Number.isFinite(g[j])) summed[j] += Math.abs(g[j]);
    return validate(got[k], want[k], summed.map((m) => STATE_ATOL * Math.max(1, m)), STATE_RTOL, `${name} ${k}`);
  });
}

/**
 * `steps` updates of one optimiser against its float64 reference: params, logged gradient norms and the state
 * (AdamW's m and v always; SGD's momentum buffer only when momentum is on — plain SGD never touches it).
 */
function optimCase<O extends AdamwOptions | SgdOptions>(
  name: string, count: number, steps: number, opts: O, clip: boolean | 'poisoned',
  gpu: (ctx: GpuContext, params: Float32Array, grads: Float32Array[], o: O) => Promise<{ params: Float32Array; gradNorms: Float32Array; state: Record<string, Float32Array> }>,
  ref: (params: Float32Array, grads: Float32Array[], o: O) => { params: Float64Array; gradNorms: Float64Array; state: Record<string, Float64Array> },
  hasState: (o: O) => boolean,
): KernelCheck {
  return {
    name: `optim/${name}`,
    async run(ctx, rng) {
      const params = rng.normal(count, 0.5);
      const grads = packedGradients(rng, count, steps);
      const o = { ...opts, maxGradNorm: clip ? activeClip(grads) : undefined };
      // 'poisoned': a NaN in step 2's gradient and an Inf in step 4's; those updates must change nothing.
      const poisoned = clip === 'poisoned' ? [1, 3].filter((i) => i < steps) : [];
      for (const [k, i] of poisoned.entries()) grads[i][rng.int(0, count)] = k === 0 ? NaN : Infinity;
      const got = await gpu(ctx, params, grads, o);
      const want = ref(params, grads, o);
      const finite = (a: ArrayLike<number>) => Array.from(a, (v, i) => (poisoned.includes(i) ? 0 : v));
      const results = [
        validate(got.params, want.params, PARAM_TOL[0], PARAM_TOL[1], `${name} params (${steps} steps)`),
        validate(finite(got.gradNorms), finite(want.gradNorms), NORM_TOL[0], NORM_TOL[1], `${name} logged grad norms`),
        ...poisoned.map((i) => validate([Number.isFinite(got.gradNorms[i]) ? 1 : 0], [0], 0, 0, `${name}: step ${i + 1}'s logged norm is not finite`)),
      ];
      if (hasState(o)) results.push(...compareState(name, got.state, want.state, grads));
      return results;
    },
  };
}

const adamwCase = (name: string, count: number, steps: number, opts: AdamwOptions, clip: boolean | 'poisoned') =>
  optimCase(name, count, steps, opts, clip, adamwStep, adamwStepRef, () => true);

const sgdCase = (name: string, count: number, steps: number, opts: SgdOptions, clip: boolean | 'poisoned') =>
  optimCase(name, count, steps, opts, clip, sgdStep, sgdStepRef, (o) => !!o.momentum);

/** The norm buffer itself: ‖g‖ over more than GRAD_NORM_PARTIALS·256 elements (stage 1 loops) and the clip scale. */
const gradNormCase: KernelCheck = {
  name: 'optim/global-grad-norm',
  async run(ctx, rng) {
    const g = packedGradients(rng, 70_001, 1)[0];
    const maxGradNorm = 0.5 * globalGradNormRef(g).norm;
    const got = await globalGradNorm(ctx, g, maxGradNorm);
    const want = globalGradNormRef(g, maxGradNorm);
    const unclipped = await globalGradNorm(ctx, g);
    return validate([got.norm, got.scale, unclipped.scale], [want.norm, want.scale, 1], NORM_TOL[0], NORM_TOL[1], 'global grad norm, clip scale, scale without clipping');
  },
};

export const optimChecks: KernelCheck[] = [
  gradNormCase,
  adamwCase('adamw', 1003, 5, { lr: 1e-2, weightDecay: 0.05 }, false),
  adamwCase('adamw-clip', 70_001, 4, { lr: 3e-3, beta1: 0.8, beta2: 0.99, weightDecay: 0.1 }, true),
  sgdCase('sgd', 257, 4, { lr: 0.05 }, false),
  sgdCase('sgd-momentum', 4099, 5, { lr: 0.02, momentum: 0.9, dampening: 0.1, weightDecay: 1e-3 }, false),
  sgdCase('sgd-momentum-clip', 3001, 5, { lr: 0.02, momentum: 0.9, weightDecay: 1e-3 }, true),
  sgdCase('sgd-nesterov-clip', 5003, 5, { lr: 0.02, momentum: 0.8, nesterov: true, weightDecay: 5e-4 }, true),
  adamwCase('adamw-clip-nonfinite-masked', 2003, 5, { lr: 3e-3, weightDecay: 0.1 }, 'poisoned'),
  sgdCase('sgd-momentum-clip-nonfinite-masked', 1001, 5, { lr: 0.02, momentum: 0.9, weightDecay: 1e-3 }, 'poisoned'),
];
