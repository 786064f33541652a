import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { SECURITY_HEADERS } from './csp.config';

// onnxruntime-web ships its own .wasm/.mjs pairs that it fetches at run time; Vite must not pre-bundle it.
// The engine Worker's own dependencies are pre-bundled at start: the dependency scan does not follow the Worker, so
// the dev server would otherwise discover them at the first model load and reload the page mid-way (the guided
// start's first click, on a fresh `npm start`).
export default defineConfig({
  plugins: [react()],
  optimizeDeps: { exclude: ['onnxruntime-web'], include: ['@huggingface/tokenizers', 'protobufjs/minimal.js'] },
  server: { strictPort: true },
  // The built app is served with its CSP (the dev server is not: React's refresh preamble is an inline script).
  preview: { strictPort: true, headers: SECURITY_HEADERS },
  build: { target: 'es2022', sourcemap: true },
  // The engine Worker is a module Worker: the default 'iife' format cannot code-split its lazy engines.
  worker: { format: 'es' },
});
