/**
 * The page's one GpuContext (every shader registered), shared by the engine and by test-only browser probes without
 * either importing the other: a lost device drops it, and the next call acquires a new one. No store here.
 */
import { GpuContext } from '../gpu/context';
import { shaderSources } from './shaders';

let ctxPromise: Promise<GpuContext> | undefined;

export function pageGpuContext(): Promise<GpuContext> {
  if (!ctxPromise) {
    const p: Promise<GpuContext> = GpuContext.create({ shaders: shaderSources, label: 'workbench' }).then(
      (ctx) => {
        ctx.onLost(() => {
          if (ctxPromise === p) ctxPromise = undefined;
        });
        return ctx;
      },
      (e: unknown) => {
        if (ctxPromise === p) ctxPromise = undefined;
        throw e;
      },
    );
    ctxPromise = p;
  }
  return ctxPromise;
}
