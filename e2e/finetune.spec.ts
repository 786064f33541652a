/**
 * Live fine-tuning in Chromium (WebGPU on SwiftShader) on the bundled model (or the random-init one when the
 * bundle is absent): a very short TeCoA run (batch 2, PGD-1, validation on 8 images) through onnxruntime-web's
 * WebGPU backend — the browser path of the fine-tuning loop.
 *
 * 1. Start: the run goes 'running', the step counter and the loss / accuracy / throughput charts fill in.
 * 2. Pause: the run stops after the step in flight ('paused', checkpoint kept, Resume enabled, Pause disabled);
 *    Resume continues from the next step.
 * 3. Reload while it runs: the Fine-tune panel shows the run (interrupted, its charts, "restored" note); it is in the
 *    Runs list as 'interrupted' with its metrics; Resume (from the list)
 *    continues from the stored checkpoint's step. The GPU device is lost (destroyed from the page): 'interrupted'
 *    with a clear error; Resume continues on a new device. Stop ends it ('stopped').
 * 4. Runs panel: compare chart of the ticked run; CSV and JSON exports (parsed here); the fine-tuned model as one
 *    .zip (read here with the app's reader, manifest verified; its towers decoded: the bundled graphs, changed
 *    weights); delete. Loading that zip back in the Model panel: e2e/model-zip.spec.ts.
 * Screenshots: test-results/screenshots/finetune-*.png, runs-*.png.
 */
