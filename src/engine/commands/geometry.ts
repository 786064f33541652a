/** The Subspaces panel's command, run by the engine Worker (src/engine/bridge); results in src/state/geometry.ts. */
import type { EngineConnection } from '../bridge/client';

export type GeometryCommands = ReturnType<typeof geometryCommands>;

export function geometryCommands({ engine }: EngineConnection) {
  return { measureCurrentModel: (): Promise<void> => engine().measureCurrentModel() };
}
