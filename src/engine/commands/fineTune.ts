/** The fine-tuning commands, run by the engine Worker (src/engine/bridge); the runs store shows their progress. */
import { engine } from '../bridge/client';
import { download } from '../download';

export const startRun = (): Promise<void> => engine().startRun();
export const pauseRun = (): Promise<void> => engine().pauseRun();
export const resumeRun = (id?: string): Promise<void> => engine().resumeRun(id);
export const stopRun = (id?: string): Promise<void> => engine().stopRun(id);

/** Downloads the fine-tuned towers of a run as ONNX (made in the Worker, saved by the page). */
export async function exportRunOnnx(id: string, which: 'vision' | 'text' | 'both' = 'both'): Promise<void> {
  for (const f of await engine().runOnnxFiles(id, which)) download(f.blob, f.name);
}
