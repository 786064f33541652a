/** The Subspaces panel's command, run by the engine Worker (src/engine/bridge); results in src/state/geometry.ts. */
import { engine } from '../bridge/client';

export const measureCurrentModel = (): Promise<void> => engine().measureCurrentModel();
