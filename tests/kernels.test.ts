/** Every kernel self-check on real WebGPU in Node (Dawn), on fresh random inputs (seed printed; AOS_SEED replays). */
import { describe, expect, it } from 'vitest';
import { kernelChecks, runCheck } from '../src/selftest/checks';
import { freshSeed } from '../src/util/random';
import { withGpu } from './helpers/gpu';

const seed = freshSeed();

describe(`kernel self-checks (AOS_SEED=${seed})`, () => {
  for (const [i, check] of kernelChecks.entries()) {
    it(check.name, async () => {
      const report = await withGpu((ctx) => runCheck(ctx, check, (seed + i * 0x9e3779b1) >>> 0));
      expect(report.ok, `${report.message}\n(seed ${report.seed})`).toBe(true);
    });
  }
});
