/** The GPU device and the kernel self-test, in the engine Worker (src/engine/bridge); status in the app store. */
import { engine } from '../bridge/client';

/** Acquires the engine's GPUDevice (its adapter and status appear in the app store). */
export const acquireGpu = (): Promise<void> => engine().acquireGpu();

/** Runs the kernel self-checks whose names start with `only` (all when absent). */
export const runSelfTest = (seed: number, only?: string): Promise<void> => engine().runSelfTest(seed, only);
