/**
 * The module-level compute engine of the page: owns the GpuContext, runs work and reports through the store.
 * No React here: components call these functions and read the store.
 */
import type { GpuContext } from '../gpu/context';
import { pageGpuContext } from '../kernels/pageContext';
import { kernelChecks, runChecks } from '../selftest/checks';
import { useAppStore } from '../state/store';

let ctxPromise: Promise<GpuContext> | undefined;

export function gpuContext(): Promise<GpuContext> {
  if (!ctxPromise) {
    const store = useAppStore.getState();
    store.setGpu({ gpuStatus: 'acquiring', gpuError: null });
    ctxPromise = pageGpuContext().then(
      (ctx) => {
        useAppStore.getState().setGpu({ gpuStatus: 'ready', adapter: ctx.adapter });
        ctx.onLost((info) => {
          // A lost device is reported, and the next call acquires a new one.
          useAppStore.getState().setGpu({ gpuStatus: 'lost', gpuError: `device lost (${info.reason}): ${info.message}` });
          ctxPromise = undefined;
        });
        return ctx;
      },
      (e: unknown) => {
        useAppStore.getState().setGpu({ gpuStatus: 'error', gpuError: String((e as Error)?.message ?? e) });
        ctxPromise = undefined;
        throw e;
      },
    );
  }
  return ctxPromise;
}

/** Lets the page paint and handle input between GPU chunks (a message task is not throttled like timers). */
export function yieldToPage(): Promise<void> {
  if (typeof MessageChannel === 'undefined') return new Promise((r) => setTimeout(r, 0));
  return new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => {
      ch.port1.close();
      resolve();
    };
    ch.port2.postMessage(null);
  });
}

let selfTestRun: Promise<void> | undefined;

/** Runs the kernel self-checks; a call while a run is in progress joins that run. */
export function runSelfTest(seed: number, filter?: (name: string) => boolean): Promise<void> {
  selfTestRun ??= runSelfTestNow(seed, filter).finally(() => (selfTestRun = undefined));
  return selfTestRun;
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
