/**
 * Every method's training step on the page's own GPUDevice (Chromium WebGPU, our executor — the browser's default
 * engine): TeCoA, AoS, PMG-AFT and FARE each take steps whose metrics wait in the GPU ring, so a block of steps
 * reads back once, the ring's read, and nothing inside a step. The same code as Node's tests/methods/loop.test.ts,
 * run through the methods bench's page entry (bench/browser/probe.ts) at a tiny size; its times are not asserted.
 */
import { expect, test } from '@playwright/test';

const PROBE_PAGE = '/fixtures/probe.html';

interface Row { name: string; rates?: Record<string, number> }

test('every method\'s step in Chromium: one readback per block of steps (the metrics ring), none inside a step', async ({ page }) => {
  test.setTimeout(300_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(PROBE_PAGE);
  expect(await page.evaluate('!!navigator.gpu')).toBe(true);
  // Vite may reload the page once when it first optimises the probe's dependencies: then call again.
  const call = async (expr: string): Promise<unknown> => {
    const run = () => page.evaluate(`import('/bench/browser/probe.ts').then((m) => m.${expr})`);
    try {
      return await run();
    } catch (e) {
      if (!/context was destroyed|navigat|Target closed|dynamically imported module/i.test(String(e))) throw e;
      await page.goto(PROBE_PAGE);
      return await run();
    }
  };
  // One warm-up block (AoS's ridge from the spectrum reads once per run, there), then one measured block of 2 steps.
  const rows = await call(`benchMethods(${JSON.stringify({ batch: 2, m: 1, k: 1, runs: 1, warmup: 1, stepsPerRead: 2 })})`) as Row[];
  const steps = rows.filter((r) => r.name.endsWith('-step'));
  expect(steps.map((r) => r.name).sort()).toEqual(['methods/aos-step', 'methods/fare-step', 'methods/pmg-aft-step', 'methods/tecoa-step']);
  for (const r of steps) {
    expect(r.rates?.readbacksPerStep, `${r.name}: readbacks per step (the ring's one read per 2 steps)`).toBe(0.5);
    expect(r.rates?.stepReadbacks, `${r.name}: readbacks inside a step`).toBe(0);
  }
  expect(errors).toEqual([]);
});
