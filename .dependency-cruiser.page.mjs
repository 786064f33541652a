/**
 * The page bundle's boundary, checked by `npm run lint` (`depcruise src/main.tsx --config .dependency-cruiser.page.mjs`):
 * nothing the page imports — src/main.tsx and everything reachable from it, lazily imported chunks included — may be a
 * compute module. Compute runs in the engine Worker, which the page starts with `new Worker(new URL(...))`, not an
 * import, so its code is outside this graph. Apart from .dependency-cruiser.cjs because type-only imports (erased
 * by the compiler, e.g. the command types of src/engine/bridge/api.ts) must not count here, while they do count there.
 */
import base from './.dependency-cruiser.cjs';

/** Compute the page must not run. */
const WORKER_ONLY = '^src/(onnx|kernels|methods|attacks|subspace|gpu|train)/';
/** Plain declarations inside those folders (no imports of their own) that the page may read. */
const PAGE_SAFE = ['^src/onnx/clip/config\\.ts$', '^src/methods/probeSettings\\.ts$'];
/**
 * Known exception, to be moved into the Worker: the Results panel's host statistics over a results file (parsing,
 * table, bootstrap tests, drill-down; no GPU), which arrived on main beside the Worker move and still run on the page,
 * with the validators of the file's training curves and of the committed models' manifest (plain JSON checks).
 */
const PAGE_PENDING = ['^src/methods/results\\.ts$', '^src/methods/resultsView\\.ts$', '^src/methods/resultsCurve\\.ts$', '^src/methods/resultsModels\\.ts$'];

export default {
  forbidden: [
    {
      name: 'page-bundle-no-compute',
      comment: 'The page holds React, the stores and drawing; compute (WebGPU, models, attacks, training, geometry) runs in the engine Worker.',
      severity: 'error',
      from: { path: '^src/main\\.tsx$' },
      to: { path: WORKER_ONLY, pathNot: [...PAGE_SAFE, ...PAGE_PENDING], reachable: true },
    },
  ],
  options: { ...base.options, tsPreCompilationDeps: false },
};
