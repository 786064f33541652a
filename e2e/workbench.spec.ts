/**
 * The workbench shell in Chromium: navigation, the data panel's image grid from the bundled Fashion-MNIST, the
 * model panel, shareable links (restore, hostile links refused field by field, model URLs only after
 * confirmation), JSON import and a user image folder. Screenshots of every panel go to test-results/screenshots/.
 */
import { expect, test, type Page } from '@playwright/test';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildClipFolder, tinyClipConfig } from '../src/onnx/clip';
import { defaultConfig, encodeConfigToken, exportConfigJson, toBase64Url, withValueAt, type ExperimentConfig } from '../src/experiment';
import { SHOTS } from './support';
import { encodePng } from '../scripts/data/png';


/** Page errors and alert() calls (a hostile link must never run script). */
function watch(page: Page): { errors: string[]; dialogs: string[] } {
  const w = { errors: [] as string[], dialogs: [] as string[] };
  page.on('pageerror', (e) => w.errors.push(String(e)));
  page.on('dialog', (d) => { w.dialogs.push(d.message()); void d.dismiss(); });
  return w;
}

function linkFor(config: ExperimentConfig, panel = 'model'): string {
  return `/?selftest=off#p=${panel}&x=${encodeConfigToken(config)}`;
}

const PANELS: Array<[string, string, boolean]> = [
  ['start', 'Start here', true], ['model', 'Model', true], ['data', 'Data', true], ['attack', 'Attack', true], ['finetune', 'Fine-tune', true],
  ['subspaces', 'Subspaces', true], ['runs', 'Runs', true], ['results', 'Results', true], ['selftest', 'Self-test', true],
];

test('the shell renders, every panel is reachable from the navigation, and each is photographed', async ({ page }) => {
  const w = watch(page);
  await page.goto('/?selftest=off');
  await expect(page.getByRole('heading', { name: 'AoS Workbench' })).toBeVisible();
  const nav = page.getByRole('navigation', { name: 'panels' });
  await expect(nav.getByRole('button')).toHaveCount(PANELS.length);
  // A new user opens on the guided start; the Model panel is one click away.
  await expect(page.getByTestId('panel-start')).toBeVisible();
  await nav.locator('[data-panel="model"]').click();
  await expect(page.getByTestId('model-card')).toBeVisible({ timeout: 60_000 });
  for (const [id, title, ready] of PANELS) {
    await nav.locator(`[data-panel="${id}"]`).click();
    const main = page.getByTestId(`panel-${id}`);
    await expect(main.getByRole('heading', { level: 2, name: title, exact: true })).toBeVisible();
    await expect(main.locator('.panel-head .explain')).not.toBeEmpty();
    expect(new URL(page.url()).hash).toContain(`p=${id}`);
    // A ready panel may still hold a placeholder for a later engine inside a slot of its own (attack: the compare slot).
    if (ready) await expect(main.locator('[data-testid="coming-soon"]:not([data-testid="attack-compare-slot"] *)')).toHaveCount(0);
    else await expect(main.getByTestId('coming-soon')).toContainText('coming soon — engine in progress', { ignoreCase: true });
    if (id === 'data') await expect(page.getByTestId('preview-grid').locator('canvas')).toHaveCount(60, { timeout: 60_000 });
    if (id === 'selftest') await expect(page.getByTestId('gpu-status')).toHaveText('ready', { timeout: 60_000 });
    await page.screenshot({ path: `${SHOTS}/workbench-${id}.png`, fullPage: true });
  }
  // Back returns to the previous panel.
  await page.goBack();
  await expect(page.getByTestId('panel-results')).toBeVisible();
  // Dark theme.
  await page.emulateMedia({ colorScheme: 'dark' });
  for (const id of ['model', 'data', 'finetune']) {
    await nav.locator(`[data-panel="${id}"]`).click();
    if (id === 'data') await expect(page.getByTestId('preview-grid').locator('canvas')).toHaveCount(60, { timeout: 60_000 });
    if (id === 'model') await expect(page.getByTestId('model-card')).toBeVisible({ timeout: 60_000 });
    await page.screenshot({ path: `${SHOTS}/workbench-${id}-dark.png`, fullPage: true });
  }
  expect(w.errors).toEqual([]);
});

