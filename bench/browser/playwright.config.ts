import { defineConfig } from '@playwright/test';
import base from '../../playwright.config';

// The bench spec with the e2e suite's browser and dev server (its own port, so it can run beside the suite).
const port = 4175;
export default defineConfig({
  ...base,
  testDir: '.',
  testMatch: ['engines.spec.ts', 'methods.spec.ts'],
  outputDir: '../../test-results/bench-browser',
  reporter: [['list']],
  timeout: 900_000,
  use: { ...base.use, baseURL: `http://127.0.0.1:${port}` },
  // One project and one server of its own (the suite's config has a dev and a preview project, each with its port).
  projects: [{ name: 'bench', use: { baseURL: `http://127.0.0.1:${port}` } }],
  webServer: { cwd: '../..', command: `npx vite --host 127.0.0.1 --port ${port} --strictPort`, url: `http://127.0.0.1:${port}`, reuseExistingServer: false, timeout: 120_000 },
});
