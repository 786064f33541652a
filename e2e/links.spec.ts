/**
 * Links a user may be sent: one cut short by a chat client gets a plain message (not a JSON parser error), and one
 * naming a panel this workbench does not have says so instead of falling back silently.
 */
import { expect, test } from '@playwright/test';
import { defaultConfig, encodeConfigToken } from '../src/experiment';

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
