/** The fine-tuning commands, run by the engine Worker (src/engine/bridge); the runs store shows their progress. */
import type { EngineConnection } from '../bridge/client';
import { download } from '../download';
import type { ExperimentConfig } from '../../experiment';
import type { ProbeSettings } from '../../methods/probeSettings';

export type FineTuneCommands = ReturnType<typeof fineTuneCommands>;

export function fineTuneCommands({ engine }: EngineConnection) {
  return {
    startRun: (): Promise<void> => engine().startRun(),
    /** Builds and warms a run's model before it is started (src/engine/prepareRun.ts); progress in the runs store. */
    prepareRun: (config: ExperimentConfig, probe: ProbeSettings): Promise<void> => engine().prepareRun(config, probe),
    pauseRun: (): Promise<void> => engine().pauseRun(),
    resumeRun: (id?: string): Promise<void> => engine().resumeRun(id),
    stopRun: (id?: string): Promise<void> => engine().stopRun(id),
    /** Downloads the fine-tuned model of a run as one .zip the Model panel loads back (made in the Worker, saved by the page). */
    async exportRunModelZip(id: string): Promise<void> {
      const f = await engine().runModelZip(id);
      download(f.blob, f.name);
    },
  };
}
