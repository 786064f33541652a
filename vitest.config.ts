import { defineConfig } from 'vitest/config';

// Node tests run on real WebGPU (Dawn, the `webgpu` package). Forks keep one Dawn instance per worker process.
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
