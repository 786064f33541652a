/**
 * The browser's model cache (src/models/cache.ts through the Model panel), in Chromium with the fixture tiny CLIP
 * loaded through the URL path:
 *  1. first load: every file downloaded (GET), listed as "downloaded" with its sha256;
 *  2. page reload, load again: every file "from cache" — one HEAD per file, no second GET of any file (the ONNX
 *     bytes are not downloaded again), the note says nothing was downloaded;
 *  3. the server's vision_model.onnx changes (one weight): the next load notices it (new ETag → GET → new sha256),
 *     flags the file as changed and says so; the unchanged files still come from the cache;
 *  4. "Clear cache" empties it; the next load downloads everything again.
 * Requests are served and counted by page.route (ETag = the bytes' sha256 prefix, like a CDN's content ETag).
 * Screenshot: test-results/screenshots/model-cache.png.
 */
import { expect, test, type Page } from '@playwright/test';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { defaultConfig, encodeConfigToken, withValueAt } from '../src/experiment';
import { SHOTS } from './support';
import { decodeModel, encodeModel } from '../src/onnx/proto';

const DIR = '/fixtures/tiny-clip/';
const NAMES = ['config.json', 'tokenizer.json', 'onnx/vision_model.onnx', 'onnx/text_model.onnx'];
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function link(): string {
  let c = withValueAt(defaultConfig(), 'model.source', 'url');
  c = withValueAt(c, 'model.url', DIR);
  c = withValueAt(c, 'model.maxMB', 20);
  return `/?selftest=off#p=model&x=${encodeConfigToken(c)}`;
}

/** Confirms the download and waits for the model card. Returns the milliseconds it took. */
async function download(page: Page): Promise<number> {
  const dialog = page.getByTestId('model-confirm');
  await expect(dialog).toBeVisible();
  const t0 = Date.now();
  await dialog.getByRole('button', { name: 'Download' }).click();
  await expect(page.getByTestId('model-kind')).toHaveText('remote', { timeout: 120_000 });
  return Date.now() - t0;
}

async function fromOf(page: Page): Promise<Record<string, string>> {
  const rows = page.getByTestId('model-files').locator('tbody tr');
  await expect(rows).toHaveCount(NAMES.length);
  const out: Record<string, string> = {};
  for (const r of await rows.all()) out[(await r.getAttribute('data-file'))!] = `${await r.getAttribute('data-from')}/${await r.getAttribute('data-status')}`;
  return out;
}

