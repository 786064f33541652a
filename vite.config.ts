import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// onnxruntime-web ships its own .wasm/.mjs pairs that it fetches at run time; Vite must not pre-bundle it.
export default defineConfig({
  plugins: [react()],
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  server: { strictPort: true },
  build: { target: 'es2022', sourcemap: true },
});
