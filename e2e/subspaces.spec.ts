/**
 * The subspace panels in Chromium (WebGPU on SwiftShader) on the bundled model (or the random-init one when the
 * bundle is absent):
 *
 * 1. "Measure the current model" (no training): the probe (3 Fashion-MNIST training images × 3 views, 3 × 3
 *    prompts per class, PGD and the prompt attack) goes through the model; the three principal-angle spectra are drawn (one angle per view for the
 *    image pairs, one per prompt for the text pair, values read back from the page's store and checked in range),
 *    and the 2-D projection holds every point (2 × 9 image points + 2 × 3 text groups).
 * 2. A tiny AoS run (batch 1, PGD-1, the probe measured every step): while it trains the panel follows it (not the
 *    earlier measurement); the evolution heat maps grow one column per step (coloured by change from step 0), the
 *    run's spectra and projection are shown at its latest step.
 * Screenshots: test-results/screenshots/subspaces-*.png. Everything is tiny: SwiftShader is slow.
 */
import { expect, test, type Page } from '@playwright/test';
import { encodeConfigToken, type ExperimentConfig } from '../src/experiment';
import { engineWorker, experimentWith, SHOTS } from './support';


function config(): ExperimentConfig {
  return experimentWith([
    ['name', 'e2e subspaces'], ['fineTune.method', 'aos'], ['seed', 5], ['data.dataset', 'fashion-mnist'], ['data.evalSplit', 'val'],
    ['data.trainLimit', 32], ['fineTune.batchSize', 1], ['fineTune.attack.steps', 1], ['fineTune.attack.eps', 4 / 255], ['fineTune.steps', 400],
    ['fineTune.evalEvery', 1000], ['fineTune.aos.augmentations', 2], ['fineTune.prompts.templates', 2], ['fineTune.prompts.synonyms', 1],
  ]);
}

async function setNumber(page: Page, testId: string, value: number): Promise<void> {
  const input = page.getByTestId(testId);
  await input.fill(String(value));
  await expect(input).toHaveValue(String(value));
}

async function attr(page: Page, testId: string, name: string): Promise<number> {
  return Number(await page.getByTestId(testId).getAttribute(name));
}

