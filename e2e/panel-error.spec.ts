/**
 * A panel that throws while rendering shows its error boundary (what failed, Copy details, Try again, a way back)
 * while the navigation and the other panels keep working; Try again renders the panel afresh. The crash is made
 * deliberately through the development hook `window.__aosCrashPanel` (src/ui/PanelErrorBoundary.tsx).
 * Screenshot: test-results/screenshots/panel-error.png.
 */
import { expect, test } from '@playwright/test';
import { SHOTS } from './support';

test('a crashing panel is contained: the rest of the app keeps working', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/?selftest=off#p=data');
  await expect(page.getByTestId('panel-data')).toBeVisible();
  await page.evaluate(() => { (window as unknown as { __aosCrashPanel?: string }).__aosCrashPanel = 'runs'; });
  await page.locator('nav [data-panel="runs"]').click();
  const box = page.getByTestId('panel-error');
  await expect(box).toBeVisible();
  await expect(box).toContainText('The runs panel hit an error');
  await expect(box).toContainText('deliberate crash of the runs panel');
  await expect(page.getByRole('heading', { level: 2 })).toBeVisible();
  await page.screenshot({ path: `${SHOTS}/panel-error.png`, fullPage: true });
  await page.evaluate(() => { (window as unknown as { __aosCrashPanel?: string }).__aosCrashPanel = undefined; });
  // The other panels still work …
  await page.locator('nav [data-panel="data"]').click();
  await expect(page.getByTestId('panel-data')).toBeVisible();
  await expect(page.getByTestId('panel-error')).toHaveCount(0);
  // … and a crashed panel renders again through its own Try again once the fault is gone.
  await page.evaluate(() => { (window as unknown as { __aosCrashPanel?: string }).__aosCrashPanel = 'data'; });
  await page.locator('nav [data-panel="model"]').click();
  await page.locator('nav [data-panel="data"]').click();
  await expect(page.getByTestId('panel-error')).toBeVisible();
  await page.getByRole('button', { name: 'Try again' }).click();
  await expect(page.getByTestId('panel-error'), 'still failing: the boundary shows it again').toBeVisible();
  await page.evaluate(() => { (window as unknown as { __aosCrashPanel?: string }).__aosCrashPanel = undefined; });
  await page.getByRole('button', { name: 'Try again' }).click();
  await expect(page.getByTestId('panel-error')).toHaveCount(0);
  await expect(page.getByTestId('panel-data')).toBeVisible();
  // Back to the Model panel from a crashed one.
  await page.evaluate(() => { (window as unknown as { __aosCrashPanel?: string }).__aosCrashPanel = 'attack'; });
  await page.locator('nav [data-panel="attack"]').click();
  await page.getByRole('button', { name: 'Back to the Model panel' }).click();
  await expect(page.getByTestId('panel-model')).toBeVisible();
  expect(errors.filter((e) => !/deliberate crash/.test(e))).toEqual([]);
});
