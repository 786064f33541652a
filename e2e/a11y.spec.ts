/**
 * Accessibility (issue #19): axe-core's WCAG 2.0/2.1 A and AA rules on every panel of the workbench, in the light and
 * the dark colour scheme (the page as a new user opens it), with the bundled model loaded. A violation fails the spec with
 * the rule, its impact and the first offending elements.
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
