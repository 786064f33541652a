/** Deliberately broken attack kernels fail their self-checks (the checks can see what they are meant to see). */
import { describe, expect, it } from 'vitest';
import { freshSeed } from '../../src/util/random';
import { brokenKernelReport } from '../helpers/gpu';

const seed = freshSeed();

describe(`broken attack kernels are caught (AOS_SEED=${seed})`, () => {
  const cases: [Parameters<typeof brokenKernelReport>[0], string, string, string][] = [
    ['attack_margin', 'dLogits[base + idx[2]] = dLogits[base + idx[2]] - q;', 'dLogits[base + idx[1]] = dLogits[base + idx[1]] - q;', 'attack/dlr-untargeted'],
    ['attack_margin', 'if (best == NONE || v > bestValue)', 'if (best == NONE || v >= bestValue)', 'attack/margin-ties'],
    ['attack_track', 'if ((oldFlags & 2u) != 0u) {', 'if (true) {', 'attack/track-untargeted'],
    ['attack_apgd', 'let cond2 = reducedLast == 0.0 && fMaxLast >= fMax;', 'let cond2 = fMaxLast >= fMax;', 'attack/apgd-linf'],
    ['attack_apgd', '(1.0 - p.a) * (xi - sXPrev[base + j]) - c;', '(1.0 - p.a) * (sXPrev[base + j] - xi) - c;', 'attack/apgd-l2'],
    ['attack_square', 'randU32(p.seed, 2u * p.iter + 1u, b * p.channels + c)', 'randU32(p.seed, 2u * p.iter + 1u, b)', 'attack/square-linf'],
    ['attack_snap', 'if (lo <= hi) { g = clamp(g, lo, hi); }', 'if (lo <= hi) { g = g; }', 'attack/snap8bit-linf'],
  ];
  for (const [shader, find, replace, check] of cases) {
    it(`${check}: ${shader} with '${replace.slice(0, 40)}…'`, async () => {
      const report = await brokenKernelReport(shader, find, replace, check, seed);
      expect(report.ok, report.message).toBe(false);
    });
  }
});
