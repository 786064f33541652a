import type { KernelCheck } from '../gpu/kernelCheck';
import type { Rng } from '../util/random';
import { validate } from '../util/validate';
import { accumulateRef, encodeAccumulate, type AccumulateRange } from './accumulate';

/**
 * Random ranges into one destination, each added twice (accumulation, not copy), the rest of the destination left
 * alone. Sizes cross the 256-thread workgroup (the y spill past 65535 workgroups is `itemGrid`'s, shared with
 * normalize; a 16.7 M-element check would be too slow for the browser's self-test).
 * An f32 add is exact to the rounding both sides share: tolerance 0.
 */
function accumulateCase(name: string, dstLen: number, ranges: (rng: Rng) => AccumulateRange[]): KernelCheck {
  return {
    name: `accumulate/${name}`,
    async run(ctx, rng) {
      const rs = ranges(rng);
      const srcLen = Math.max(1, ...rs.map((r) => (r.srcOffset ?? 0) + r.count));
      const dst0 = rng.normal(dstLen), src = rng.normal(srcLen);
      const dst = ctx.upload('accumulate.check.dst', dst0), s = ctx.upload('accumulate.check.src', src);
      try {
        await ctx.run('accumulate.check', (rec) => {
          for (const r of rs) for (let k = 0; k < 2; k++) encodeAccumulate(rec, dst, s, r);
        });
        const ref = Float32Array.from(dst0);
        for (const r of rs) for (let k = 0; k < 2; k++) accumulateRef(ref, src, r);
        return validate(await ctx.readF32(dst, dstLen), ref, 0, 0, name);
      } finally {
        ctx.release(dst, s);
      }
    },
  };
}

export const accumulateChecks: KernelCheck[] = [
  accumulateCase('ranges', 5000, (rng) => {
    const out: AccumulateRange[] = [];
    let at = 0;
    while (at < 4800) {
      const count = 1 + Math.floor(rng.next() * 700);
      out.push({ count: Math.min(count, 5000 - at), dstOffset: at, srcOffset: Math.floor(rng.next() * 50) });
      at += count + Math.floor(rng.next() * 40);
    }
    return out;
  }),
  accumulateCase('large', 262_147, () => [{ count: 262_147 }, { count: 1000, dstOffset: 261_000, srcOffset: 5 }]),
];
