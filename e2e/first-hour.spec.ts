/**
 * The first hour of a new user (#19), in Chromium (WebGPU on SwiftShader), on a tiny TeCoA run (batch 2, PGD-1, no
 * validation, a 2-class probe measured every step):
 *
 * 1. The first step says what it is doing: the Fine-tune panel names the phase it is in (building graphs,
 *    compiling shaders, …) while it runs, then the seconds each phase took.
 * 2. The first chart point is drawn: after step 1 the loss chart holds one point, and its canvas has pixels of the
 *    series colour (it used to be an empty box).
 * 3. Subspaces follows the live run by default: opened during the run it shows the run (not "Current model" with
 *    empty spectra), the heat maps have the step-0 and step-1 columns, coloured by change from step 0 (the legend
 *    says so).
 * 4. A reload keeps the run as it was: Fine-tune shows it (interrupted, its steps and charts, a note saying it was
 *    restored) instead of "No run yet"; Subspaces can open it (its run button is enabled and shows its heat maps).
 * Screenshots at 1280×720 (and 390×844 for the panels a phone user opens): test-results/screenshots/first-hour-*.png,
 * attached to the test's output.
 */
import { expect, test, type Page } from '@playwright/test';
import { encodeConfigToken, type ExperimentConfig } from '../src/experiment';
import { experimentWith, SHOTS } from './support';

function runConfig(): ExperimentConfig {
  return experimentWith([
    ['name', 'e2e first hour'], ['fineTune.method', 'tecoa'], ['seed', 7], ['data.dataset', 'fashion-mnist'], ['data.evalSplit', 'val'],
    ['data.trainLimit', 32], ['fineTune.batchSize', 2], ['fineTune.attack.steps', 1], ['fineTune.attack.eps', 4 / 255],
    ['fineTune.steps', 400], ['fineTune.evalEvery', 0], ['fineTune.towers', 'vision'], ['fineTune.prompts.synonyms', 1],
  ]);
}

/** Saves a screenshot under test-results/screenshots and attaches it to the test's output. */
async function shot(page: Page, name: string): Promise<void> {
  const body = await page.screenshot({ path: `${SHOTS}/first-hour-${name}.png`, fullPage: false });
  await test.info().attach(`first-hour-${name}`, { body, contentType: 'image/png' });
}

async function stepOf(page: Page): Promise<number> {
  return Number(await page.getByTestId('ft-step').textContent());
}

/** Pixels of the chart's canvas within ±tol of an sRGB colour (the series' stroke and point fill). */
async function pixelsOf(page: Page, testId: string, rgb: [number, number, number], tol = 24): Promise<number> {
  return page.getByTestId(testId).locator('canvas').first().evaluate((c: HTMLCanvasElement, [r, g, b, t]) => {
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 200 && Math.abs(d[i] - r) <= t && Math.abs(d[i + 1] - g) <= t && Math.abs(d[i + 2] - b) <= t) n++;
    return n;
  }, [...rgb, tol] as [number, number, number, number]);
}

const PAIRS = ['advClean', 'imageText', 'advText'];

test.afterEach(async ({ page }, info) => {
  if (info.status === info.expectedStatus) return;
  const state = await page.evaluate(() => {
    const s = (window as unknown as { __aosRuns?: { getState(): Record<string, unknown> & { runs: Array<{ metrics: unknown[] }> } } }).__aosRuns?.getState();
    return s ? JSON.stringify({ live: s.live, firstStep: s.firstStep, error: s.error, activeRunId: s.activeRunId, runs: s.runs.map((r) => ({ ...r, metrics: r.metrics.length, config: undefined, fineTune: undefined })) }) : 'no store';
  }).catch((e: unknown) => `page not readable: ${String(e)}`);
  console.log(`runs store at failure: ${state}`);
});

