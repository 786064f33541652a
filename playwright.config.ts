import { defineConfig } from '@playwright/test';

// Debian's Chromium (never a downloaded browser), WebGPU on SwiftShader via --enable-unsafe-webgpu.
const port = 4174;
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
  webServer: {
    command: `npx vite --host 127.0.0.1 --port ${port} --strictPort`,
    url: `http://127.0.0.1:${port}`,
    reuseExistingServer: false,
    timeout: 120_000,
  },
});
