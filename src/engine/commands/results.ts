/**
 * The Results panel's compute, run by the engine Worker (src/engine/bridge): re-creating one image's adversarial
 * example on a run's committed model (src/engine/resultsAttack.ts). Progress crosses as a comlink proxy, the signal
 * as the `cancel` command.
 */
import { proxy } from 'comlink';
import { cancelIdFor, engine } from '../bridge/client';
import type { RecreateRequest, RecreateResult } from '../resultsAttack';

export type { RecreateRequest, RecreateResult };

export function recreateResultsAdversarial(req: RecreateRequest, o: { onProgress?: (text: string) => void; signal?: AbortSignal } = {}): Promise<RecreateResult> {
  return engine().recreateResultsAdversarial(req, { cancelId: cancelIdFor(o.signal) }, o.onProgress ? proxy(o.onProgress) : undefined);
}
