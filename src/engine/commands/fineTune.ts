/** The fine-tuning commands, run by the engine Worker (src/engine/bridge); the runs store shows their progress. */
import { engine } from '../bridge/client';
import { download } from '../download';

export const startRun = (): Promise<void> => engine().startRun();
export const pauseRun = (): Promise<void> => engine().pauseRun();
export const resumeRun = (id?: string): Promise<void> => engine().resumeRun(id);
export const stopRun = (id?: string): Promise<void> => engine().stopRun(id);

/** Downloads the fine-tuned model of a run as one .zip the Model panel loads back (made in the Worker, saved by the page). */
export async function exportRunModelZip(id: string): Promise<void> {
  const f = await engine().runModelZip(id);
  download(f.blob, f.name);
}
