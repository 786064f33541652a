/**
 * The methods bench case in headless Chromium (SwiftShader): every method's step side by side on our executor and the
 * page's GPUDevice, through the same code as `npm run bench -- --only=methods` in Node (bench/methods.ts). Not part of
 * `npm test`:
 *
 *   npx playwright test --config bench/browser/playwright.config.ts methods   (BENCH_OUT=file.json keeps the rows)
 */
import { expect, test } from '@playwright/test';
import { writeFileSync } from 'node:fs';

test('every method\'s step in the page: the AoS/TeCoA ratio and readbacks per step', async ({ page }) => {
  test.setTimeout(900_000);
  await page.goto('/fixtures/probe.html');
  expect(await page.evaluate('!!navigator.gpu')).toBe(true);
  // Vite may reload the page once when it first optimises the probe's dependencies: then call again.
  const call = async (expr: string): Promise<unknown> => {
    try {
      return await page.evaluate(`import('/bench/browser/probe.ts').then((m) => m.${expr})`);
    } catch (e) {
      if (!/context was destroyed|navigat|Target closed|dynamically imported module/i.test(String(e))) throw e;
      await page.goto('/fixtures/probe.html');
      return await page.evaluate(`import('/bench/browser/probe.ts').then((m) => m.${expr})`);
    }
  };
  const adapter = await call('adapterInfo()');
  const env = (k: string, d: number) => Number(process.env[k] ?? d);
  const o = { batch: env('BENCH_BATCH', 8), m: env('BENCH_M', 4), k: env('BENCH_K', 2), runs: env('BENCH_RUNS', 3), warmup: env('BENCH_WARMUP', 1), stepsPerRead: env('BENCH_STEPS_PER_READ', 2) };
  await call(`benchMethods(${JSON.stringify({ ...o, runs: 0, warmup: 0 })})`); // loads everything once (and takes any reload)
  const rows = await call(`benchMethods(${JSON.stringify(o)})`);
  const out = { date: new Date().toISOString(), adapter, options: o, rows };
  console.log(JSON.stringify(out, null, 2));
  if (process.env.BENCH_OUT) writeFileSync(process.env.BENCH_OUT, JSON.stringify(out, null, 2));
  expect(Array.isArray(rows) && rows.length).toBe(5); // a row per method and the ratio
});
