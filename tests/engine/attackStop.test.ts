/**
 * What a stopped attack keeps (src/engine/attack/scores.ts `goalScore`): the point furthest past the goal, so a
 * point that flipped the class wins over one with a lower probability of the attacked class that did not flip it.
 */
import { describe, expect, it } from 'vitest';
import { goalScore } from '../../src/engine/attack/scores';

describe('goalScore', () => {
  it('untargeted: a flipped point scores above an unflipped one with a lower p(true class)', () => {
    const flipped = [0.45, 0.55, 0, 0]; // predicted class 1: goal reached
    const lowerButNot = [0.4, 0.2, 0.2, 0.2]; // p(true) lower, still predicted true
    expect(goalScore(flipped, 0, null)).toBeGreaterThan(0);
    expect(goalScore(lowerButNot, 0, null)).toBeLessThan(0);
    expect(goalScore(flipped, 0, null)).toBeGreaterThan(goalScore(lowerButNot, 0, null));
  });

  it('targeted: positive only when the target is the prediction', () => {
    expect(goalScore([0.1, 0.3, 0.6], 0, 2)).toBeCloseTo(0.3, 12);
    expect(goalScore([0.5, 0.1, 0.4], 0, 2)).toBeCloseTo(-0.1, 12);
  });

  it('reads one row of a batch', () => {
    const probs = [0.9, 0.1, 0.2, 0.8];
    expect(goalScore(probs, 0, null, 2, 2)).toBeCloseTo(0.6, 12);
  });
});
