/**
 * A record written by an older version (and a damaged one) in the browser's IndexedDB: the Runs panel opens, lists
 * them apart as damaged with the field that failed, exports one raw, deletes them, and the good run stays listed.
 * (Before, one such record blanked the panel that holds the Delete button, every time it opened.)
 * Screenshot: test-results/screenshots/runs-damaged.png.
 */
import { expect, test, type Download } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { defaultFineTuneConfig } from '../src/methods/config';
import { DEFAULT_RUN_OPTIONS, type RunRecord } from '../src/storage/runRecord';
import { experimentWith, SHOTS } from './support';

function goodRun(): RunRecord {
  return {
    id: 'run-good-0001', name: 'A good run', method: 'tecoa', config: experimentWith([['fineTune.method', 'tecoa']]), fineTune: { ...defaultFineTuneConfig('tecoa'), steps: 2 },
    notes: [], options: { ...DEFAULT_RUN_OPTIONS },
    dataset: { id: 'fashion-mnist', name: 'Fashion-MNIST', trainSplit: 'train', valSplit: 'test', trainImages: 64, valImages: 8, classes: ['a', 'b'] },
    model: { key: 'bundled', title: 'Bundled tiny CLIP', kind: 'bundled' }, status: 'done', message: 'finished', error: null,
    metrics: [{ step: 1, lr: { vision: 1e-4, text: 0 }, loss: 1, terms: { ce: 1 }, gradNorm: 0.5, stepPasses: { vision: 4, text: 0 }, passes: { vision: 4, text: 0 }, seconds: 1 }],
    thinned: 0, step: 2, totalSteps: 2, checkpointStep: null, checkpointBytes: 0, trainSeconds: 2, createdAt: Date.UTC(2026, 10, 1), updatedAt: Date.UTC(2026, 10, 1), adapter: null,
  };
}

test('damaged and old-version stored runs are listed apart, exportable and deletable; the panel keeps working', async ({ page }) => {
  await page.goto('/?selftest=off#p=model');
  const good = goodRun();
  const old = { ...goodRun(), id: 'run-old-0001', name: 'From an older version', fineTune: { batchSize: 8 } };
  const broken = { ...goodRun(), id: 'run-bad-0001', name: 'Damaged', metrics: [{ ...good.metrics[0], geometry: { step: 4 } }] };
  await page.evaluate(async (records) => {
    await new Promise<void>((resolve, reject) => {
      const req = indexedDB.open('aos-workbench-runs', 1);
      req.onupgradeneeded = () => {
        req.result.createObjectStore('runs', { keyPath: 'id' });
        req.result.createObjectStore('checkpoints', { keyPath: 'id' });
      };
      req.onsuccess = () => {
        const tx = req.result.transaction('runs', 'readwrite');
        for (const r of records) tx.objectStore('runs').put(r);
        tx.oncomplete = () => { req.result.close(); resolve(); };
        tx.onerror = () => reject(tx.error);
      };
      req.onerror = () => reject(req.error);
    });
  }, [good, old, broken]);
  await page.reload();
  await page.locator('nav [data-panel="runs"]').click();
  const card = page.getByTestId('runs-damaged');
  await expect(card).toBeVisible();
  await expect(card).toContainText('2 stored records could not be read');
  await expect(card).toContainText('fineTune.method');
  await expect(card).toContainText('metrics[0].geometry.images');
  await expect(page.getByText('A good run')).toBeVisible();
  await expect(page.getByTestId('panel-error')).toHaveCount(0);
  await page.screenshot({ path: `${SHOTS}/runs-damaged.png`, fullPage: true });

  const row = card.locator('li', { hasText: 'run-old-0001' });
  const [download] = await Promise.all([page.waitForEvent('download') as Promise<Download>, row.getByRole('button', { name: 'Export raw' }).click()]);
  const raw = JSON.parse(readFileSync((await download.path())!, 'utf8')) as { fineTune: unknown; name: string };
  expect(raw.fineTune).toEqual({ batchSize: 8 });
  expect(raw.name).toBe('From an older version');

  await row.getByRole('button', { name: 'Delete' }).click();
  await card.locator('li', { hasText: 'run-bad-0001' }).getByRole('button', { name: 'Delete' }).click();
  await expect(card).toHaveCount(0);
  await page.reload();
  await page.locator('nav [data-panel="runs"]').click();
  await expect(page.getByText('A good run')).toBeVisible();
  await expect(page.getByTestId('runs-damaged')).toHaveCount(0);
});
