import type { KernelCheck } from '../gpu/kernelCheck';
import { validate, type ValidateResult } from '../util/validate';
import { randomFill, randomFillRef, type RandomDistribution } from './random';

// u32 and uniform draws are exact (the uniform is 24 bits, exact in f32). Normals go through f32 log/sqrt/cos/sin
// on the GPU, and WGSL only promises cos/sin to an absolute 2^-11 on [-π, π] (SwiftShader uses that latitude:
// errors of 7e-4 seen there; Dawn/Vulkan stays under 1e-5). With |z| ≤ 5.8 the bound is 5.8·2^-11 + log/sqrt ulps.
const TOL: Record<RandomDistribution, [atol: number, rtol: number]> = { u32: [0, 0], uniform: [0, 0], normal: [6 * 2 ** -11, 1e-5] };

/** Sample mean and variance against the distribution's, to 6 standard errors (catches a wrong but matched CPU copy). */
function moments(x: ArrayLike<number>, mean: number, variance: number, name: string): ValidateResult {
  const n = x.length;
  let s = 0, s2 = 0;
  for (let i = 0; i < n; i++) s += x[i];
  const m = s / n;
  for (let i = 0; i < n; i++) s2 += (x[i] - m) ** 2;
  const v = s2 / (n - 1);
  // Standard errors: mean sqrt(var/n); variance about var*sqrt(2/n) (normal), less for uniform.
  return validate([m, v], [mean, variance], 6 * Math.sqrt(variance / n) + 6 * variance * Math.sqrt(2 / n), 0, `${name} moments`);
}

function randomCase(dist: RandomDistribution, count: number): KernelCheck {
  return {
    name: `random/${dist}`,
    async run(ctx, rng) {
      const shape = { count, seed: rng.nextU32(), stream: rng.int(0, 1000), dist };
      const got = await randomFill(ctx, shape);
      const want = randomFillRef(shape);
      const [atol, rtol] = TOL[dist];
      const results = [validate(got, want, atol, rtol, `random ${dist} (seed ${shape.seed}, stream ${shape.stream})`)];
      if (dist === 'uniform') {
        results.push(moments(got, 0.5, 1 / 12, 'uniform'));
        let outside = 0;
        for (let i = 0; i < got.length; i++) outside += Number(!(got[i] >= 0 && got[i] < 1));
        results.push(validate([outside], [0], 0, 0, 'uniform draws outside [0, 1)'));
      }
      if (dist === 'normal') results.push(moments(got, 0, 1, 'normal'));
      return results;
    },
  };
}

/** Different streams and seeds must give different sequences (a key-mixing bug would make them collide). */
const streamsDiffer: KernelCheck = {
  name: 'random/streams-differ',
  async run(ctx, rng) {
    const seed = rng.nextU32(), count = 777;
    const a = await randomFill(ctx, { count, seed, stream: 3, dist: 'u32' });
    const b = await randomFill(ctx, { count, seed, stream: 4, dist: 'u32' });
    const c = await randomFill(ctx, { count, seed: (seed + 1) >>> 0, stream: 3, dist: 'u32' });
    let same = 0;
    for (let i = 0; i < count; i++) same += Number(a[i] === b[i]) + Number(a[i] === c[i]);
    return [
      validate(b, randomFillRef({ count, seed, stream: 4, dist: 'u32' }), 0, 0, 'random stream 4'),
      validate([same], [0], 0, 0, 'equal draws across streams/seeds'),
    ];
  },
};

export const randomChecks: KernelCheck[] = [
  randomCase('u32', 4099),
  randomCase('uniform', 20_003),
  randomCase('normal', 20_003),
  streamsDiffer,
];
