/**
 * Runs panel, "Import run JSON…" (no training): two run files are built here in Node with the panel's own export
 * (`runToJson` of synthetic records), imported through the file input, shown in the list as imported (no Resume,
 * no ONNX), drawn together on the compare chart, and re-exported byte for byte; then a hostile file (prototype
 * keys, a loss that is a string) is refused with a message naming the field, and the list is unchanged.
 * Screenshot: test-results/screenshots/runs-import.png.
 */
import { expect, test, type Download } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { defaultFineTuneConfig } from '../src/methods/config';
import type { StepMetrics } from '../src/methods/loop';
import { DEFAULT_RUN_OPTIONS, runToJson, type RunRecord } from '../src/storage/runRecord';
import { experimentWith, SHOTS } from './support';

function syntheticRun(id: string, name: string, method: 'tecoa' | 'aos', robustAt: (s: number) => number, lossScale: number): RunRecord {
  const metrics: StepMetrics[] = [];
  for (let s = 1; s <= 40; s++) {
    metrics.push({
      step: s, lr: { vision: 1e-4, text: 1e-5 }, loss: lossScale * Math.exp(-s / 15) + 0.3, terms: { ce: 2 * Math.exp(-s / 15) }, gradNorm: 0.5,
      stepPasses: { vision: 32, text: 0 }, passes: { vision: 32 * s, text: 0 }, seconds: 1.5, trainRobustAccuracy: robustAt(s) * 0.9,
      ...(s % 5 === 0 ? { val: { clean: 0.8 - s / 400, robust: robustAt(s), attack: 'PGD-10 L∞, ε 2/255', warnings: [] } } : {}),
    });
  }
  const config = experimentWith([['fineTune.method', method], ['fineTune.steps', 40]]);
  return {
    id, name, method, config, fineTune: { ...defaultFineTuneConfig(method), steps: 40, batchSize: 16 }, notes: [], options: { ...DEFAULT_RUN_OPTIONS },
    dataset: { id: 'fashion-mnist', name: 'Fashion-MNIST', trainSplit: 'train', valSplit: 'test', trainImages: 512, valImages: 32, classes: ['t-shirt', 'trouser'] },
    model: { key: 'bundled', title: 'Bundled tiny CLIP', kind: 'bundled' }, status: 'done', message: 'finished after 40 steps', error: null,
    metrics, thinned: 0, step: 40, totalSteps: 40, checkpointStep: 40, checkpointBytes: 5_100_000, trainSeconds: 60,
    createdAt: Date.UTC(2026, 10, 20, 9, 30), updatedAt: Date.UTC(2026, 10, 20, 9, 31), adapter: 'a colleague’s GPU', backend: 'exec',
  };
}

const file = (name: string, text: string) => ({ name, mimeType: 'application/json', buffer: Buffer.from(text, 'utf8') });

test('import exported runs, compare them, re-export identically; a hostile file is refused', async ({ page }) => {
  const tecoa = runToJson(syntheticRun('run-import-tecoa1', 'TeCoA from a colleague', 'tecoa', (s) => 0.05 + s / 200, 2.5));
  const aos = runToJson(syntheticRun('run-import-aos001', 'AoS from a colleague', 'aos', (s) => 0.08 + s / 150, 1.8));

  await page.goto('/?selftest=off#p=runs');
  await expect(page.getByTestId('panel-runs')).toBeVisible();
  await expect(page.getByTestId('runs-import')).toBeEnabled();
  const input = page.getByTestId('runs-import-input');

  await input.setInputFiles(file('tecoa-run.json', tecoa));
  await expect(page.getByTestId('runs-import-note')).toContainText('TeCoA from a colleague');
  await input.setInputFiles(file('aos-run.json', aos));
  await expect(page.getByTestId('runs-import-note')).toContainText('cannot be resumed');
  await expect(page.getByTestId('runs-import-error')).toHaveCount(0);

  const row = page.getByTestId('run-row-run-import-aos001');
  await expect(row).toHaveAttribute('data-imported', 'true');
  await expect(row).toHaveAttribute('data-status', 'done');
  await expect(row.getByTestId('run-imported-note')).toContainText('cannot be resumed');
  await expect(row.getByTestId('run-resume')).toHaveCount(0);
  await expect(row.getByTestId('run-model-zip')).toBeDisabled();
  await expect(row.getByTestId('run-robust')).toHaveText('34.7 %');
  await expect(page.getByTestId('runs-table').locator('tbody tr[data-imported="true"]')).toHaveCount(2);

  // Both are ticked: two series on one step axis.
  await expect(row.getByTestId('run-compare')).toBeChecked();
  const chart = page.getByTestId('runs-compare-chart');
  await expect(chart).toHaveAttribute('data-points', '40');
  await expect(chart.locator('.u-legend')).toContainText('AoS from a colleague');
  await expect(chart.locator('.u-legend')).toContainText('TeCoA from a colleague');

  // Re-export gives the file back.
  const [dl] = await Promise.all([page.waitForEvent('download'), row.getByTestId('run-json').click()]);
  const path = await (dl as Download).path();
  expect(readFileSync(path!, 'utf8')).toBe(aos);

  await page.screenshot({ path: `${SHOTS}/runs-import.png`, fullPage: true });

  // A hostile file: prototype keys and a loss that is not a number. Refused, nothing added.
  const hostile = JSON.parse(aos.replace('{\n "format"', '{\n "__proto__": { "polluted": true },\n "format"')) as Record<string, unknown> & { metrics: Array<Record<string, unknown>> };
  hostile.id = 'run-import-evil01';
  hostile.metrics[3].loss = '<img src=x onerror=alert(1)>';
  await input.setInputFiles(file('evil.json', JSON.stringify(hostile)));
  await expect(page.getByTestId('runs-import-error')).toHaveText('evil.json was not imported: metrics[3].loss: expected a number, found a string');
  await expect(page.getByTestId('runs-import-note')).toHaveCount(0);
  await expect(page.getByTestId('run-row-run-import-evil01')).toHaveCount(0);
  await expect(page.getByTestId('runs-table').locator('tbody tr[data-imported="true"]')).toHaveCount(2);
  expect(await page.evaluate(() => ({} as Record<string, unknown>).polluted)).toBeUndefined();
  await page.screenshot({ path: `${SHOTS}/runs-import-refused.png`, fullPage: true });

  // The same run again: refused by its id, nothing changes.
  await input.setInputFiles(file('aos-run.json', aos));
  await expect(page.getByTestId('runs-import-error')).toContainText('a run with its id (run-import-aos001) is already in the list');
  await expect(page.getByTestId('runs-table').locator('tbody tr')).toHaveCount(2);
});
