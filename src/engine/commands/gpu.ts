/** The GPU device and the kernel self-test, in the engine Worker (src/engine/bridge); status in the app store. */
import type { EngineConnection } from '../bridge/client';

export type GpuCommands = ReturnType<typeof gpuCommands>;

export function gpuCommands({ engine }: EngineConnection) {
  return {
    /** Acquires the engine's GPUDevice (its adapter and status appear in the app store). */
    acquireGpu: (): Promise<void> => engine().acquireGpu(),
    /** Runs the kernel self-checks whose names start with `only` (all when absent). */
    runSelfTest: (seed: number, only?: string): Promise<void> => engine().runSelfTest(seed, only),
  };
}
