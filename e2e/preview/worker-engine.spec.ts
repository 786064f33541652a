/**
 * The built app's engine runs in a dedicated module Worker (src/engine/bridge/worker.ts), under the CSP: the Worker
 * is started from the app's origin, the attack playground's model is built there, and the onnxruntime-web engine
 * (WebAssembly + WebGPU inside the Worker, single-threaded without cross-origin isolation) classifies the image the
 * same as our executor, with no error and no CSP violation.
 */
import { expect, test } from '@playwright/test';

test('the built app computes in its engine Worker, onnxruntime-web included', async ({ page, baseURL }) => {
  test.setTimeout(600_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // onnxruntime's own warnings (node placement) go to console.error: not errors of the app.
  page.on('console', (m) => { if (m.type() === 'error' && !m.text().includes('[W:onnxruntime')) errors.push(`console: ${m.text()}`); });
  await page.goto('/?selftest=off#p=attack');
  await expect(page.getByTestId('attack-probs')).toBeVisible({ timeout: 240_000 });
  const workers = page.workers().map((w) => w.url());
  expect(workers.some((u) => u.startsWith(`${baseURL}/assets/worker-`)), workers.join(', ')).toBe(true);
  const exec = await page.getByTestId('attack-probs').getAttribute('data-clean-pred');

  await page.getByTestId('attack-engine').selectOption('onnxruntime');
  await expect(page.getByTestId('attack-engine')).toHaveValue('onnxruntime');
  await expect(page.getByTestId('attack-probs')).toBeVisible({ timeout: 240_000 });
  await expect(page.getByTestId('attack-probs')).toHaveAttribute('data-clean-pred', exec!, { timeout: 240_000 });
  expect(errors).toEqual([]);
});