test('first step phases, the first chart point, Subspaces following the live run, and the run back after a reload', async ({ page }) => {
  test.setTimeout(900_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  // The dev server's hot updates must not reload the page mid-run (files may be edited while this runs).
  await page.routeWebSocket(/.*/, () => undefined);
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.goto(`/?selftest=off#p=subspaces&x=${encodeConfigToken(runConfig())}`);
  await expect(page.getByTestId('panel-subspaces')).toBeVisible();
  // A small probe (2 classes × 2 views, 2 prompts per class), measured at step 0 and after every step.
  const chips = page.getByTestId('probe-settings').locator('.ss-class-chip');
  await expect(chips).toHaveCount(10);
  for (const name of ['Sandal', 'Sneaker']) await chips.filter({ hasText: name }).click();
  await expect(page.getByTestId('probe-settings').locator('.ss-class-chip.on')).toHaveCount(2);
  for (const [id, v] of [['probe-views', 2], ['probe-templates', 2], ['probe-every', 1]] as const) {
    await page.getByTestId(id).fill(String(v));
    await expect(page.getByTestId(id)).toHaveValue(String(v));
  }

  // 1. The first step names its phases as it goes.
  await page.locator('nav [data-panel="finetune"]').click();
  await expect(page.getByTestId('panel-finetune')).toBeVisible();
  await expect(page.getByText('No run yet.')).toBeVisible();
  // A checkpoint after every step, so that the reloaded run can resume.
  await page.getByTestId('ft-opt-checkpointSeconds').fill('1');
  await expect(page.getByTestId('ft-opt-checkpointSeconds')).toHaveValue('1');
  await page.getByTestId('ft-start').click();
  const first = page.getByTestId('ft-first-step');
  await expect(first).toBeVisible({ timeout: 300_000 });
  await expect(first).toHaveAttribute('data-current', /^(graphs|compile|geometry|attack|forward|backward|update)$/);
  await expect(page.getByTestId('ft-first-step-now')).toHaveText(/building graphs|compiling shaders|measuring the probe|attack|forward|backward|update/);
  await shot(page, 'first-step-running');
  await expect.poll(() => stepOf(page), { timeout: 600_000, intervals: [500] }).toBeGreaterThanOrEqual(1);
  await expect(first).toHaveAttribute('data-current', '');
  await expect(first).toContainText('took');
  // A first step compiles shaders, attacks, and updates; each is listed with its seconds.
  const phases = (await first.getAttribute('data-phases'))!.split(' ');
  expect(phases).toEqual(expect.arrayContaining(['compile', 'attack', 'update']));
  for (const p of phases) expect(Number((await first.locator(`li[data-phase="${p}"] b`).textContent())!.replace(' s', ''))).toBeGreaterThanOrEqual(0);

  // 2. One step: one point, drawn (TeCoA has one loss term, drawn in the palette's first colour #3b5bdb).
  const loss = page.getByTestId('ft-chart-loss');
  if ((await stepOf(page)) === 1) {
    await expect(loss).toHaveAttribute('data-points', '1');
    await expect(loss).toHaveAttribute('data-single', 'true');
  }
  await expect.poll(() => pixelsOf(page, 'ft-chart-loss', [0x3b, 0x5b, 0xdb])).toBeGreaterThan(8);
  await shot(page, 'first-point');

  // 3. Subspaces during the run: it shows the run, with the step-0 and step-1 columns, coloured by change.
  await page.locator('nav [data-panel="subspaces"]').click();
  await expect(page.getByTestId('ss-source-run')).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByTestId('ss-source-model')).toHaveAttribute('aria-pressed', 'false');
  for (const p of PAIRS) {
    await expect.poll(async () => Number(await page.getByTestId(`heatmap-${p}`).getAttribute('data-columns'))).toBeGreaterThanOrEqual(2);
    await expect(page.getByTestId(`spectrum-${p}`)).toHaveAttribute('data-drawn', 'true');
    await expect(page.getByTestId(`heat-legend-${p}`)).toHaveText('colour: change from step 0 (°)');
    await expect(page.getByTestId(`heatmap-${p}`)).toHaveAttribute('data-scale', 'change');
  }
  // Change is drawn on a range symmetric about 0.
  const [lo, hi] = (await page.getByTestId('heatmap-advClean').getAttribute('data-range'))!.split(',').map(Number);
  expect(lo).toBeCloseTo(-hi, 6);
  expect(hi).toBeGreaterThanOrEqual(0.5);
  await expect(page.getByTestId('ss-summary')).toContainText('Run e2e first hour');
  await expect(page.getByTestId('ss-follows')).toContainText('follows the live run');
  await shot(page, 'subspaces-live');
  const heat = await page.getByTestId('ss-evolution').screenshot({ path: `${SHOTS}/first-hour-heatmaps-change.png` });
  await test.info().attach('first-hour-heatmaps-change', { body: heat, contentType: 'image/png' });
  await page.setViewportSize({ width: 390, height: 844 });
  await shot(page, 'subspaces-live-phone');
  await page.setViewportSize({ width: 1280, height: 720 });
  // A choice stands: the current model is shown when asked for, while the run goes on.
  await page.getByTestId('ss-source-model').click();
  await expect(page.getByTestId('ss-source-model')).toHaveAttribute('aria-pressed', 'true');

  // 4. Reload while it runs (step 1's record is stored at once; wait for step 2 so it surely is).
  await page.locator('nav [data-panel="finetune"]').click();
  await expect.poll(() => stepOf(page), { timeout: 600_000, intervals: [500] }).toBeGreaterThanOrEqual(2);
  await page.reload();
  await page.locator('nav [data-panel="finetune"]').click();
  await expect(page.getByTestId('ft-run-name')).toHaveText('e2e first hour');
  await expect(page.getByTestId('ft-status')).toHaveText('interrupted');
  await expect(page.getByText('No run yet.')).toHaveCount(0);
  await expect(page.getByTestId('ft-restored')).toContainText('Restored from this browser: e2e first hour (interrupted');
  expect(await stepOf(page)).toBeGreaterThanOrEqual(1);
  await expect(page.getByTestId('ft-charts')).toHaveAttribute('data-steps', /^[1-9]\d*$/);
  expect(Number(await loss.getAttribute('data-points'))).toBeGreaterThanOrEqual(1);
  await expect(page.getByTestId('ft-resume')).toBeEnabled();
  await shot(page, 'finetune-after-reload');
  await page.setViewportSize({ width: 390, height: 844 });
  await shot(page, 'finetune-after-reload-phone');
  await page.setViewportSize({ width: 1280, height: 720 });

  await page.locator('nav [data-panel="subspaces"]').click();
  const runButton = page.getByTestId('ss-source-run');
  await expect(runButton).toBeEnabled();
  await expect(runButton).toContainText('e2e first hour');
  // Nothing measured in this page, and the run has snapshots: the restored run is shown without a click.
  await expect(runButton).toHaveAttribute('aria-pressed', 'true');
  await runButton.click();
  for (const p of PAIRS) {
    expect(Number(await page.getByTestId(`heatmap-${p}`).getAttribute('data-columns'))).toBeGreaterThanOrEqual(2);
    await expect(page.getByTestId(`spectrum-${p}`)).toHaveAttribute('data-drawn', 'true');
  }
  await expect(page.getByTestId('ss-summary')).toContainText('(TECOA, interrupted)');
  await shot(page, 'subspaces-after-reload');

  // Clean up: stop the interrupted run (no GPU work).
  await page.locator('nav [data-panel="finetune"]').click();
  await page.getByTestId('ft-stop').click();
  await expect(page.getByTestId('ft-status')).toHaveText('stopped');
  expect(errors).toEqual([]);
});
