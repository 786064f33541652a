/**
 * Links a user may be sent: one cut short by a chat client gets a plain message (not a JSON parser error), and one
 * naming a panel this workbench does not have says so instead of falling back silently. A link carries the Attack
 * panel's test image (`img`) and the Subspaces probe (`probe`) besides the settings: it opens with both, and the
 * address bar keeps carrying them; an image the split does not have, a malformed one and rejected probe values get
 * a message saying what was not used.
 */
import { expect, test, type Page } from '@playwright/test';
import { defaultConfig, encodeConfigToken, encodeProbeToken, toBase64Url, type LinkedProbe } from '../src/experiment';
import { DEFAULT_PROBE_SETTINGS } from '../src/methods/probeSettings';

test('a truncated link and an unknown panel are explained', async ({ page }) => {
  const token = encodeConfigToken({ ...defaultConfig(), seed: 7 });
  await page.goto(`/?selftest=off#x=${token.slice(0, 3 + 4 * Math.floor((token.length - 3) / 8))}`);
  const notice = page.getByTestId('import-notice');
  await expect(notice).toContainText('the link looks cut off (its settings end mid-way): copy the whole link again');
  await expect(notice).not.toContainText('JSON');

  await page.goto('/?selftest=off#p=leaderboard');
  await page.reload();
  await expect(page.getByTestId('import-notice')).toContainText('The link names a panel "leaderboard" that this workbench does not have; showing the start panel.');
  await expect(page.getByTestId('panel-start')).toBeVisible();
});

const PROBE: LinkedProbe = { ...DEFAULT_PROBE_SETTINGS, classes: [1, 3, 8], views: 7, templates: 4, synonyms: 2, every: 0 };
const param = async (page: Page, name: string) => page.evaluate((n) => new URLSearchParams(location.hash.slice(1)).get(n), name);

test('a link restores the chosen test image and the probe settings, and keeps carrying them', async ({ page }) => {
  test.setTimeout(420_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  const x = encodeConfigToken({ ...defaultConfig(), seed: 11 });
  await page.goto(`/?selftest=off#p=attack&img=7&probe=${encodeProbeToken(PROBE)}&x=${x}`);
  await expect(page.getByTestId('import-notice')).toContainText('Settings restored from the link.');
  await expect(page.getByTestId('attack-image-name')).toContainText('test #7', { timeout: 240_000 });
  await expect(page.getByTestId('attack-pick-7')).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByTestId('attack-link-image-note')).toHaveCount(0);
  await expect(page.getByTestId('attack-probs')).toBeVisible({ timeout: 120_000 });
  expect(await param(page, 'img')).toBe('7');
  // Another image: the address bar follows.
  await page.getByTestId('attack-pick-9').click();
  await expect(page.getByTestId('attack-image-name')).toContainText('test #9');
  await expect.poll(() => param(page, 'img')).toBe('9');

  await page.getByRole('navigation', { name: 'panels' }).locator('[data-panel="subspaces"]').click();
  await expect(page.getByTestId('probe-views')).toHaveValue('7');
  await expect(page.getByTestId('probe-templates')).toHaveValue('4');
  await expect(page.getByTestId('probe-every')).toHaveValue('0');
  const chips = page.getByRole('group', { name: 'probe classes' }).locator('button');
  await expect(chips.first()).toBeVisible({ timeout: 60_000 });
  expect(await chips.evaluateAll((bs) => bs.map((b, i) => (b.getAttribute('aria-pressed') === 'true' ? i : -1)).filter((i) => i >= 0))).toEqual([1, 3, 8]);
  // An edit is written back; the link the page would share carries image, probe and settings.
  await page.getByTestId('probe-views').fill('6');
  await expect.poll(() => param(page, 'probe')).toBe(encodeProbeToken({ ...PROBE, views: 6 }));
  expect(await param(page, 'img')).toBe('9');
  expect(errors).toEqual([]);
});

test('an image the split does not have, a malformed image and rejected probe values are explained', async ({ page }) => {
  test.setTimeout(420_000);
  const badProbe = `v1.${toBase64Url(JSON.stringify({ views: 99, classes: [2] }))}`;
  await page.goto(`/?selftest=off#p=subspaces&img=12abc&probe=${badProbe}`);
  const notice = page.getByTestId('import-notice');
  await expect(notice).toContainText('Part of the link was not used');
  await expect(notice).toContainText('img: the image "12abc" is not a test-image number');
  await expect(notice).toContainText('probe.views: 99 is not a whole number from 1 to 16; using the default');
  await expect(page.getByTestId('probe-views')).toHaveValue(String(DEFAULT_PROBE_SETTINGS.views));

  await page.goto(`/?selftest=off#p=attack&img=99999`);
  await page.reload();
  const note = page.getByTestId('attack-link-image-note');
  await expect(note).toContainText('The link asked for test image #99999, but the Fashion-MNIST test split has images #0 to #', { timeout: 240_000 });
  await expect(page.getByTestId('attack-image-name')).toContainText('test #0');
  await expect.poll(() => param(page, 'img')).toBe('0');
  await page.getByTestId('attack-pick-3').click();
  await expect(note).toHaveCount(0);
});
