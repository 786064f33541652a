/**
 * The page's root: everything the page holds for its lifetime, made once by src/main.tsx and handed to the UI
 * (src/ui/pageContext.tsx): the connection to the engine Worker with each panel's commands over it, the Data panel's
 * preview data, the Results panel's files and the link sync. No module of the page keeps state of its own, so a
 * test (or a second root) starts fresh.
 */
import { createEngineConnection } from './bridge/client';
import { attackCommands } from './commands/attack';
import { fineTuneCommands } from './commands/fineTune';
import { geometryCommands } from './commands/geometry';
import { gpuCommands } from './commands/gpu';
import { modelCommands } from './commands/model';
import { resultsCommands } from './commands/results';
import { runsCommands } from './commands/runs';
import { createDataController } from './data';
import { createLinkSync } from './linkSync';
import { createResultsController } from './results';

export type PageRoot = ReturnType<typeof createPageRoot>;

export function createPageRoot() {
  const connection = createEngineConnection();
  const results = createResultsController();
  return {
    connection,
    commands: {
      gpu: gpuCommands(connection),
      model: modelCommands(connection),
      attack: attackCommands(connection),
      fineTune: fineTuneCommands(connection),
      runs: runsCommands(connection),
      geometry: geometryCommands(connection),
      results: resultsCommands(connection),
    },
    /** The page's own data (the Data panel's preview; the engines load theirs in the Worker). */
    data: createDataController(),
    results,
    links: createLinkSync({ results }),
  };
}
