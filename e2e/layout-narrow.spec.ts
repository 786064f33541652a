/**
 * A phone-sized window (issue #19: 390 × 844 CSS pixels): every panel fits its width — nothing scrolls the page
 * sideways (wide tables and plots scroll inside their own box) — and the panel navigation stays reachable.
 */
import { expect, test } from '@playwright/test';
import { PANEL_IDS } from '../src/state/ui';
import { SHOTS } from './support';

test.use({ viewport: { width: 390, height: 844 } });

for (const panel of PANEL_IDS) {
  test(`the ${panel} panel fits a 390 px wide window`, async ({ page }) => {
    await page.goto(`/?selftest=off#p=${panel}`);
    await expect(page.locator('main')).toBeVisible();
    await page.waitForTimeout(1500);
    const { scroll, width, wide } = await page.evaluate(() => {
      const w = document.documentElement.clientWidth;
      // The widest elements that stick out of the window, to name them when the check fails.
      const out = [...document.querySelectorAll('body *')]
        .map((el) => ({ el, r: el.getBoundingClientRect() }))
        .filter(({ el, r }) => r.right > w + 1 && getComputedStyle(el).position !== 'fixed' && !el.closest('[data-scroll-x]'))
        .slice(0, 5)
        .map(({ el, r }) => `${el.tagName.toLowerCase()}${el.className ? `.${String(el.className).split(' ').join('.')}` : ''} right=${Math.round(r.right)}`);
      return { scroll: document.documentElement.scrollWidth, width: w, wide: out };
    });
    expect(scroll, `page is ${scroll} px wide in a ${width} px window; sticking out: ${wide.join(', ')}`).toBeLessThanOrEqual(width);
    await page.screenshot({ path: `${SHOTS}/narrow-${panel}.png` });
    await expect(page.getByRole('navigation').first()).toBeVisible();
  });
}
