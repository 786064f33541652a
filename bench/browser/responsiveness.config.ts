import { defineConfig } from '@playwright/test';
import base from '../../playwright.config';

// The responsiveness bench on the built app (`vite preview`, with its CSP), on its own port so it can run beside
// the e2e suite. BENCH_DIST reuses an existing build (e.g. one of an older commit, for a before/after).
const port = Number(process.env.BENCH_PORT ?? 4181);
const dist = process.env.BENCH_DIST ?? '.tmp/bench-preview';
const build = process.env.BENCH_DIST ? '' : `npx vite build --outDir ${dist} --emptyOutDir && `;
export default defineConfig({
  ...base,
  testDir: '.',
  testMatch: 'responsiveness.spec.ts',
  outputDir: '../../test-results/bench-responsiveness',
  reporter: [['list']],
  timeout: 1_800_000,
  projects: undefined,
  use: { ...base.use, baseURL: `http://127.0.0.1:${port}` },
  webServer: {
    cwd: '../..',
    command: `${build}npx vite preview --outDir ${dist} --host 127.0.0.1 --port ${port} --strictPort`,
    url: `http://127.0.0.1:${port}`,
    reuseExistingServer: false,
    timeout: 300_000,
  },
});
