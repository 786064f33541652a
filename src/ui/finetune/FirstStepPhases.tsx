/**
 * The first step of a run, phase by phase (the engine reports it: src/engine/firstStep.ts). The first step builds
 * the gradient graphs and compiles every session's shaders before it trains — about half a minute on a software
 * adapter — so the panel says what it is doing and what each part took, instead of one silent wait.
 */
import { useRunsStore, type FirstStepProgress } from '../../state/runs';

/** What each phase is, in the user's words (keys: src/methods/stepPhases.ts STEP_PHASES, in that order). */
const PHASE_LABELS: ReadonlyArray<[string, string]> = [
  ['graphs', 'building graphs'], ['compile', 'compiling shaders'], ['geometry', 'measuring the probe'], ['attack', 'attack'],
  ['forward', 'forward'], ['backward', 'backward'], ['update', 'update'], ['validation', 'validation'],
];
const label = (phase: string) => PHASE_LABELS.find(([k]) => k === phase)?.[1] ?? phase;

export function FirstStepPhases({ runId }: { runId: string }) {
  const p: FirstStepProgress | null = useRunsStore((s) => s.firstStep);
  if (!p || p.runId !== runId) return null;
  const total = Object.values(p.seconds).reduce((a, b) => a + b, 0);
  const shown = PHASE_LABELS.filter(([k]) => (p.seconds[k] ?? 0) > 0 || p.current === k);
  return (
    <div className="ft-first-step small" data-testid="ft-first-step" data-current={p.current ?? ''} data-phases={shown.map(([k]) => k).join(' ')}>
      <span className="ft-first-step-head">
        {p.current === null
          ? <>Step {p.step} (the first of this session) took <b>{total.toFixed(1)} s</b>:</>
          : <>Step {p.step} (the first of this session): now <b data-testid="ft-first-step-now">{label(p.current)}</b>, {total.toFixed(0)} s so far:</>}
      </span>
      <ul className="ft-first-step-list">
        {shown.map(([k, name]) => (
          <li key={k} data-phase={k} className={k === p.current ? 'now' : undefined}>{name} <b>{(p.seconds[k] ?? 0).toFixed(1)} s</b></li>
        ))}
      </ul>
    </div>
  );
}
