/**
 * Where a training step spends its time, by phase (no React). The first step of a loop builds the gradient graphs
 * and compiles the shaders of every session on top of the step itself — tens of seconds on a software adapter —
 * and used to show one unexplained wait. The model and the attacks mark what they do (`clock.run(phase, fn)`); the
 * engine reports the phase now and the seconds so far.
 *
 * Phases nest (the attack runs forward and backward passes; a first forward pass builds and compiles its
 * session). Time goes to one phase at a time: building graphs and compiling shaders always take over (they are
 * the one-off cost the breakdown is for); any other phase inside an enclosing one counts as the enclosing one (a
 * forward pass of the attack is attack time).
 */

/** The phases a step reports (in the order a first step usually meets them). */
export const STEP_PHASES = ['graphs', 'compile', 'geometry', 'attack', 'forward', 'backward', 'update', 'validation'] as const;
export type StepPhase = (typeof STEP_PHASES)[number];

/** Phases that take over from the enclosing one (the one-off setup costs). */
const SETUP: ReadonlySet<StepPhase> = new Set(['graphs', 'compile']);

export interface PhaseReport {
  /** The phase time goes to now (null: none). */
  current: StepPhase | null;
  /** Seconds per phase so far (phases not met are absent). */
  seconds: Partial<Record<StepPhase, number>>;
}

export class PhaseClock {
  /** The phase each open `run` charges to, innermost last. */
  private readonly charged: StepPhase[] = [];
  private readonly totals: Partial<Record<StepPhase, number>> = {};
  private since: number;

  constructor(private readonly onChange: (r: PhaseReport) => void = () => undefined, private readonly now: () => number = () => performance.now()) {
    this.since = now();
  }

  /** The phase time goes to now. */
  get current(): StepPhase | null {
    return this.charged.length ? this.charged[this.charged.length - 1] : null;
  }

  report(): PhaseReport {
    const seconds: Partial<Record<StepPhase, number>> = { ...this.totals };
    const cur = this.current;
    if (cur) seconds[cur] = (seconds[cur] ?? 0) + (this.now() - this.since) / 1000;
    return { current: cur, seconds };
  }

  /** Runs `fn` as `phase` (see the nesting rule above). */
  async run<T>(phase: StepPhase, fn: () => Promise<T>): Promise<T> {
    this.enter(phase);
    try {
      return await fn();
    } finally {
      this.exit();
    }
  }

  /** Runs a synchronous `fn` as `phase`. */
  runSync<T>(phase: StepPhase, fn: () => T): T {
    this.enter(phase);
    try {
      return fn();
    } finally {
      this.exit();
    }
  }

  private settle(): void {
    const t = this.now(), cur = this.current;
    if (cur) this.totals[cur] = (this.totals[cur] ?? 0) + (t - this.since) / 1000;
    this.since = t;
  }

  private enter(phase: StepPhase): void {
    const outer = this.current;
    const next = outer === null || SETUP.has(phase) ? phase : outer;
    this.settle();
    this.charged.push(next);
    if (next !== outer) this.onChange(this.report());
  }

  private exit(): void {
    const was = this.current;
    this.settle();
    this.charged.pop();
    if (this.current !== was) this.onChange(this.report());
  }
}

/** Runs `fn` as `phase` on `clock` when there is one (the model and the attacks are also used without one). */
export function inPhase<T>(clock: PhaseClock | null | undefined, phase: StepPhase, fn: () => Promise<T>): Promise<T> {
  return clock ? clock.run(phase, fn) : fn();
}
