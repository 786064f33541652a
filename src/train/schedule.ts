/** Learning-rate schedule: linear warm-up from 0 to `peak` over `warmupSteps`, then cosine decay to `peak · minRatio`. */
export interface LrSchedule {
  peak: number;
  warmupSteps: number;
  totalSteps: number;
  /** Final LR as a fraction of the peak (default 0.02). */
  minRatio?: number;
}

/** LR of 1-based step `step`. */
export function lrAt(step: number, s: LrSchedule): number {
  const minLr = s.peak * (s.minRatio ?? 0.02);
  if (s.warmupSteps > 0 && step <= s.warmupSteps) return s.peak * step / s.warmupSteps;
  const span = Math.max(1, s.totalSteps - s.warmupSteps);
  const t = Math.min(1, Math.max(0, (step - s.warmupSteps) / span));
  return minLr + (s.peak - minLr) * 0.5 * (1 + Math.cos(Math.PI * t));
}
