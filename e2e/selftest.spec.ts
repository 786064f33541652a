/**
 * The same kernel self-checks as the Node suite, in headless Chromium's WebGPU (SwiftShader), through the page's
 * Self-test panel (`?selftest=run` and `#p=selftest` open it; the checks run on the "Run self-test" click only).
 */
import { expect, test } from '@playwright/test';
import { mkdirSync } from 'node:fs';

interface Summary {
  status: string;
  seed: number;
  passed: number;
  failed: number;
  total: number;
  reports: { name: string; ok: boolean; message: string }[];
}

test('every kernel self-check passes in Chromium WebGPU', async ({ page }) => {
  const seed = (Math.random() * 2 ** 32) >>> 0;
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`/?selftest=run&seed=${seed}`);
  await expect(page.getByTestId('gpu-status')).toHaveText('ready', { timeout: 60_000 });
  await page.getByRole('button', { name: 'Run self-test' }).click();
  const json = page.locator('#selftest-json');
  await expect(json).toHaveAttribute('data-status', /done|error/);
  const summary = JSON.parse((await json.textContent()) ?? '{}') as Summary;
  mkdirSync('test-results/screenshots', { recursive: true });
  await page.screenshot({ path: 'test-results/screenshots/selftest.png', fullPage: true });
  const failures = summary.reports.filter((r) => !r.ok).map((r) => `${r.name}: ${r.message}`);
  expect(summary.status, `self-test did not finish (seed ${seed})`).toBe('done');
  expect(failures, `seed ${seed}`).toEqual([]);
  expect(summary.total).toBeGreaterThan(0);
  expect(summary.passed).toBe(summary.total);
  expect(errors).toEqual([]);
});

test('the page names the adapter and its limits; a link to the panel starts no GPU work', async ({ page }) => {
  await page.goto('/#p=selftest');
  await expect(page.getByTestId('gpu-status')).toHaveText('ready', { timeout: 60_000 });
  await page.waitForTimeout(1000);
  await expect(page.getByTestId('selftest-status')).toHaveText('idle');
  await expect(page.locator('#selftest-json')).toHaveAttribute('data-status', 'idle');
  await expect(page.getByTestId('adapter-vendor')).not.toHaveText('');
  await expect(page.getByText('maxStorageBufferBindingSize')).toBeVisible();
});
