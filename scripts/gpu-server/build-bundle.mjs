// Bundles bench/bench.ts into one ESM file for a machine without the repo's node_modules (see ./README in
// bench/README.md, "Running on an offline NVIDIA GPU server"). WGSL `?raw` imports are inlined as text, as Vite and
// scripts/raw-loader.mjs load them; `webgpu` (dawn.node) and `onnxruntime-node` (native) stay external and are
// copied next to the bundle by prepare.sh; `onnxruntime-web` is browser-only and never loaded in Node.
//
//   node scripts/gpu-server/build-bundle.mjs OUT_DIR [ENTRY NAME]   → OUT_DIR/NAME.mjs (default bench/bench.ts → bench.mjs;
//                                                                  + NAME.meta.json: inputs and sizes)
import { execSync } from 'node:child_process';
import { build } from 'esbuild';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const outDir = resolve(process.argv[2] ?? `${root}/.gpu-bundle`);
// Another entry (e.g. scripts/methods/reproduce.ts → reproduce.mjs) with `ENTRY NAME` after the folder.
const entry = process.argv[3] ?? 'bench/bench.ts', name = process.argv[4] ?? 'bench';

/** `import text from './x.wgsl?raw'` → the file's text. */
const rawText = {
  name: 'raw-text',
  setup(b) {
    b.onResolve({ filter: /\?raw$/ }, (args) => ({ path: resolve(args.resolveDir, args.path.slice(0, -'?raw'.length)), namespace: 'raw-text' }));
    b.onLoad({ filter: /.*/, namespace: 'raw-text' }, async (args) => ({ contents: await readFile(args.path, 'utf8'), loader: 'text', watchFiles: [args.path] }));
  },
};

const result = await build({
  absWorkingDir: root,
  entryPoints: [entry],
  outfile: `${outDir}/${name}.mjs`,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['webgpu', 'onnxruntime-node', 'onnxruntime-web', 'onnxruntime-web/*'],
  plugins: [rawText],
  // CommonJS dependencies bundled into ESM may call require() for Node built-ins.
  banner: { js: "import { createRequire as __aosCreateRequire } from 'node:module'; const require = __aosCreateRequire(import.meta.url);" },
  legalComments: 'none',
  // The commit the bundle was built from (the server has no repository to ask).
  define: { 'process.env.AOS_BUNDLE_COMMIT': JSON.stringify(execSync('git rev-parse HEAD', { cwd: root, encoding: 'utf8' }).trim()) },
  metafile: true,
  logLevel: 'warning',
});

const inputs = Object.entries(result.metafile.inputs).map(([path, v]) => ({ path, bytes: v.bytes }));
const packages = {};
for (const { path, bytes } of inputs) {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  const key = m ? m[1] : path.split('/')[0];
  packages[key] = (packages[key] ?? 0) + bytes;
}
const out = result.metafile.outputs[Object.keys(result.metafile.outputs)[0]];
await writeFile(`${outDir}/${name}.meta.json`, JSON.stringify({ bytes: out.bytes, inputs: inputs.length, byPackage: packages, imports: out.imports.filter((i) => i.external) }, null, 2) + '\n');
console.log(`${name}.mjs: ${(out.bytes / 2 ** 20).toFixed(2)} MiB from ${inputs.length} files; external: ${[...new Set(out.imports.filter((i) => i.external).map((i) => i.path))].join(', ')}`);
