/**
 * A record written by an older version (and a damaged one) in the browser's IndexedDB: the Runs panel opens, lists
 * them apart as damaged with the field that failed, exports one raw, deletes them, and the good run stays listed.
 * (Before, one such record blanked the panel that holds the Delete button, every time it opened.)
 * A reloaded page with such records shows the latest readable run in the Fine-tune panel (with its chart, the first
 * step drawn as a point) and the Subspaces panel, and says which records could not be read; a newer damaged record
 * never becomes the shown run.
 * Screenshots: test-results/screenshots/runs-damaged.png, runs-restored-*.png (attached to the test output).
 */
import { expect, test, type Download, type Page } from '@playwright/test';
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

/** Writes raw records into the browser's run storage (as an older version or a damaged disk would have left them). */
async function storeRaw(page: Page, records: unknown[]): Promise<void> {
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
  }, records);
}

test('damaged and old-version stored runs are listed apart, exportable and deletable; the panel keeps working', async ({ page }) => {
  await page.goto('/?selftest=off#p=model');
  const good = goodRun();
  const old = { ...goodRun(), id: 'run-old-0001', name: 'From an older version', fineTune: { batchSize: 8 } };
  const broken = { ...goodRun(), id: 'run-bad-0001', name: 'Damaged', metrics: [{ ...good.metrics[0], geometry: { step: 4 } }] };
  await storeRaw(page, [good, old, broken]);
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

test('after a reload the latest readable run is shown in Fine-tune and Subspaces; damaged records are named, never shown', async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.goto('/?selftest=off#p=model');
  const good = { ...goodRun(), status: 'interrupted', message: 'interrupted (the page was closed or reloaded at step 1)', updatedAt: Date.UTC(2026, 10, 2) };
  // Newer than the good run, but written by an older version: it must not become the shown run.
  const old = { ...goodRun(), id: 'run-old-0002', name: 'Newer but old-version', fineTune: { batchSize: 8 }, updatedAt: Date.UTC(2026, 10, 3) };
  await storeRaw(page, [good, old]);
  await page.reload();
  await page.locator('nav [data-panel="finetune"]').click();
  await expect(page.getByTestId('ft-run-name')).toHaveText('A good run');
  await expect(page.getByTestId('ft-status')).toHaveText('interrupted');
  await expect(page.getByText('No run yet.')).toHaveCount(0);
  const note = page.getByTestId('ft-restored');
  await expect(note).toContainText('Restored from this browser: A good run (interrupted, step 2 of 2)');
  await expect(note).toContainText('1 stored record could not be read');
  await expect(note).toContainText('run-old-0002, fineTune.method');
  // Its one stored step is drawn as a point (the run's one term, in the palette's first colour).
  const loss = page.getByTestId('ft-chart-loss');
  await expect(loss).toHaveAttribute('data-points', '1');
  await expect(loss).toHaveAttribute('data-single', 'true');
  const colored = await loss.locator('canvas').first().evaluate((c: HTMLCanvasElement) => {
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 200 && Math.abs(d[i] - 0x3b) < 24 && Math.abs(d[i + 1] - 0x5b) < 24 && Math.abs(d[i + 2] - 0xdb) < 24) n++;
    return n;
  });
  expect(colored).toBeGreaterThan(8);
  const body = await page.screenshot({ path: `${SHOTS}/runs-restored-finetune.png` });
  await test.info().attach('runs-restored-finetune', { body, contentType: 'image/png' });
  await page.setViewportSize({ width: 390, height: 844 });
  const phone = await page.screenshot({ path: `${SHOTS}/runs-restored-finetune-phone.png` });
  await test.info().attach('runs-restored-finetune-phone', { body: phone, contentType: 'image/png' });
  await page.setViewportSize({ width: 1280, height: 720 });

  // Subspaces can open it (it has no geometry snapshot: the panel says so rather than showing nothing).
  await page.locator('nav [data-panel="subspaces"]').click();
  const runButton = page.getByTestId('ss-source-run');
  await expect(runButton).toBeEnabled();
  await expect(runButton).toContainText('A good run');
  await runButton.click();
  await expect(runButton).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByTestId('ss-status')).toContainText('This run has no geometry snapshot yet');
  const ss = await page.screenshot({ path: `${SHOTS}/runs-restored-subspaces.png` });
  await test.info().attach('runs-restored-subspaces', { body: ss, contentType: 'image/png' });
});
