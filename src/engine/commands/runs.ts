/** The run list's commands (IndexedDB lives with the engine Worker); the downloads are src/engine/download.ts. */
import type { RunRecord } from '../../storage/runRecord';
import type { EngineConnection } from '../bridge/client';

export { exportRunCsv, exportRunJson } from '../download';

export type RunsCommands = ReturnType<typeof runsCommands>;

export function runsCommands({ engine }: EngineConnection) {
  return {
    ensureRunsLoaded: (): Promise<void> => engine().ensureRunsLoaded(),
    deleteStoredRun: (id: string): Promise<void> => engine().deleteStoredRun(id),
    deleteDamagedRun: (id: string): Promise<void> => engine().deleteDamagedRun(id),
    importRunFile: (file: File): Promise<{ run: RunRecord; warnings: string[] }> => engine().importRunFile(file),
  };
}
