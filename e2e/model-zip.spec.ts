/**
 * The fine-tuned model as one file, out and back in (issue #19), in Chromium (WebGPU on SwiftShader):
 *  1. a two-step TeCoA fine-tune of the bundled model (validation off: the shortest run that stores a checkpoint);
 *  2. Runs panel → "Model .zip": one download, read here with the app's reader (src/models/modelZip.ts): a manifest
 *     listing every file with its sha256, the vision tower changed from the bundled one;
 *  3. Model panel → "Open files…" with a copy whose vision tower has one byte flipped: refused, naming the file and
 *     the sha256, and the bundled model stays loaded;
 *  4. the intact zip: loaded as a local model, its files listed with the manifest's sha256s and the note that they were
 *     verified; the Attack panel uses it and classifies the selected test image.
 * Screenshot: test-results/screenshots/model-zip.png.
 */
import { expect, test } from '@playwright/test';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeConfigToken, type ExperimentConfig } from '../src/experiment';
import { readModelZip } from '../src/models/modelZip';
import { experimentWith, listedModelFiles, sha256, SHOTS } from './support';

function runConfig(): ExperimentConfig {
  return experimentWith([
    ['name', 'e2e zip'], ['fineTune.method', 'tecoa'], ['seed', 5], ['data.dataset', 'fashion-mnist'], ['data.evalSplit', 'val'],
    ['data.trainLimit', 16], ['fineTune.batchSize', 2], ['fineTune.attack.steps', 1], ['fineTune.attack.eps', 4 / 255], ['fineTune.lr', 1e-3],
    ['fineTune.steps', 2], ['fineTune.evalEvery', 0], ['fineTune.towers', 'vision'], ['fineTune.prompts.synonyms', 1],
  ]);
}

const BUNDLED_VISION = 'public/models/tiny-clip/onnx/vision_model.onnx';

test('a fine-tuned model exported as one .zip loads back in the Model panel and classifies; a damaged copy is refused', async ({ page }) => {
  test.setTimeout(900_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  // No hot reloads mid-run (files edited while the test runs).
  await page.routeWebSocket(/.*/, () => undefined);
  await page.setViewportSize({ width: 1400, height: 1000 });
  const nav = page.getByRole('navigation', { name: 'panels' });

  // 1. A two-step fine-tune.
  await page.goto(`/?selftest=off#p=finetune&x=${encodeConfigToken(runConfig())}`);
  await expect(page.getByTestId('panel-finetune')).toBeVisible();
  await page.getByTestId('ft-start').click();
  await expect(page.getByTestId('ft-status')).toHaveText('done', { timeout: 600_000 });

  // 2. One download: the folder and its manifest.
  await nav.locator('[data-panel="runs"]').click();
  const row = page.locator('[data-run-name="e2e zip"]');
  await expect(row).toHaveAttribute('data-status', 'done');
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 120_000 }), row.getByTestId('run-model-zip').click()]);
  expect(dl.suggestedFilename()).toMatch(/-step2\.zip$/);
  const bytes = new Uint8Array(readFileSync((await dl.path())!));
  const zip = await readModelZip(bytes, dl.suggestedFilename());
  const manifest = new Map(zip.manifest!.files.map((f) => [f.path, f.sha256]));
  expect([...manifest.keys()].sort()).toEqual(expect.arrayContaining(['config.json', 'onnx/text_model.onnx', 'onnx/vision_model.onnx', 'preprocessor_config.json', 'tokenizer.json']));
  expect(manifest.get('onnx/vision_model.onnx'), 'the fine-tuned vision tower differs from the bundled one').not.toBe(sha256(readFileSync(BUNDLED_VISION)));
  const dir = mkdtempSync(join(tmpdir(), 'model-zip-'));
  const good = join(dir, dl.suggestedFilename());
  writeFileSync(good, bytes);
  // The ONNX files are stored uncompressed: flip one byte inside the vision tower's data.
  const damaged = bytes.slice();
  const at = Buffer.from(damaged).indexOf('onnx/vision_model.onnx') + 'onnx/vision_model.onnx'.length + 4096;
  damaged[at] ^= 0xff;
  const bad = join(dir, 'damaged.zip');
  writeFileSync(bad, damaged);

  // 3. The damaged copy: refused, the model shown before stays.
  await nav.locator('[data-panel="model"]').click();
  await expect(page.getByTestId('model-kind')).toHaveText('bundled', { timeout: 120_000 });
  const alert = page.getByTestId('local-model-error');
  await page.getByTestId('model-files-input').setInputFiles(bad);
  await expect(alert).toContainText("damaged.zip: 'onnx/vision_model.onnx' does not match its sha256 in the manifest", { timeout: 60_000 });
  await expect(alert).toContainText('Still loaded');
  await expect(page.getByTestId('model-kind')).toHaveText('bundled');

  // 4. The intact zip: the fine-tuned model, verified, is the current model.
  await page.getByTestId('model-files-input').setInputFiles(good);
  await expect(page.getByTestId('model-kind')).toHaveText('local', { timeout: 120_000 });
  await expect(alert).toHaveCount(0);
  const card = page.getByTestId('model-card');
  await expect(card).toContainText('every file verified against the sha256 in its manifest');
  const listed = await listedModelFiles(page);
  for (const name of ['onnx/vision_model.onnx', 'onnx/text_model.onnx', 'tokenizer.json']) expect(listed[name]?.sha, name).toBe(manifest.get(name));
  await page.screenshot({ path: `${SHOTS}/model-zip.png`, fullPage: true });

  await nav.locator('[data-panel="attack"]').click();
  await expect(page.getByTestId('attack-model-kind')).toHaveText('local', { timeout: 180_000 });
  const probs = page.getByTestId('attack-probs');
  await expect(probs).toHaveAttribute('data-clean-pred', /\S/, { timeout: 240_000 });
  const pTrue = Number(await probs.getAttribute('data-true-clean'));
  expect(pTrue).toBeGreaterThan(0);
  expect(pTrue).toBeLessThanOrEqual(1);
  expect(errors).toEqual([]);
});