import { expect, test, type Download, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { encodeConfigToken, type ExperimentConfig } from '../src/experiment';
import { engineWorker, experimentWith, SHOTS } from './support';
import { decodeModel } from '../src/onnx/proto';
import { readModelZip } from '../src/models/modelZip';


function runConfig(): ExperimentConfig {
  return experimentWith([
    ['name', 'e2e TeCoA'], ['fineTune.method', 'tecoa'], ['seed', 3], ['data.dataset', 'fashion-mnist'], ['data.evalSplit', 'val'],
    ['data.trainLimit', 64], ['fineTune.batchSize', 2], ['fineTune.attack.steps', 1], ['fineTune.attack.eps', 4 / 255], ['fineTune.lr', 1e-4],
    ['fineTune.steps', 400], ['fineTune.evalEvery', 2], ['fineTune.towers', 'vision'], ['fineTune.prompts.synonyms', 1],
  ]);
}

// On failure: the run's state as the page's runs store holds it (the dev build exposes it), for the log.
test.afterEach(async ({ page }, info) => {
  if (info.status === info.expectedStatus) return;
  const state = await page.evaluate(() => {
    const s = (window as unknown as { __aosRuns?: { getState(): { live: unknown; error: unknown; runs: Array<Record<string, unknown> & { metrics: unknown[] }> } } }).__aosRuns?.getState();
    return s ? JSON.stringify({ live: s.live, error: s.error, runs: s.runs.map((r) => ({ ...r, metrics: r.metrics.length, config: undefined, fineTune: undefined })) }) : 'no store';
  }).catch((e: unknown) => `page not readable: ${String(e)}`);
  console.log(`runs store at failure: ${state}`);
  await page.screenshot({ path: `${SHOTS}/finetune-failure.png`, fullPage: true }).catch(() => undefined);
});

async function stepOf(page: Page): Promise<number> {
  return Number(await page.getByTestId('ft-step').textContent());
}

async function waitStep(page: Page, atLeast: number): Promise<number> {
  await expect.poll(() => stepOf(page), { timeout: 420_000, intervals: [500] }).toBeGreaterThanOrEqual(atLeast);
  return stepOf(page);
}

async function chartPoints(page: Page, id: string): Promise<number> {
  return Number(await page.getByTestId(id).getAttribute('data-points'));
}

async function setOption(page: Page, key: string, value: number): Promise<void> {
  const input = page.getByTestId(`ft-opt-${key}`);
  await input.fill(String(value));
  await expect(input).toHaveValue(String(value));
}

async function saved(d: Download): Promise<Buffer> {
  return readFileSync((await d.path())!);
}

test('a short TeCoA fine-tune runs live, pauses and resumes, survives a reload as interrupted, resumes from its checkpoint, exports', async ({ page }) => {
  test.setTimeout(1_500_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  // On failure, the run's state in the log (the dev build exposes the runs store).
  page.on('console', (m) => { if (m.type() === 'error' && !m.text().includes('onnxruntime')) console.log(`page: ${m.text().slice(0, 400)}`); });
  // The dev server's hot updates (files edited while the test runs) must not reload or re-evaluate the page's
  // modules mid-run: its websocket is answered here and never reaches the server.
  await page.routeWebSocket(/.*/, () => undefined);
  await page.setViewportSize({ width: 1400, height: 1000 });
  await page.goto(`/?selftest=off#p=finetune&x=${encodeConfigToken(runConfig())}`);
  await expect(page.getByTestId('panel-finetune')).toBeVisible();
  await expect(page.getByTestId('ft-next')).toContainText('TeCoA');
  await expect(page.getByTestId('ft-pause')).toBeDisabled();
  await expect(page.getByTestId('ft-resume')).toBeDisabled();
  await setOption(page, 'valImages', 8);
  await setOption(page, 'valAttackSteps', 2);
  await setOption(page, 'checkpointSeconds', 1);
  await page.screenshot({ path: `${SHOTS}/finetune-settings.png`, fullPage: true });

  // 1. Start: live steps and charts.
  await page.getByTestId('ft-start').click();
  await expect(page.getByTestId('ft-status')).toHaveText('running');
  await expect(page.getByTestId('ft-start')).toBeDisabled();
  await waitStep(page, 1);
  await expect(page.getByTestId('ft-run-error')).toHaveCount(0);
  await waitStep(page, 2);
  expect(await chartPoints(page, 'ft-chart-loss')).toBeGreaterThanOrEqual(2);
  expect(await chartPoints(page, 'ft-chart-throughput')).toBeGreaterThanOrEqual(2);
  expect(Number(await page.getByTestId('ft-chart-acc').getAttribute('data-val-points'))).toBeGreaterThanOrEqual(1);
  await expect(page.getByTestId('ft-chart-acc').locator('canvas')).toHaveCount(1);
  // Per-term gradient norms (log scale) with the clip factor: TeCoA's one term, ce.
  await expect.poll(() => chartPoints(page, 'ft-chart-gradnorms')).toBeGreaterThanOrEqual(2);
  await expect(page.getByTestId('ft-chart-gradnorms').locator('canvas')).toHaveCount(1);
  expect(await page.getByTestId('ft-chart-gradnorms').getAttribute('data-terms')).toBe('ce');
  await expect(page.getByTestId('ft-chart-gradnorms')).toContainText('clip factor');
  expect(Number(await page.getByTestId('ft-distinct').textContent())).toBeGreaterThan(0);
  await expect(page.getByTestId('ft-facts')).toContainText('img/s');
  await expect(page.getByTestId('ft-pause')).toBeEnabled();
  await page.screenshot({ path: `${SHOTS}/finetune-running.png`, fullPage: true });

  // 2. Pause after the step in flight; resume continues.
  await page.getByTestId('ft-pause').click();
  await expect(page.getByTestId('ft-status')).toHaveText('paused', { timeout: 420_000 });
  const pausedAt = await stepOf(page);
  await expect(page.getByTestId('ft-facts')).toContainText(`checkpoint at step ${pausedAt}`);
  await expect(page.getByTestId('ft-pause')).toBeDisabled();
  await expect(page.getByTestId('ft-resume')).toBeEnabled();
  await expect(page.getByTestId('ft-start')).toBeEnabled();
  await page.waitForTimeout(1500);
  expect(await stepOf(page)).toBe(pausedAt);
  await page.screenshot({ path: `${SHOTS}/finetune-paused.png`, fullPage: true });
  await page.getByTestId('ft-resume').click();
  await expect(page.getByTestId('ft-status')).toHaveText('running');
  await waitStep(page, pausedAt + 1);

  // 3. Reload while running: the run is 'interrupted', with its metrics, and resumes from its checkpoint.
  const beforeReload = await stepOf(page);
  await page.reload();
  // The Fine-tune panel shows the run where it left off (it used to say "No run yet").
  await page.getByRole('navigation', { name: 'panels' }).locator('[data-panel="finetune"]').click();
  await expect(page.getByTestId('ft-run-name')).toHaveText('e2e TeCoA');
  await expect(page.getByTestId('ft-status')).toHaveText('interrupted');
  await expect(page.getByTestId('ft-restored')).toContainText('Restored from this browser: e2e TeCoA');
  expect(await chartPoints(page, 'ft-chart-loss')).toBeGreaterThanOrEqual(2);
  await page.getByRole('navigation', { name: 'panels' }).locator('[data-panel="runs"]').click();
  const row = page.locator('[data-run-name="e2e TeCoA"]');
  await expect(row).toHaveCount(1);
  await expect(row).toHaveAttribute('data-status', 'interrupted');
  await expect(row.getByTestId('run-clean')).toContainText('%');
  await page.screenshot({ path: `${SHOTS}/runs-after-reload.png`, fullPage: true });
  await row.getByTestId('run-resume').click();
  await expect(page.getByTestId('panel-finetune')).toBeVisible();
  await expect(page.getByTestId('ft-status')).toHaveText('running', { timeout: 420_000 });
  await expect(page.getByTestId('ft-message')).toContainText('resumed at step');
  const resumedAt = Number((await page.getByTestId('ft-message').textContent())!.match(/resumed at step (\d+)/)![1]);
  expect(resumedAt).toBeGreaterThanOrEqual(pausedAt);
  expect(resumedAt).toBeLessThanOrEqual(beforeReload + 1);
  await waitStep(page, resumedAt + 1);
  await page.screenshot({ path: `${SHOTS}/finetune-resumed.png`, fullPage: true });

  // A lost GPU device: the run goes 'interrupted' and resumes on a new device from its last checkpoint.
  const lostAt = await stepOf(page);
  // The device lives in the engine Worker: destroyed there, through its development hook.
  await (await engineWorker(page)).evaluate(() => (globalThis as unknown as { __aosFineTuneEngine: { live: { ctx: { device: GPUDevice } } } }).__aosFineTuneEngine.live.ctx.device.destroy());
  await expect(page.getByTestId('ft-status')).toHaveText('interrupted', { timeout: 420_000 });
  await expect(page.getByTestId('ft-run-error')).toContainText('GPU device was lost');
  await expect(page.getByTestId('ft-resume')).toBeEnabled();
  await page.screenshot({ path: `${SHOTS}/finetune-device-lost.png`, fullPage: true });
  await page.getByTestId('ft-resume').click();
  await expect(page.getByTestId('ft-status')).toHaveText('running', { timeout: 420_000 });
  await expect(page.getByTestId('ft-run-error')).toHaveCount(0);
  await waitStep(page, lostAt + 1);
  await expect(page.locator('.gpu-badge')).toContainText('ready');
  await page.getByTestId('ft-stop').click();
  await expect(page.getByTestId('ft-status')).toHaveText('stopped', { timeout: 420_000 });
  await expect(page.getByTestId('ft-start')).toBeEnabled();
  await expect(page.getByTestId('ft-resume')).toBeDisabled();
  await expect(page.getByTestId('ft-stop')).toBeDisabled();
  const finalStep = await stepOf(page);
  await page.screenshot({ path: `${SHOTS}/finetune-stopped.png`, fullPage: true });

  // 4. Runs panel: compare, exports, delete.
  await page.getByRole('navigation', { name: 'panels' }).locator('[data-panel="runs"]').click();
  await expect(row).toHaveAttribute('data-status', 'stopped');
  await row.getByTestId('run-compare').check();
  await expect.poll(() => chartPoints(page, 'runs-compare-chart')).toBeGreaterThanOrEqual(finalStep);
  await page.getByTestId('compare-loss').click();
  await page.screenshot({ path: `${SHOTS}/runs-compare.png`, fullPage: true });

  const [csvDl] = await Promise.all([page.waitForEvent('download'), row.getByTestId('run-csv').click()]);
  const csv = (await saved(csvDl)).toString('utf8').trim().split('\n');
  expect(csv[0].split(',')).toEqual(expect.arrayContaining(['step', 'loss', 'term.ce', 'val.clean', 'val.robust', 'lr.vision', 'seconds', 'gradNorm.ce', 'clipFactor', 'distinctImages']));
  expect(csv.length - 1).toBe(finalStep);
  const steps = csv.slice(1).map((l) => Number(l.split(',')[0]));
  expect(steps).toEqual(Array.from({ length: finalStep }, (_, i) => i + 1));

  const [jsonDl] = await Promise.all([page.waitForEvent('download'), row.getByTestId('run-json').click()]);
  const json = JSON.parse((await saved(jsonDl)).toString('utf8'));
  expect(json.format).toBe('aos-workbench-run-1');
  expect(json.status).toBe('stopped');
  expect(json.config.fineTune.method).toBe('tecoa');
  expect(json.metrics).toHaveLength(finalStep);
  const vals = json.metrics.filter((m: { val?: unknown }) => m.val).map((m: { val: { clean: number; robust: number } }) => m.val);
  expect(vals.length).toBeGreaterThanOrEqual(2);
  for (const v of vals) expect(v.robust).toBeLessThanOrEqual(v.clean);
  // The pre-trained model classifies some of the 8 validation images (the random-init fallback may not).
  if (json.model.kind === 'bundled') expect(Math.max(...vals.map((v: { clean: number }) => v.clean))).toBeGreaterThan(0.25);

  // The fine-tuned model: one .zip (both towers, tokenizer, configs, sha256 manifest), read back with the app's reader.
  const [zipDl] = await Promise.all([page.waitForEvent('download', { timeout: 120_000 }), row.getByTestId('run-model-zip').click()]);
  expect(zipDl.suggestedFilename()).toMatch(/-step\d+\.zip$/);
  const zip = await readModelZip(new Uint8Array(await saved(zipDl)), zipDl.suggestedFilename());
  expect(zip.manifest?.files.length).toBe(zip.files.size);
  for (const name of ['onnx/vision_model.onnx', 'onnx/text_model.onnx']) {
    const m = decodeModel(zip.files.get(name)!);
    expect(m.graph.nodes.length).toBeGreaterThan(10);
    expect(m.graph.initializers.size).toBeGreaterThan(10);
  }

  await row.getByTestId('run-delete').click();
  await row.getByTestId('run-delete-confirm').click();
  await expect(row).toHaveCount(0);
  await page.reload();
  await page.getByRole('navigation', { name: 'panels' }).locator('[data-panel="runs"]').click();
  await expect(page.getByTestId('runs-empty')).toBeVisible();
  expect(errors).toEqual([]);
});