test('the data panel shows a grid of bundled Fashion-MNIST images with their labels, filtered by class', async ({ page }) => {
  const w = watch(page);
  await page.goto('/?selftest=off#p=data');
  const table = page.getByTestId('dataset-table');
  await expect(table).toContainText('Fashion-MNIST');
  await expect(table).toContainText('MIT (Copyright 2017 Zalando SE)');
  await expect(table).toContainText('20,000');
  const grid = page.getByTestId('preview-grid');
  await expect(grid.locator('canvas')).toHaveCount(60, { timeout: 60_000 });
  const labels = await grid.locator('figcaption').allTextContents();
  const classes = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
  for (const l of labels) expect(classes).toContain(l);
  expect(new Set(labels).size).toBeGreaterThan(3);
  // The canvases hold real pixels (not blank): mean gray level of the first tile.
  const mean = await grid.locator('canvas').first().evaluate((c: HTMLCanvasElement) => {
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let s = 0;
    for (let i = 0; i < d.length; i += 4) s += d[i];
    return s / (d.length / 4);
  });
  expect(mean).toBeGreaterThan(5);
  await page.getByTestId('preview-grid-class').selectOption({ label: 'Sneaker (200)' });
  await expect(grid.locator('figcaption').first()).toHaveText('Sneaker');
  expect(new Set(await grid.locator('figcaption').allTextContents())).toEqual(new Set(['Sneaker']));
  // Another split and another dataset.
  await page.locator('[data-split="val"]').click();
  await expect(grid.locator('canvas')).toHaveCount(60, { timeout: 60_000 });
  await table.getByText('MNIST', { exact: true }).click();
  await expect(grid.locator('figcaption').first()).toHaveText(/^[0-9]$/, { timeout: 60_000 });
  await expect.poll(() => new URL(page.url()).hash).toMatch(/x=v2\./);
  expect(w.errors).toEqual([]);
});

test('a shared link restores the configuration, and edits keep the address bar a shareable link', async ({ page }) => {
  const w = watch(page);
  let c = defaultConfig();
  c = withValueAt(c, 'name', 'shared run – λ sweep');
  c = withValueAt(c, 'attack.steps', 37);
  c = withValueAt(c, 'attack.type', 'apgd-dlr');
  c = withValueAt(c, 'fineTune.method', 'pmg-aft');
  c = withValueAt(c, 'fineTune.pmgAft.beta', 2.5);
  c = withValueAt(c, 'data.dataset', 'mnist');
  await page.goto(linkFor(c, 'attack'));
  await expect(page.getByTestId('import-notice')).toHaveText(/Settings restored from the link\./);
  await expect(page.locator('.experiment-name')).toHaveText('shared run – λ sweep');
  const attack = page.getByTestId('panel-attack');
  await expect(attack.locator('[data-path="attack.steps"] input')).toHaveValue('37');
  await expect(attack.locator('[data-path="attack.type"] select')).toHaveValue('apgd-dlr');
  await page.locator('[data-panel="finetune"]').click();
  await expect(page.locator('[data-path="fineTune.method"] select')).toHaveValue('pmg-aft');
  await expect(page.locator('[data-path="fineTune.pmgAft.beta"] input')).toHaveValue('2.5');
  // Edit a field: the fragment follows and decodes to the new value.
  await page.locator('[data-path="fineTune.pmgAft.beta"] input').fill('3');
  await expect.poll(() => new URL(page.url()).hash).toContain(encodeConfigToken(withValueAt(c, 'fineTune.pmgAft.beta', 3)));
  // An out-of-range edit is refused in place and not written.
  await page.locator('[data-path="seed"] input').fill('-4');
  await expect(page.locator('[data-path="seed"]')).toContainText('outside the allowed range');
  // Reopening the address-bar link in a new page restores the edited configuration.
  const again = await page.context().newPage();
  await again.goto(page.url());
  await again.locator('[data-panel="finetune"]').click();
  await expect(again.locator('[data-path="fineTune.pmgAft.beta"] input')).toHaveValue('3');
  await expect(again.locator('[data-path="seed"] input')).toHaveValue('0');
  await again.close();
  expect(w.errors).toEqual([]);
});

