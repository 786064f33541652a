/**
 * A loop's first step reports where its time goes (src/methods/stepPhases.ts, wired through FineTuneModel and the
 * PGD helpers): on real WebGPU, TeCoA's first step builds graphs, compiles shaders, attacks, runs forward and
 * backward passes and updates; the second step (sessions built) compiles nothing; the phases' seconds add up to the
 * step's wall time; without a clock the loop runs as before.
 */
import { describe, expect, it } from 'vitest';
import { withGpu } from '../helpers/gpu';
import { PhaseClock, type PhaseReport } from '../../src/methods/stepPhases';
import { freshSeed } from '../../src/util/random';
import { testConfig, testLoop } from './setup';

const seed = freshSeed();
console.log(`methods/firstStepPhases seed ${seed} (AOS_SEED=${seed} replays)`);

describe('first-step phases', () => {
  it('the first step reports graphs, compile, attack, forward, backward and update; the second compiles nothing', async () => {
    await withGpu(async (ctx) => {
      const loop = await testLoop(ctx, testConfig('tecoa', { seed, evalEvery: 0, steps: 4 }), { weightsSeed: seed });
      const heard: Array<string | null> = [];
      const clock = new PhaseClock((r: PhaseReport) => heard.push(r.current));
      loop.model.phases = clock;
      const t0 = performance.now();
      await loop.trainStep();
      const wall = (performance.now() - t0) / 1000;
      const first = clock.report();
      expect(first.current).toBeNull();
      for (const p of ['graphs', 'compile', 'attack', 'forward', 'backward', 'update'] as const) expect(first.seconds[p], p).toBeGreaterThan(0);
      expect(heard).toContain('compile');
      const sum = Object.values(first.seconds).reduce((a, b) => a + (b ?? 0), 0);
      expect(sum).toBeLessThanOrEqual(wall + 1e-3);
      expect(sum).toBeGreaterThan(0.5 * wall);

      const second = new PhaseClock();
      loop.model.phases = second;
      await loop.trainStep();
      expect(second.report().seconds.compile ?? 0).toBe(0);
      expect(second.report().seconds.graphs ?? 0).toBe(0);
      loop.model.phases = null;
      expect((await loop.trainStep()).step).toBe(3);
      await loop.model.release();
    });
  });
});
