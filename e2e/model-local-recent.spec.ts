/**
 * Recent local models (src/models/cache.ts `putLocalModel` … through src/engine/model.ts and the Model panel's local
 * card), in Chromium with Cache Storage, on the committed tiny CLIP fixture (public/fixtures/tiny-clip/):
 *  1. "Open folder…" with the fixture, then "Open files…" with the same files loose: both listed under
 *     "Recent local models" (tiny-clip, and the loose files' label);
 *  2. page reload: the configured (bundled) model is shown, the recent list is still there; "Reopen" on tiny-clip
 *     loads it with no file picked: every file "from cache", the same sha256s as the picked files (and as the
 *     fixture on disk), the note says so;
 *  3. "Forget" on the loose entry removes it (and it stays gone after a reload);
 *  4. one cached blob overwritten in Cache Storage: "Reopen" gives the corruption message naming the file, the
 *     entry is dropped, the model loaded before stays current.
 * Screenshot (after 2): test-results/screenshots/model-local-recent.png.
 */
import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURE, listedModelFiles, sha256, SHOTS, walk } from './support';

const NAMES = walk(FIXTURE);

test('a local model is kept in the model cache: after a reload it reopens from the recent list with the same hashes; Forget; a corrupted blob', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto('/?selftest=off#p=model');
  await expect(page.getByTestId('model-kind')).toHaveText('bundled', { timeout: 120_000 });
  const recent = page.getByTestId('local-model-recent-item');
  const alert = page.getByTestId('local-model-error');
  await expect(recent).toHaveCount(0);

  // 1. The folder, then the same files loose.
  await page.getByTestId('model-folder-input').setInputFiles(FIXTURE);
  await expect(page.getByTestId('model-kind')).toHaveText('local', { timeout: 120_000 });
  const picked = await listedModelFiles(page);
  for (const [n, f] of Object.entries(picked)) expect(f, n).toEqual({ sha: sha256(readFileSync(join(FIXTURE, n))), from: 'local' });
  await expect(recent).toHaveCount(1);
  await expect(recent.first()).toHaveAttribute('data-name', 'tiny-clip');
  await page.getByTestId('model-files-input').setInputFiles(NAMES.map((n) => ({
    name: n.split('/').pop()!, mimeType: 'application/octet-stream', buffer: readFileSync(join(FIXTURE, n)),
  })));
  await expect(recent).toHaveCount(2);
  const loose = recent.filter({ hasNotText: 'tiny-clip' });
  await expect(loose).toHaveCount(1);
  await expect(loose).toHaveAttribute('data-name', /^\d+ local files, /);

  // 2. Reload: back to the configured model, the list survives; Reopen without picking any file.
  await page.reload();
  await expect(page.getByTestId('model-kind')).toHaveText('bundled', { timeout: 120_000 });
  await expect(recent).toHaveCount(2);
  const tiny = page.locator('[data-testid="local-model-recent-item"][data-name="tiny-clip"]');
  await tiny.getByRole('button', { name: 'Reopen' }).click();
  await expect(page.getByTestId('model-kind')).toHaveText('local', { timeout: 120_000 });
  const reopened = await listedModelFiles(page);
  expect(Object.keys(reopened).sort()).toEqual(Object.keys(picked).sort());
  for (const n of Object.keys(picked)) expect(reopened[n], n).toEqual({ sha: picked[n].sha, from: 'cache' });
  const card = page.getByTestId('model-card');
  await expect(card).toContainText("Reopened from the browser's model cache");
  await expect(card).toContainText('tiny-clip/ (');
  await expect(page.getByTestId('model-files').getByText('from cache').first()).toBeVisible();
  await expect(alert).toHaveCount(0);
  await page.getByTestId('local-model').scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${SHOTS}/model-local-recent.png`, fullPage: true });

  // 3. Forget the loose entry; still gone after a reload.
  await loose.getByRole('button', { name: 'Forget' }).click();
  await expect(recent).toHaveCount(1);
  await page.reload();
  await expect(page.getByTestId('model-kind')).toHaveText('bundled', { timeout: 120_000 });
  await expect(recent).toHaveCount(1);
  await expect(recent.first()).toHaveAttribute('data-name', 'tiny-clip');

  // 4. Corrupt the vision tower's blob in Cache Storage: Reopen says so, drops the entry, keeps the current model.
  const visionSha = picked['onnx/vision_model.onnx'].sha;
  const replaced = await page.evaluate(async (h) => {
    const c = await caches.open('aos-model-cache-v1');
    const url = `${location.origin}/__aos-model-cache/blob/${h}`;
    if (!(await c.match(url))) return false;
    await c.put(url, new Response(new Uint8Array([1, 2, 3, 4])));
    return true;
  }, visionSha);
  expect(replaced).toBe(true);
  await tiny.getByRole('button', { name: 'Reopen' }).click();
  await expect(alert).toBeVisible({ timeout: 60_000 });
  await expect(alert).toContainText('tiny-clip/onnx/vision_model.onnx: the cached copy is corrupted');
  await expect(alert).toContainText('was removed from the recent local models');
  await expect(recent).toHaveCount(0);
  await expect(page.getByTestId('model-kind')).toHaveText('bundled');
  expect(errors).toEqual([]);
});
