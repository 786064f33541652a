/**
 * The fine-tuning engine's report of a loop's first step (src/engine/fineTune.ts calls it): where the step spends its
 * time, phase by phase, into the runs store (`firstStep`), which the Fine-tune panel shows.
 */
import type { FineTuneLoop, StepMetrics } from '../methods/loop';
import type { FineTuneModel } from '../methods/model';
import { PhaseClock, type PhaseReport } from '../methods/stepPhases';
import { useRunsStore } from '../state/runs';

const runs = () => useRunsStore.getState();

/**
 * A loop's first step, phase by phase: it builds the gradient graphs and compiles the shaders of every session on
 * top of the step (tens of seconds on a software adapter), so the panel shows which phase it is in and the seconds
 * each took (src/methods/stepPhases.ts), reported into the runs store as they change and once a second.
 */
export async function firstStepInPhases(runId: string, loop: FineTuneLoop, model: FineTuneModel): Promise<StepMetrics> {
  const step = loop.step + 1;
  const show = (r: PhaseReport) => runs().patch({ firstStep: { runId: runId, step, current: r.current, seconds: { ...r.seconds } } });
  let lastShown = 0;
  const clock = new PhaseClock((r) => {
    // Phase changes come many times a second inside an attack: at most ~5 reports a second cross to the page.
    const now = performance.now();
    if (now - lastShown < 200) return;
    lastShown = now;
    show(r);
  });
  show(clock.report());
  const tick = setInterval(() => show(clock.report()), 1000);
  model.phases = clock;
  try {
    return await loop.trainStep();
  } finally {
    model.phases = null;
    clearInterval(tick);
    show({ ...clock.report(), current: null });
  }
}

