/**
 * The Results panel's compute, run by the engine Worker (src/engine/bridge): re-creating one image's adversarial
 * example on a run's committed model (src/engine/resultsAttack.ts). Progress crosses as a comlink proxy, the signal
 * as the `cancel` command.
 */
import { proxy } from 'comlink';
import type { EngineConnection } from '../bridge/client';
import type { RecreateRequest, RecreateResult } from '../resultsAttack';

export type { RecreateRequest, RecreateResult };

export type ResultsCommands = ReturnType<typeof resultsCommands>;

export function resultsCommands({ engine, cancelIdFor }: EngineConnection) {
  return {
    recreateResultsAdversarial: (req: RecreateRequest, o: { onProgress?: (text: string) => void; signal?: AbortSignal } = {}): Promise<RecreateResult> =>
      engine().recreateResultsAdversarial(req, { cancelId: cancelIdFor(o.signal) }, o.onProgress ? proxy(o.onProgress) : undefined),
  };
}