test('measure the current model: three spectra and the projection are drawn; a tiny AoS run grows the heat maps', async ({ page }) => {
  test.setTimeout(900_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.setViewportSize({ width: 1400, height: 1000 });
  await page.goto(`/?selftest=off#p=subspaces&x=${encodeConfigToken(config())}`);
  await expect(page.getByTestId('panel-subspaces')).toBeVisible();
  await expect(page.getByTestId('coming-soon')).toHaveCount(0);
  for (const p of ['advClean', 'imageText', 'advText']) await expect(page.getByTestId(`spectrum-${p}`)).toHaveAttribute('data-drawn', 'false');

  // A small probe: 3 classes (T-shirt/top, Pullover, Sandal), 3 views.
  const chips = page.getByTestId('probe-settings').locator('.ss-class-chip');
  await expect(chips).toHaveCount(10);
  await chips.filter({ hasText: 'Sneaker' }).click();
  await expect(page.getByTestId('probe-settings').locator('.ss-class-chip.on')).toHaveCount(3);
  await setNumber(page, 'probe-views', 3);
  await setNumber(page, 'probe-templates', 3);
  await setNumber(page, 'probe-every', 1);

  await page.getByTestId('ss-measure').click();
  await expect(page.getByTestId('ss-measure')).toBeDisabled();
  await expect(page.getByTestId('ss-summary')).toBeVisible({ timeout: 600_000 });
  await expect(page.getByTestId('ss-status')).not.toContainText('failed');
  for (const p of ['advClean', 'imageText', 'advText']) await expect(page.getByTestId(`spectrum-${p}`)).toHaveAttribute('data-drawn', 'true');
  expect(await attr(page, 'spectrum-advClean', 'data-angles')).toBe(3);
  expect(await attr(page, 'spectrum-advClean', 'data-groups')).toBe(3);
  expect(await attr(page, 'spectrum-imageText', 'data-angles')).toBe(3);
  const G = await attr(page, 'spectrum-advText', 'data-angles');
  expect(G).toBe(9);
  expect(await attr(page, 'spectrum-advText', 'data-groups')).toBe(3);
  await expect(page.getByTestId('projection')).toHaveAttribute('data-drawn', 'true');
  expect(await attr(page, 'projection', 'data-points')).toBe(2 * 9 + 2 * 3 * G);
  await expect(page.getByTestId('ss-summary')).toContainText('T-shirt/top, Pullover, Sandal');
  // The numbers behind the plots: angles in [0°, 90°], ascending; the attack moved the adversarial views.
  const spectra: Record<string, number[]> = {};
  for (const p of ['advClean', 'imageText', 'advText']) spectra[p] = JSON.parse((await page.getByTestId(`spectrum-${p}`).getAttribute('data-spectrum'))!) as number[];
  for (const [k, v] of Object.entries(spectra)) {
    expect(v.every((d) => d >= 0 && d <= 90.001), k).toBe(true);
    for (let i = 1; i < v.length; i++) expect(v[i], k).toBeGreaterThanOrEqual(v[i - 1] - 1e-3);
  }
  expect(Math.max(...spectra.advClean)).toBeGreaterThan(0.1);
  // Images and text of the pre-trained model are far from aligned.
  expect(spectra.imageText[0]).toBeGreaterThan(spectra.advClean[0]);
  // Measuring the same model again reuses the cached gradient graphs and probe: nothing new is built, same numbers.
  type CacheStats = { measured: number; modelBuilds: number; probeBuilds: number };
  // The measurement caches live in the engine Worker, which exposes their counts (development builds).
  const worker = await engineWorker(page);
  const stats = () => worker.evaluate(() => (globalThis as unknown as { __aosGeometryCache: () => CacheStats }).__aosGeometryCache());
  const first = await stats();
  expect(first.modelBuilds).toBe(1);
  await page.getByTestId('ss-measure').click();
  await expect.poll(async () => (await stats()).measured, { timeout: 600_000, intervals: [500] }).toBe(first.measured + 1);
  await expect(page.getByTestId('ss-measure')).toBeEnabled();
  await expect(page.getByTestId('ss-status')).not.toContainText('failed');
  const second = await stats();
  expect(second.modelBuilds).toBe(1);
  expect(second.probeBuilds).toBe(first.probeBuilds);
  for (const p of ['advClean', 'imageText', 'advText']) {
    const again = JSON.parse((await page.getByTestId(`spectrum-${p}`).getAttribute('data-spectrum'))!) as number[];
    expect(again.length, p).toBe(spectra[p].length);
    for (let i = 0; i < again.length; i++) expect(Math.abs(again[i] - spectra[p][i]), p).toBeLessThan(1e-3);
  }
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `${SHOTS}/subspaces-model.png`, fullPage: true });
  await page.getByTestId('ss-projection-card').screenshot({ path: `${SHOTS}/subspaces-projection.png` });

  // A tiny AoS run, the probe measured at step 0 and after every step.
  await page.locator('[data-panel="finetune"]').click();
  await expect(page.getByTestId('panel-finetune')).toBeVisible();
  await page.getByTestId('ft-start').click();
  await expect.poll(async () => Number(await page.getByTestId('ft-step').textContent()), { timeout: 600_000, intervals: [1000] }).toBeGreaterThanOrEqual(2);
  // While it trains, the panel follows the run (not the earlier measurement of the current model).
  await page.locator('[data-panel="subspaces"]').click();
  await expect(page.getByTestId('ss-source-run')).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByTestId('ss-summary')).toContainText('Run e2e subspaces');
  await expect(page.getByTestId('heat-legend-advClean')).toHaveText('colour: change from step 0 (°)');
  await page.locator('[data-panel="finetune"]').click();
  await page.getByTestId('ft-stop').click();
  await expect(page.getByTestId('ft-status')).toHaveText('stopped', { timeout: 300_000 });
  const steps = Number(await page.getByTestId('ft-step').textContent());
  await page.locator('[data-panel="subspaces"]').click();
  await expect(page.getByTestId('panel-subspaces')).toBeVisible();
  await page.getByTestId('ss-source-run').click();
  // Step 0 + one column per step.
  for (const p of ['advClean', 'imageText', 'advText']) {
    await expect(page.getByTestId(`heatmap-${p}`)).toHaveAttribute('data-columns', String(steps + 1));
  }
  await expect(page.getByTestId('ss-summary')).toContainText(`at step ${steps}`);
  for (const p of ['advClean', 'imageText', 'advText']) await expect(page.getByTestId(`spectrum-${p}`)).toHaveAttribute('data-drawn', 'true');
  // AoS also reports every training batch's spectra.
  await page.getByTestId('ss-heat-batch').click();
  await expect(page.getByTestId('heatmap-advClean')).toHaveAttribute('data-columns', String(steps));
  // Colours over the map's own range: a range inside [0°, 90°].
  await page.getByTestId('ss-heat-fit').click();
  const [lo, hi] = (await page.getByTestId('heatmap-advClean').getAttribute('data-range'))!.split(',').map(Number);
  expect(lo).toBeGreaterThanOrEqual(0);
  expect(hi).toBeLessThanOrEqual(90);
  expect(hi - lo).toBeLessThan(90);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `${SHOTS}/subspaces-run.png`, fullPage: true });
  await page.getByTestId('ss-evolution').screenshot({ path: `${SHOTS}/subspaces-heatmaps.png` });
  expect(errors).toEqual([]);
});
