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