test('a hostile link is refused field by field with a clear message, defaults, no script and no pollution', async ({ page }) => {
  const w = watch(page);
  const hostile = '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},' +
    '"name":"<img src=x onerror=alert(1)><script>alert(2)</script>","seed":1e999,"evil":"x",' +
    '"attack":{"steps":-5,"epsilon":"0.5","type":"<b>pgd</b>"},"model":{"source":"url","url":"javascript:alert(3)"},' +
    `"fineTune":{"aos":{"lambda1":${'9'.repeat(400)}}}}`;
  await page.goto(`/?selftest=off#p=attack&x=v2.${toBase64Url(hostile)}`);
  const notice = page.getByTestId('import-notice');
  await expect(notice).toHaveAttribute('role', 'alert');
  await expect(notice).toContainText(/values were rejected and replaced by defaults/);
  for (const p of ['__proto__', 'constructor', 'name', 'seed', 'evil', 'attack.steps', 'attack.epsilon', 'attack.type', 'model.url', 'fineTune.aos.lambda1']) {
    await expect(notice.locator('li', { hasText: `${p}:` }).first()).toBeVisible();
  }
  await expect(page.locator('[data-path="attack.steps"] input')).toHaveValue('10');
  await expect(page.locator('[data-path="attack.type"] select')).toHaveValue('pgd-linf');
  await expect(page.locator('.experiment-name')).toHaveText('untitled experiment');
  await expect(page.getByTestId('model-confirm')).not.toBeVisible();
  await page.screenshot({ path: `${SHOTS}/workbench-hostile-link.png`, fullPage: true });
  expect(await page.evaluate(() => ({} as Record<string, unknown>).polluted)).toBeUndefined();
  expect(await page.locator('img[src="x"]').count()).toBe(0);
  // The address bar now carries the sanitised configuration.
  expect(new URL(page.url()).hash).toContain(encodeConfigToken(defaultConfig()));

  // A link from a newer format version is refused whole.
  await page.goto(`/?selftest=off#p=attack&x=v9.${toBase64Url('{"seed":3}')}`);
  await expect(page.getByTestId('import-notice')).toContainText('The link was refused: it was written in format version 9 by a newer workbench');
  // A nesting bomb is refused before parsing.
  await page.goto(`/?selftest=off#p=runs&x=v1.${toBase64Url('['.repeat(2000) + ']'.repeat(2000))}`);
  await expect(page.getByTestId('import-notice')).toContainText('nests 2000 levels deep');
  expect(w.dialogs).toEqual([]);
  expect(w.errors).toEqual([]);
});

test('a model URL from a link is fetched only after confirmation, within the size cap', async ({ page }) => {
  const w = watch(page);
  const folder = buildClipFolder(tinyClipConfig, { texts: ['a photo of a bag.', 'a photo of a coat.'], seed: 5 });
  const files: Record<string, Uint8Array | string> = { ...folder.files };
  const requested: string[] = [];
  page.on('request', (r) => { if (r.url().includes('models.example.test')) requested.push(r.url()); });
  await page.route('https://models.example.test/**', async (route) => {
    const name = new URL(route.request().url()).pathname.replace(/^\/clip\//, '');
    const body = files[name];
    if (body === undefined) return route.fulfill({ status: 404, body: 'not found' });
    await route.fulfill({ status: 200, body: typeof body === 'string' ? body : Buffer.from(body), headers: { 'access-control-allow-origin': '*' } });
  });
  let c = withValueAt(defaultConfig(), 'model.source', 'url');
  c = withValueAt(c, 'model.url', 'https://models.example.test/clip/');
  c = withValueAt(c, 'model.maxMB', 3);
  await page.goto(linkFor(c, 'model'));
  const dialog = page.getByTestId('model-confirm');
  await expect(dialog).toBeVisible();
  await expect(dialog.getByTestId('model-confirm-url')).toHaveText('https://models.example.test/clip/');
  await expect(dialog.getByTestId('model-confirm-cap')).toHaveText('3 MB');
  await expect(dialog).toContainText('Nothing has been fetched yet.');
  await expect(dialog).toContainText('another site');
  await page.screenshot({ path: `${SHOTS}/workbench-model-confirm.png` });
  await page.waitForTimeout(1000);
  expect(requested, 'nothing may be fetched before confirming').toEqual([]);
  await dialog.getByRole('button', { name: 'Download' }).click();
  await expect(page.getByTestId('model-kind')).toHaveText('remote', { timeout: 60_000 });
  expect(requested.map((u) => u.replace('https://models.example.test/clip/', ''))).toEqual([
    'config.json', 'tokenizer.json', 'onnx/vision_model.onnx', 'onnx/text_model.onnx',
  ]);
  await expect(page.getByTestId('model-card')).toContainText('opset 14');
  await page.screenshot({ path: `${SHOTS}/workbench-model-remote.png`, fullPage: true });

  // Declining falls back to the bundled model and fetches nothing; a cap too small stops the download.
  requested.length = 0;
  await page.goto(linkFor(withValueAt(c, 'model.url', 'https://models.example.test/other/'), 'model'));
  await page.getByTestId('model-confirm').getByRole('button', { name: 'Use the bundled model instead' }).click();
  await expect(page.getByTestId('model-confirm')).not.toBeVisible();
  await expect(page.locator('[data-path="model.source"] select')).toHaveValue('bundled');
  await expect(page.getByTestId('model-card')).toBeVisible({ timeout: 60_000 });
  expect(requested).toEqual([]);
  files['onnx/vision_model.onnx'] = new Uint8Array(2 * 1024 * 1024);
  files['onnx/text_model.onnx'] = new Uint8Array(2 * 1024 * 1024);
  await page.goto(linkFor(c, 'model'));
  await page.getByTestId('model-confirm').getByRole('button', { name: 'Download' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'size cap' })).toBeVisible({ timeout: 60_000 });
  expect(w.dialogs).toEqual([]);
  expect(w.errors).toEqual([]);
});

