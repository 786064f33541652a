import { defineConfig } from '@playwright/test';

// Debian's Chromium (never a downloaded browser), WebGPU on SwiftShader via --enable-unsafe-webgpu.
// Ports can be moved (E2E_PORT, E2E_PREVIEW_PORT) when several checkouts run their suites on one machine.
const port = Number(process.env.E2E_PORT ?? 4174);
// The built app under its Content-Security-Policy (`vite preview` sends it): e2e/preview/*.spec.ts.
const previewPort = Number(process.env.E2E_PREVIEW_PORT ?? 4175);
export default defineConfig({
  testDir: 'e2e',
  outputDir: 'test-results/playwright',
  timeout: 300_000,
  expect: { timeout: 240_000 },
  workers: 1,
  reporter: [['list'], ['json', { outputFile: 'test-results/e2e.json' }]],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--enable-unsafe-webgpu', '--disable-quic', '--enable-features=Vulkan'],
    },
  },
  projects: [
    { name: 'dev', testIgnore: /preview\//, use: { baseURL: `http://127.0.0.1:${port}` } },
    { name: 'preview', testMatch: /preview\/.*\.spec\.ts/, use: { baseURL: `http://127.0.0.1:${previewPort}` } },
  ],
  webServer: [
    {
      command: `npx vite --host 127.0.0.1 --port ${port} --strictPort`,
      url: `http://127.0.0.1:${port}`,
      reuseExistingServer: false,
      timeout: 120_000,
    },
    {
      command: `npx vite build --outDir .tmp/preview-dist --emptyOutDir && npx vite preview --outDir .tmp/preview-dist --host 127.0.0.1 --port ${previewPort} --strictPort`,
      url: `http://127.0.0.1:${previewPort}`,
      reuseExistingServer: false,
      timeout: 180_000,
    },
  ],
});
