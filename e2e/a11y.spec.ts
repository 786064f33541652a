/**
 * Accessibility (issue #19): axe-core's WCAG 2.0/2.1 A and AA rules on every panel of the workbench, in the light and
 * the dark colour scheme (the page as a new user opens it), with the bundled model loaded — the guided start (`start`,
 * first in PANEL_IDS) included, also after its one-click attack filled in the live view (the light theme of that state
 * is checked by e2e/start.spec.ts). A violation fails the spec with the rule, its impact and the first offending
 * elements.
 */
import AxeBuilder from '@axe-core/playwright';
import { expect, test } from '@playwright/test';
import { PANEL_IDS } from '../src/state/ui';

for (const scheme of ['light', 'dark'] as const) for (const panel of PANEL_IDS) {
  test(`the ${panel} panel has no WCAG A/AA violations (axe, ${scheme} theme)`, async ({ page }) => {
    await page.emulateMedia({ colorScheme: scheme });
    await page.goto(`/?selftest=off#p=${panel}`);
    await expect(page.locator('main')).toBeVisible();
    // Let the panel settle (the Model panel loads the bundled model; others read the manifest).
    await page.waitForTimeout(1500);
    const r = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    const lines = r.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
    expect(lines, lines.join('\n')).toEqual([]);
  });
}

test('the guided start with its live attack shown has no WCAG A/AA violations (axe, dark theme)', async ({ page }) => {
  test.setTimeout(600_000);
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.goto('/?selftest=off');
  await page.getByTestId('start-attack-run').click();
  await expect(page.getByTestId('start-attack-status')).toHaveAttribute('data-status', 'done', { timeout: 400_000 });
  await expect(page.getByTestId('attack-verify')).toBeVisible();
  const r = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const lines = r.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
  expect(lines, lines.join('\n')).toEqual([]);
});

test('the first Tab reaches a skip link that moves focus to the open panel, leaving the address (and its experiment) alone', async ({ page }) => {
  await page.goto('/?selftest=off#p=attack');
  await expect(page.locator('main')).toBeVisible();
  const hash = await page.evaluate(() => location.hash);
  await page.keyboard.press('Tab');
  const skip = page.getByTestId('skip-link');
  await expect(skip).toBeFocused();
  await expect(skip).toBeVisible();
  await expect(skip).toContainText('Attack');
  await page.keyboard.press('Enter');
  await expect(page.locator('main#main')).toBeFocused();
  expect(await page.evaluate(() => location.hash)).toBe(hash);
});

test('the attack panel\'s image grid is one tab stop; arrow keys move within it', async ({ page }) => {
  await page.goto('/?selftest=off#p=attack');
  const grid = page.getByTestId('attack-pick-grid');
  await expect(grid.locator('button').first()).toBeVisible({ timeout: 120_000 });
  expect(await grid.locator('button[tabindex="0"]').count()).toBe(1);
  await grid.locator('button[tabindex="0"]').focus();
  const first = await page.evaluate(() => document.activeElement?.getAttribute('data-testid'));
  await page.keyboard.press('ArrowRight');
  const second = await page.evaluate(() => document.activeElement?.getAttribute('data-testid'));
  expect(second).not.toBe(first);
  expect(await grid.locator('button[tabindex="0"]').getAttribute('data-testid')).toBe(second);
  await page.keyboard.press('End');
  expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe(await grid.locator('button').last().getAttribute('data-testid'));
  // Tab leaves the grid in one press.
  await page.keyboard.press('Tab');
  const after = await page.evaluate(() => document.activeElement?.closest('[data-testid="attack-pick-grid"]') !== null);
  expect(after).toBe(false);
});
