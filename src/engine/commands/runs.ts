/** The run list's commands (IndexedDB lives with the engine Worker); the downloads are src/engine/download.ts. */
import type { RunRecord } from '../../storage/runRecord';
import { engine } from '../bridge/client';

export { exportRunCsv, exportRunJson } from '../download';

export const ensureRunsLoaded = (): Promise<void> => engine().ensureRunsLoaded();
export const deleteStoredRun = (id: string): Promise<void> => engine().deleteStoredRun(id);
export const deleteDamagedRun = (id: string): Promise<void> => engine().deleteDamagedRun(id);
export const importRunFile = (file: File): Promise<{ run: RunRecord; warnings: string[] }> => engine().importRunFile(file);