test('a configuration exported as JSON imports through the same checks', async ({ page }) => {
  const w = watch(page);
  await page.goto('/?selftest=off#p=finetune');
  const c = withValueAt(withValueAt(defaultConfig(), 'fineTune.method', 'fare'), 'fineTune.fare.loss', 'l2');
  await page.getByTestId('import-json').setInputFiles({ name: 'run.aos.json', mimeType: 'application/json', buffer: Buffer.from(exportConfigJson(c)) });
  await expect(page.getByTestId('import-notice')).toHaveText(/Settings restored from the file\./);
  await expect(page.locator('[data-path="fineTune.fare.loss"] select')).toHaveValue('l2');
  const bad = JSON.stringify({ format: 'aos-workbench-experiment', version: 1, config: { seed: 'one', attack: { restarts: 0 } } });
  await page.getByTestId('import-json').setInputFiles({ name: 'bad.json', mimeType: 'application/json', buffer: Buffer.from(bad) });
  await expect(page.getByTestId('import-notice')).toContainText('seed: expected a number');
  await expect(page.getByTestId('import-notice')).toContainText('attack.restarts: 0 is outside the allowed range 1…100');
  expect(w.errors).toEqual([]);
});

test('a user image folder (one sub-folder per class) is previewed with its classes', async ({ page }) => {
  const w = watch(page);
  const root = join('test-results', 'tmp-folder', 'shapes');
  rmSync(join('test-results', 'tmp-folder'), { recursive: true, force: true });
  for (const cls of ['circle', 'square']) {
    mkdirSync(join(root, cls), { recursive: true });
    for (let k = 0; k < 3; k++) {
      const n = 40, px = new Uint8Array(n * n);
      for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) {
        const inside = cls === 'circle' ? (x - 20) ** 2 + (y - 20) ** 2 < (8 + 3 * k) ** 2 : Math.abs(x - 20) < 6 + 3 * k && Math.abs(y - 20) < 6 + 3 * k;
        px[y * n + x] = inside ? 255 : 0;
      }
      writeFileSync(join(root, cls, `${k}.png`), encodePng(n, n, 1, px));
    }
  }
  writeFileSync(join(root, 'README.txt'), 'not an image');
  await page.goto('/?selftest=off#p=data');
  await page.getByTestId('folder-input').setInputFiles(root);
  const grid = page.getByTestId('folder-grid');
  await expect(grid.locator('canvas')).toHaveCount(6, { timeout: 60_000 });
  expect(new Set(await grid.locator('figcaption').allTextContents())).toEqual(new Set(['circle', 'square']));
  await expect(page.getByText(/6 images in 2 classes; 1 file skipped/)).toBeVisible();
  await page.evaluate(() => window.scrollTo(0, 0)); // full-page shots with a scrolled page repeat the sticky bars
  await page.screenshot({ path: `${SHOTS}/workbench-data-folder.png`, fullPage: true });
  expect(w.errors).toEqual([]);
});
