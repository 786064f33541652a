/**
 * A CLIP folder from this machine through the Model panel (src/ui/model/LocalModelLoader.tsx →
 * src/engine/model.ts `loadLocalModel` → the model loader), on the committed tiny CLIP fixture
 * (public/fixtures/tiny-clip/, the one e2e/models.spec.ts serves):
 *  1. "Open files…" with the fixture's files (loose, matched by name): the model becomes the current one, with the
 *     summary of URL loads (files with sizes and sha256, precision, autodiff coverage, parameters); another seed
 *     keeps it (the configured source did not change);
 *  2. "Open folder…" with a copy whose onnx/vision_model.onnx is cut in half: the loader's "truncated" message, and
 *     the fixture loaded in 1 is still the current model (same files, same hashes);
 *  3. "Open files…" without preprocessor_config.json: the loader's "missing" message, the model still unchanged;
 *  4. "Open folder…" with the intact folder: loaded (paths from the picked directory), origin names the folder;
 *     "back to the configured source" returns to the bundled model;
 *  5. the same files dropped on the drop zone (a DataTransfer of loose files): loaded again.
 * Screenshot (after 2): test-results/screenshots/model-local.png.
 */
import { expect, test } from '@playwright/test';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { FIXTURE, listedModelFiles, sha256, SHOTS, walk } from './support';

const NAMES = walk(FIXTURE);
const REQUIRED = ['config.json', 'tokenizer.json', 'preprocessor_config.json', 'onnx/vision_model.onnx', 'onnx/text_model.onnx'];

/** The files as the loose-file picker gets them (name only: the loader matches onnx/… by file name). */
function payloads(skip: string[] = []) {
  return NAMES.filter((n) => !skip.includes(n)).map((n) => ({
    name: n.split('/').pop()!, mimeType: n.endsWith('.json') ? 'application/json' : 'application/octet-stream',
    buffer: readFileSync(join(FIXTURE, n)),
  }));
}


test('a CLIP folder from local files loads with its summary; a broken or incomplete folder gives a clear error and keeps the model', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto('/?selftest=off#p=model');
  await expect(page.getByTestId('model-kind')).toHaveText('bundled', { timeout: 120_000 });
  const card = page.getByTestId('model-card');
  const alert = page.getByTestId('local-model-error');

  // 1. Loose files through "Open files…".
  await page.getByTestId('model-files-input').setInputFiles(payloads());
  await expect(page.getByTestId('model-kind')).toHaveText('local', { timeout: 120_000 });
  await expect(card).toContainText('CLIP model folder from local files');
  await expect(card).toContainText(`${NAMES.length} local files`);
  await expect(card).toContainText('Precisions in the folder: fp32');
  const first = await listedModelFiles(page);
  expect(Object.keys(first).sort()).toEqual(expect.arrayContaining(REQUIRED));
  for (const n of REQUIRED) expect(first[n], n).toEqual({ sha: sha256(readFileSync(join(FIXTURE, n))), from: 'local' });
  const towers = card.locator('table.kv-table');
  await expect(towers.locator('tr', { hasText: 'precision' })).toContainText('fp32');
  // Sizes of the files themselves (fmtBytes: KiB with one decimal).
  const kib = (n: string) => `${(statSync(join(FIXTURE, n)).size / 1024).toFixed(1)} KiB`;
  await expect(towers.locator('tr', { hasText: 'ONNX' })).toContainText(new RegExp(`nodes, ${kib('onnx/vision_model.onnx')}.*nodes, ${kib('onnx/text_model.onnx')}`));
  await expect(page.getByTestId('coverage-vision')).toContainText(/all \d+ nodes differentiable/);
  await expect(page.getByTestId('coverage-text')).toContainText(/all \d+ nodes differentiable/);
  const config = JSON.parse(readFileSync(join(FIXTURE, 'config.json'), 'utf8'));
  await expect(card).toContainText(`${config.projection_dim}-d joint space`);
  await expect(alert).toHaveCount(0);
  // Another seed leaves the model source as it was: the local model stays current.
  await page.getByLabel('Seed', { exact: true }).fill('5');
  await page.getByLabel('Seed', { exact: true }).blur();
  await page.waitForTimeout(500);
  await expect(page.getByTestId('model-kind')).toHaveText('local');

  // 2. A folder whose vision tower is cut in half, through "Open folder…": the loader's message; model kept.
  const tmp = mkdtempSync(join(tmpdir(), 'model-local-'));
  const broken = join(tmp, 'tiny-clip-broken');
  for (const n of NAMES) {
    mkdirSync(join(broken, n, '..'), { recursive: true });
    copyFileSync(join(FIXTURE, n), join(broken, n));
  }
  const vision = readFileSync(join(FIXTURE, 'onnx/vision_model.onnx'));
  writeFileSync(join(broken, 'onnx/vision_model.onnx'), vision.subarray(0, Math.floor(vision.length / 2)));
  await page.getByTestId('model-folder-input').setInputFiles(broken);
  await expect(alert).toBeVisible({ timeout: 60_000 });
  await expect(alert).toContainText('onnx/vision_model.onnx is truncated');
  await expect(alert).toContainText('Still loaded: CLIP model folder from local files');
  await expect(page.getByTestId('model-kind')).toHaveText('local');
  expect(await listedModelFiles(page)).toEqual(first);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `${SHOTS}/model-local.png`, fullPage: true });

  // 3. Loose files without preprocessor_config.json: missing, named; model kept.
  await page.getByTestId('model-files-input').setInputFiles(payloads(['preprocessor_config.json']));
  await expect(alert).toContainText('preprocessor_config.json is missing', { timeout: 60_000 });
  expect(await listedModelFiles(page)).toEqual(first);

  // 4. The intact folder through "Open folder…": loaded, the origin names the folder; then back to the bundled model.
  await page.getByTestId('model-folder-input').setInputFiles(FIXTURE);
  await expect(alert).toHaveCount(0, { timeout: 60_000 });
  await expect(card.locator('p.muted.small').first()).toContainText('tiny-clip/ (');
  expect(await listedModelFiles(page)).toEqual(first);
  await page.getByTestId('local-model-current').getByRole('button', { name: 'back to the configured source' }).click();
  await expect(page.getByTestId('model-kind')).toHaveText('bundled', { timeout: 120_000 });
  await expect(page.getByTestId('local-model-current')).toHaveCount(0);

  // 5. A drop of the files.
  const files = payloads().map((p) => ({ name: p.name, bytes: [...p.buffer] }));
  const dt = await page.evaluateHandle((fs) => {
    const d = new DataTransfer();
    for (const f of fs) d.items.add(new File([new Uint8Array(f.bytes)], f.name));
    return d;
  }, files);
  await page.getByTestId('model-drop').dispatchEvent('drop', { dataTransfer: dt });
  await expect(page.getByTestId('model-kind')).toHaveText('local', { timeout: 60_000 });
  expect(await listedModelFiles(page)).toEqual(first);
  expect(errors).toEqual([]);
});
