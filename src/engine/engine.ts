/**
 * The engine's GPU controller: owns one GpuContext (every shader registered), runs the kernel self-test and reports
 * through the app store. No React here. One per engine root (./root.ts in the Worker; tests make their own), so two
 * roots never share a device or a self-test run.
 */
import type { GpuContext } from '../gpu/context';
import { createWorkbenchGpuContext } from '../kernels/pageContext';
import { kernelChecks, runChecks } from '../selftest/checks';
import { useAppStore } from '../state/store';

export interface GpuController {
  /** The context, acquired on first call; a lost device drops it and the next call acquires a new one. */
  gpuContext(): Promise<GpuContext>;
  /** Runs the kernel self-checks; a call while a run is in progress joins that run. */
  runSelfTest(seed: number, filter?: (name: string) => boolean): Promise<void>;
}

export function createGpuController(): GpuController {
  let ctxPromise: Promise<GpuContext> | undefined;
  let selfTestRun: Promise<void> | undefined;

  function gpuContext(): Promise<GpuContext> {
    if (!ctxPromise) {
      const store = useAppStore.getState();
      store.setGpu({ gpuStatus: 'acquiring', gpuError: null });
      const p: Promise<GpuContext> = createWorkbenchGpuContext().then(
        (ctx) => {
          useAppStore.getState().setGpu({ gpuStatus: 'ready', adapter: ctx.adapter });
          ctx.onLost((info) => {
            // A lost device is reported, and the next call acquires a new one.
            useAppStore.getState().setGpu({ gpuStatus: 'lost', gpuError: `device lost (${info.reason}): ${info.message}` });
            if (ctxPromise === p) ctxPromise = undefined;
          });
          return ctx;
        },
        (e: unknown) => {
          useAppStore.getState().setGpu({ gpuStatus: 'error', gpuError: String((e as Error)?.message ?? e) });
          if (ctxPromise === p) ctxPromise = undefined;
          throw e;
        },
      );
      ctxPromise = p;
    }
    return ctxPromise;
  }

  async function runSelfTestNow(seed: number, filter?: (name: string) => boolean): Promise<void> {
    const store = useAppStore.getState();
    const total = kernelChecks.filter((c) => (filter ? filter(c.name) : true)).length;
    store.startSelfTest(seed, total);
    try {
      const ctx = await gpuContext();
      await runChecks(ctx, seed, filter, (r) => useAppStore.getState().addReport(r));
      useAppStore.getState().finishSelfTest('done');
    } catch (e) {
      useAppStore.getState().finishSelfTest('error');
      useAppStore.getState().setGpu({ gpuError: String((e as Error)?.message ?? e) });
    }
  }

  return {
    gpuContext,
    runSelfTest(seed, filter) {
      selfTestRun ??= runSelfTestNow(seed, filter).finally(() => (selfTestRun = undefined));
      return selfTestRun;
    },
  };
}
