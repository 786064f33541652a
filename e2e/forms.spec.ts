/**
 * Forms that cannot run invalid settings: a refused value (Steps = 0, ε = 100000/255) stays in its input with the
 * reason in the units the user typed, and Run attack / Start new run wait until it is fixed; a budget past the usual
 * ones (ε = 255/255) runs, with a warning that says what the result would mean.
 */
import { expect, test } from '@playwright/test';

test('refused settings block running, in the units typed; large budgets warn', async ({ page }) => {
  await page.goto('/?selftest=off#p=attack');
  const run = page.getByTestId('attack-run');
  await expect(run).toBeEnabled({ timeout: 240_000 });

  const steps = page.getByLabel('Steps', { exact: true });
  await steps.fill('0');
  await expect(page.locator('.field-error', { hasText: /^0 is outside the allowed range 1…1000$/ })).toBeVisible();
  await expect(run).toBeDisabled();
  await expect(page.getByTestId('attack-status')).toContainText('fix the attack settings first (attack.steps');
  await steps.fill('10');
  await expect(run).toBeEnabled();

  const eps = page.getByLabel('ε', { exact: true });
  await eps.fill('100000');
  await expect(page.locator('.field-error', { hasText: '100000/255 is outside the allowed range 0…8160 (in 1/255)' })).toBeVisible();
  await expect(run).toBeDisabled();
  await eps.fill('255');
  await expect(run).toBeEnabled();
  await expect(page.getByTestId('attack-eps-warning')).toContainText('ε = 255/255 is past the usual budgets');
  await eps.fill('8');
  await expect(page.getByTestId('attack-eps-warning')).toHaveCount(0);

  // The fine-tune panel's start waits for its own fields.
  await page.locator('nav [data-panel="finetune"]').click();
  const start = page.getByTestId('ft-start');
  await expect(start).toBeEnabled();
  const batch = page.getByLabel('Batch size', { exact: true });
  await batch.fill('0');
  await expect(start).toBeDisabled();
  await expect(page.getByTestId('ft-blocked')).toContainText('fineTune.batchSize');
  await batch.fill('8');
  await expect(start).toBeEnabled();
});