test('a reloaded URL model comes from the cache without downloading its ONNX again; a changed file is noticed', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  const served = new Map<string, Uint8Array>(NAMES.map((n) => [n, new Uint8Array(readFileSync(`public${DIR}${n}`))]));
  const log: string[] = [];
  await page.route(`**${DIR}**`, async (route) => {
    const req = route.request();
    const name = decodeURIComponent(new URL(req.url()).pathname.slice(DIR.length));
    const body = served.get(name);
    log.push(`${req.method()} ${name}`);
    if (!body) return route.fulfill({ status: 404, body: 'not found' });
    // HEAD gets the same headers (content-length included); the browser drops the body of a HEAD response.
    await route.fulfill({ status: 200, body: Buffer.from(body), headers: { etag: `"${sha(body).slice(0, 16)}"`, 'content-type': 'application/octet-stream' } });
  });
  const gets = (name: string) => log.filter((l) => l === `GET ${name}`).length;
  const heads = () => log.filter((l) => l.startsWith('HEAD ')).length;

  // 1. First load: downloaded.
  await page.goto(link());
  const first = await download(page);
  expect(Object.values(await fromOf(page))).toEqual(NAMES.map(() => 'network/miss'));
  for (const n of NAMES) expect(gets(n), `GET ${n} on the first load`).toBe(1);
  const card = page.getByTestId('model-card');
  for (const n of NAMES) {
    await expect(card.locator(`tr[data-file="${n}"]`)).toContainText(sha(served.get(n)!).slice(0, 16));
  }
  await expect(card).toContainText('fp32');
  await expect(page.getByTestId('coverage-vision')).toContainText('differentiable');
  await expect(page.getByTestId('model-cache-usage')).toContainText(`${NAMES.length} files`);

  // 2. Reload and load again: from the cache, no second GET. The confirmation says what is cached.
  await page.reload();
  await expect(page.getByTestId('model-confirm-cached')).toContainText(`${NAMES.length} files of this folder`);
  const second = await download(page);
  expect(Object.values(await fromOf(page))).toEqual(NAMES.map(() => 'cache/hit'));
  for (const n of NAMES) expect(gets(n), `GET ${n} after the reload`).toBe(1);
  expect(heads()).toBe(NAMES.length);
  await expect(card).toContainText('from this browser\'s model cache');
  await expect(card).toContainText('nothing downloaded');
  console.log(`first load ${first} ms, reload from cache ${second} ms`);

  // 3. The server's vision tower changes: noticed.
  const m = decodeModel(served.get('onnx/vision_model.onnx')!);
  const w = [...m.graph.initializers.values()].find((t) => t.dtype === 'float32' && t.data instanceof Float32Array && t.data.length > 100)!;
  (w.data as Float32Array)[0] += 0.01;
  const changed = encodeModel(m);
  const oldHash = sha(served.get('onnx/vision_model.onnx')!);
  served.set('onnx/vision_model.onnx', changed);
  await page.reload();
  await download(page);
  const third = await fromOf(page);
  expect(third['onnx/vision_model.onnx']).toBe('network/changed');
  for (const n of NAMES.filter((x) => x !== 'onnx/vision_model.onnx')) expect(third[n], n).toBe('cache/hit');
  expect(gets('onnx/vision_model.onnx')).toBe(2);
  expect(gets('onnx/text_model.onnx')).toBe(1);
  await expect(card).toContainText(`Changed since the cached copy: onnx/vision_model.onnx (sha256 ${oldHash.slice(0, 12)}… → ${sha(changed).slice(0, 12)}…)`);
  await expect(card.locator('tr[data-file="onnx/vision_model.onnx"]')).toContainText('changed');
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `${SHOTS}/model-cache.png`, fullPage: true });

  // 4. Clear the cache: the next load downloads everything again.
  await page.getByTestId('model-cache').getByRole('button', { name: 'Clear cache' }).click();
  await expect(page.getByTestId('model-cache-usage')).toContainText('0 B of');
  await expect(page.getByTestId('model-cache-note')).toContainText('Cleared');
  await page.reload();
  await download(page);
  expect(Object.values(await fromOf(page))).toEqual(NAMES.map(() => 'network/miss'));
  expect(gets('onnx/text_model.onnx')).toBe(2);
  expect(errors).toEqual([]);
});

test('the bundled model shows its metrics.json and its files match the hashes recorded there', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto('/?selftest=off#p=model');
  await expect(page.getByTestId('model-kind')).toHaveText('bundled', { timeout: 120_000 });
  const metrics = JSON.parse(readFileSync('public/models/tiny-clip/metrics.json', 'utf8'));
  const table = page.getByTestId('model-metrics-table');
  await expect(table).toContainText('fashion-mnist');
  await expect(table.locator('tr', { hasText: 'digits' })).toContainText(`${(100 * metrics.zeroShot.digits.test.top1).toFixed(1)} %`);
  const rows = page.getByTestId('model-files').locator('tbody tr');
  await expect(rows).toHaveCount(4);
  for (const r of await rows.all()) await expect(r).toContainText('matches metrics.json');
  await expect(page.getByTestId('coverage-vision')).toContainText('all');
  await expect(page.getByTestId('coverage-text')).toContainText('all');
  await page.screenshot({ path: `${SHOTS}/model-bundled-metrics.png`, fullPage: true });
  expect(errors).toEqual([]);
});
