/**
 * Import boundaries, checked by `npm run lint` (dependency-cruiser). Layers: the runtime (src/gpu) at the bottom,
 * compute above it (kernels, subspace, onnx, attacks, methods, …), then selftest/engine, and the page (state, ui) on
 * top. Compute never reaches the page; the runtime knows no kernel, model or shader; folders form no cycle.
 */
const COMPUTE = '^src/(gpu|kernels|subspace|onnx|attacks|methods|train|data|text|image|models|util|experiment|storage)/';

module.exports = {
  forbidden: [
    {
      name: 'compute-not-ui',
      comment: 'Compute code runs in Node and in the browser: no React, zustand, src/ui or src/state.',
      severity: 'error',
      from: { path: COMPUTE },
      to: { path: ['^src/(ui|state)/', '(^|/)node_modules/(react|react-dom|zustand)/'] },
    },
    {
      name: 'gpu-runtime-alone',
      comment: 'src/gpu is the runtime: it gets shader sources injected and imports no kernels, models or shaders.',
      severity: 'error',
      from: { path: '^src/gpu/' },
      to: { path: ['^src/(kernels|models|onnx|subspace|attacks|methods)/', '^shaders/'] },
    },
    {
      name: 'no-folder-cycles',
      comment: 'No import loop between folders.',
      severity: 'error',
      from: { path: '^src/([^/]+)/' },
      to: { circular: true, viaSomeNot: '^src/$1/' },
    },
    {
      name: 'no-cycles',
      comment: 'None inside a folder either (none remain; loosen to a warning if one is ever needed).',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.wgsl' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
    reporterOptions: {
      archi: { collapsePattern: '^src/[^/]+' },
    },
  },
};
