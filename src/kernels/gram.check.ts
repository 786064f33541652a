import type { KernelCheck } from '../gpu/kernelCheck';
import { validate } from '../util/validate';
import { gram, gramRef, type GramShape } from './gram';

// Tolerance as for matmul: entries are scale·(length-d dot products of U(-1, 1) values), so fp32 rounding grows
// like sqrt(d): atol 1e-5·sqrt(d)·|scale|, rtol 1e-5.
function gramCase(name: string, shape: GramShape, cross: boolean): KernelCheck {
  return {
    name: `gram/${name}`,
    async run(ctx, rng) {
      const m = shape.m ?? shape.n;
      const x = rng.uniform(shape.groups * shape.n * shape.d);
      const y = cross ? rng.uniform(shape.groups * m * shape.d) : undefined;
      const got = await gram(ctx, x, y, shape);
      const atol = 1e-5 * Math.sqrt(Math.max(shape.d, 1)) * Math.abs(shape.scale ?? 1);
      return validate(got, gramRef(x, y, shape), atol, 1e-5, `gram ${name}`);
    },
  };
}

export const gramChecks: KernelCheck[] = [
  gramCase('self-n8-d64', { groups: 16, n: 8, d: 64 }, false),
  gramCase('cross-n5-m11-d100', { groups: 7, n: 5, m: 11, d: 100 }, true),
  gramCase('cross-n17-m33-d1000', { groups: 4, n: 17, m: 33, d: 1000 }, true),
  gramCase('self-n64-d70-ridge-scale', { groups: 3, n: 64, d: 70, scale: 0.25, ridge: 0.5 }, false),
  gramCase('cross-n32-d1024-ridge', { groups: 5, n: 32, m: 32, d: 1024, scale: 1 / 1024, ridge: 1e-3 }, true),
  gramCase('cross-n64-m3-d33', { groups: 2, n: 64, m: 3, d: 33 }, true),
  gramCase('self-n1-d5', { groups: 9, n: 1, d: 5 }, false),
];

/**
 * More groups than one dispatch dimension holds (the y-spill). Node only: 66k workgroups with barriers take
 * minutes on SwiftShader, so the browser self-test leaves it out.
 */
export const gramLargeChecks: KernelCheck[] = [gramCase('many-groups', { groups: 66_000, n: 2, m: 1, d: 3 }, true)];
