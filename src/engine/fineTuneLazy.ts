/**
 * The fine-tuning engine loaded on first use (it brings the methods, the autodiff and the model loader). The run
 * list itself (src/engine/runs.ts: IndexedDB, exports of metrics) is light and imported directly.
 */
const engine = () => import('./fineTune');

export async function startRun(): Promise<void> {
  return (await engine()).startRun();
}

export async function pauseRun(): Promise<void> {
  (await engine()).pauseRun();
}

export async function resumeRun(id?: string): Promise<void> {
  return (await engine()).resumeRun(id);
}

export async function stopRun(id?: string): Promise<void> {
  return (await engine()).stopRun(id);
}

export async function exportRunOnnx(id: string, which: 'vision' | 'text' | 'both' = 'both'): Promise<void> {
  return (await engine()).exportRunOnnx(id, which);
}
