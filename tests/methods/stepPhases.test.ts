/**
 * The phase clock of a first step (src/methods/stepPhases.ts): time goes to one phase at a time; building graphs
 * and compiling shaders take over from the enclosing phase, other nested phases count as the enclosing one; a
 * listener hears every change of the phase time goes to.
 */
import { describe, expect, it } from 'vitest';
import { inPhase, PhaseClock, type PhaseReport } from '../../src/methods/stepPhases';

function fakeTime() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => { t += ms; } };
}

describe('PhaseClock', () => {
  it('charges nested setup phases to themselves and other nested phases to the enclosing one', async () => {
    const time = fakeTime();
    const heard: Array<string | null> = [];
    const clock = new PhaseClock((r: PhaseReport) => heard.push(r.current), time.now);
    await clock.run('attack', async () => {
      time.advance(1000);
      await clock.run('forward', async () => {
        time.advance(500); // a forward pass of the attack is attack time
        clock.runSync('graphs', () => time.advance(2000));
        await clock.run('compile', async () => time.advance(3000));
        time.advance(250);
      });
    });
    await clock.run('update', async () => time.advance(100));
    const r = clock.report();
    expect(r.current).toBeNull();
    expect(r.seconds.attack).toBeCloseTo(1.75, 9);
    expect(r.seconds.graphs).toBeCloseTo(2, 9);
    expect(r.seconds.compile).toBeCloseTo(3, 9);
    expect(r.seconds.update).toBeCloseTo(0.1, 9);
    expect(r.seconds.forward).toBeUndefined();
    expect(heard).toEqual(['attack', 'graphs', 'attack', 'compile', 'attack', null, 'update', null]);
  });

  it('reports the running phase with its time so far, and recovers from a throwing phase', async () => {
    const time = fakeTime();
    const clock = new PhaseClock(undefined, time.now);
    let during: PhaseReport | null = null;
    await expect(clock.run('compile', async () => {
      time.advance(1500);
      during = clock.report();
      throw new Error('shader failed');
    })).rejects.toThrow('shader failed');
    expect(during!.current).toBe('compile');
    expect(during!.seconds.compile).toBeCloseTo(1.5, 9);
    expect(clock.current).toBeNull();
  });

  it('inPhase without a clock just runs', async () => {
    expect(await inPhase(null, 'forward', async () => 7)).toBe(7);
  });
});
