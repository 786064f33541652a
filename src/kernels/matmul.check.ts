import type { KernelCheck } from '../gpu/kernelCheck';
import { validate } from '../util/validate';
import { matmul, matmulRef, type MatmulShape } from './matmul';

function matmulCase(name: string, shape: MatmulShape, broadcastB = false): KernelCheck {
  return {
    name: `matmul/${name}`,
    async run(ctx, rng) {
      const s = { ...shape, strideB: broadcastB ? 0 : shape.strideB };
      const a = rng.uniform(s.batch * s.M * s.K);
      const b = rng.uniform((broadcastB ? 1 : s.batch) * s.K * s.N);
      const c0 = s.beta ? rng.uniform(s.batch * s.M * s.N) : undefined;
      const got = await matmul(ctx, a, b, s, c0);
      return validate(got, matmulRef(a, b, s, c0), 1e-5 * Math.sqrt(s.K), 1e-5, `matmul ${name}`);
    },
  };
}

export const matmulChecks: KernelCheck[] = [
  matmulCase('nn', { batch: 3, M: 37, N: 45, K: 29 }),
  matmulCase('tn', { batch: 2, M: 33, N: 17, K: 70, transA: true }),
  matmulCase('nt', { batch: 2, M: 65, N: 66, K: 31, transB: true }),
  matmulCase('tt', { batch: 2, M: 5, N: 130, K: 9, transA: true, transB: true }),
  matmulCase('broadcast-B', { batch: 4, M: 20, N: 24, K: 16 }, true),
  matmulCase('alpha-beta', { batch: 2, M: 19, N: 23, K: 40, alpha: -0.5, beta: 2 }),
];
