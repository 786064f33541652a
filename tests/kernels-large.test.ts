/** Self-checks too heavy for the software adapter of the browser suite; Node (Dawn) runs them. */
import { describe, expect, it } from 'vitest';
import { runCheck } from '../src/selftest/checks';
import { gramLargeChecks } from '../src/kernels/gram.check';
import { freshSeed } from '../src/util/random';
import { withGpu } from './helpers/gpu';

const seed = freshSeed();

describe(`large kernel self-checks (AOS_SEED=${seed})`, () => {
  for (const check of gramLargeChecks) {
    it(check.name, async () => {
      const report = await withGpu((ctx) => runCheck(ctx, check, seed));
      expect(report.ok, `${report.message}\n(seed ${report.seed})`).toBe(true);
    });
  }
});
