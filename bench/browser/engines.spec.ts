/**
 * Our executor vs onnxruntime-web's WebGPU EP in headless Chromium (SwiftShader), on the page's own device: the
 * measurement behind the browser's engine default (src/onnx/exec/select.ts). Not part of `npm test`:
 *
 *   npx playwright test --config bench/browser/playwright.config.ts   (BENCH_OUT=file.json to keep the rows)
 */
import { expect, test } from '@playwright/test';
import { writeFileSync } from 'node:fs';
import type { BrowserBenchRow } from './probe';

test('exec vs onnxruntime-web WebGPU on the page adapter', async ({ page }) => {
  test.setTimeout(900_000);
  await page.goto('/fixtures/probe.html');
  expect(await page.evaluate('!!navigator.gpu')).toBe(true);
  const call = async <T>(expr: string): Promise<T> => {
    try {
      return (await page.evaluate(`import('/bench/browser/probe.ts').then((m) => m.${expr})`)) as T;
    } catch (e) {
      if (!/context was destroyed|navigat|Target closed|dynamically imported module/i.test(String(e))) throw e;
      await page.goto('/fixtures/probe.html');
      return (await page.evaluate(`import('/bench/browser/probe.ts').then((m) => m.${expr})`)) as T;
    }
  };
  const adapter = await call<Record<string, unknown>>('adapterInfo()');
  const rows: BrowserBenchRow[] = [];
  const shapes = (process.env.BENCH_SHAPES ?? 'tiny').split(',');
  const batches = (process.env.BENCH_BATCHES ?? '64').split(',').map(Number);
  const cases = (process.env.BENCH_CASES ?? 'forward,pgd10').split(',');
  const save = () => {
    const out = { date: new Date().toISOString(), adapter, rows };
    if (process.env.BENCH_OUT) writeFileSync(process.env.BENCH_OUT, JSON.stringify(out, null, 2));
  };
  for (const shape of shapes) {
    for (const batch of batches) {
      for (const c of cases) {
        // Alternating engines per case, so both see the same machine load.
        for (const engine of (process.env.BENCH_ENGINES ?? 'exec,onnxruntime').split(',')) {
          const o = { shape, batch, engine, case: c, runs: Number(process.env.BENCH_RUNS ?? 5), maxMs: Number(process.env.BENCH_MAX_MS ?? 60_000) };
          const row = await call<BrowserBenchRow>(`benchOne(${JSON.stringify(o)})`);
          console.log(JSON.stringify(row));
          rows.push(row);
          save();
        }
      }
    }
  }
  console.log(JSON.stringify({ adapter, rows }, null, 2));
  expect(rows.length).toBeGreaterThan(0);
});
