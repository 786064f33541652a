/**
 * The Attack panel's compare slot in Chromium (WebGPU on SwiftShader): a very short TeCoA fine-tune (as in
 * e2e/finetune.spec.ts) is stopped, its checkpoint becomes a second model in the Attack panel, and the same
 * perturbation — the 8-bit adversarial image PGD found on the original model — is shown to the fine-tuned model
 * (transfer). Checks: the run is listed; the fine-tuned model classifies the clean image with its own (different)
 * probabilities; after the attack its probabilities on the adversarial image appear and differ from its clean ones;
 * the original model's row is the attack's own result; the same attack run on the fine-tuned model itself lowers its
 * true-class probability. Batch robust accuracy: after the original model's batch (8 images), the same batch and attack
 * on the fine-tuned model give its clean, robust (≤ clean) and transfer accuracy beside the original's.
 * Screenshots: test-results/screenshots/attack-compare.png, attack-compare-batch.png.
 */
import { expect, test, type Page } from '@playwright/test';
import { encodeConfigToken, type ExperimentConfig } from '../src/experiment';
import { experimentWith, SHOTS } from './support';


function config(): ExperimentConfig {
  return experimentWith([
    ['name', 'e2e compare'], ['fineTune.method', 'tecoa'], ['seed', 4], ['data.dataset', 'fashion-mnist'], ['data.evalSplit', 'val'],
    ['data.trainLimit', 64], ['fineTune.batchSize', 2], ['fineTune.attack.steps', 1], ['fineTune.attack.eps', 4 / 255], ['fineTune.lr', 1e-3],
    ['fineTune.steps', 400], ['fineTune.evalEvery', 50], ['fineTune.towers', 'vision'], ['fineTune.prompts.synonyms', 1],
    ['attack.type', 'pgd-linf'], ['attack.epsilon', 8 / 255], ['attack.alpha', 2 / 255], ['attack.steps', 5], ['attack.restarts', 1],
  ]);
}

const num = async (page: Page, id: string, attr: string) => Number(await page.getByTestId(id).getAttribute(attr));

test('compare slot: a fine-tuned run is shown the adversarial image found on the original model (transfer)', async ({ page }) => {
  test.setTimeout(1_200_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.routeWebSocket(/.*/, () => undefined);
  await page.setViewportSize({ width: 1400, height: 1000 });
  await page.goto(`/?selftest=off#p=finetune&x=${encodeConfigToken(config())}`);
  await expect(page.getByTestId('panel-finetune')).toBeVisible();
  for (const [k, v] of [['valImages', 8], ['valAttackSteps', 1], ['checkpointSeconds', 1]] as const) {
    const input = page.getByTestId(`ft-opt-${k}`);
    await input.fill(String(v));
    await expect(input).toHaveValue(String(v));
  }
  await page.getByTestId('ft-start').click();
  await expect.poll(async () => Number(await page.getByTestId('ft-step').textContent()), { timeout: 600_000, intervals: [500] }).toBeGreaterThanOrEqual(3);
  await page.getByTestId('ft-stop').click();
  await expect(page.getByTestId('ft-status')).toHaveText('stopped', { timeout: 420_000 });

  // The Attack panel: the stopped run is in the compare slot.
  await page.getByRole('navigation', { name: 'panels' }).locator('[data-panel="attack"]').click();
  await expect(page.getByTestId('attack-model-kind')).toBeVisible({ timeout: 180_000 });
  await expect(page.getByTestId('attack-classes')).toContainText('10 classes', { timeout: 120_000 });
  await expect(page.getByTestId('attack-probs')).toBeVisible({ timeout: 120_000 });
  const select = page.getByTestId('attack-compare-select');
  await expect(select.locator('option')).toHaveCount(2, { timeout: 60_000 });
  await expect(select.locator('option').nth(1)).toContainText('e2e compare');
  await select.selectOption({ index: 1 });
  await expect(page.getByTestId('attack-compare-title')).toContainText('step', { timeout: 240_000 });
  await expect(page.getByTestId('cmp-ft-clean')).toHaveAttribute('data-ptrue', /\d/, { timeout: 240_000 });
  const baseClean = await num(page, 'cmp-base-clean', 'data-ptrue');
  const ftClean = await num(page, 'cmp-ft-clean', 'data-ptrue');
  expect(ftClean).toBeGreaterThan(0);
  expect(ftClean).toBeLessThanOrEqual(1);
  expect(ftClean, 'the fine-tuned weights give other probabilities than the original ones').not.toBe(baseClean);
  await expect(page.getByTestId('cmp-ft-adv')).toHaveAttribute('data-ptrue', '');

  // The attack on the original model; its kept image is then shown to the fine-tuned model.
  await page.getByTestId('attack-run').click();
  await expect(page.getByTestId('attack-status')).toHaveAttribute('data-status', 'done', { timeout: 400_000 });
  await expect(page.getByTestId('cmp-ft-adv')).toHaveAttribute('data-ptrue', /\d/, { timeout: 240_000 });
  const baseAdv = await num(page, 'cmp-base-adv', 'data-ptrue');
  const ftAdv = await num(page, 'cmp-ft-adv', 'data-ptrue');
  const attackAdv = await num(page, 'attack-probs', 'data-true-adv');
  expect(baseAdv).toBeCloseTo(attackAdv, 5);
  expect(baseAdv, 'the attack lowers the true class on the original model').toBeLessThan(baseClean);
  expect(ftAdv).toBeGreaterThanOrEqual(0);
  expect(ftAdv, 'the fine-tuned model sees a different image after the perturbation').not.toBe(ftClean);
  await expect(page.getByTestId('cmp-verdict')).toContainText('fine-tuned model');
  // The same attack on the fine-tuned model itself (white-box): it lowers the true class there.
  await page.getByTestId('cmp-attack-own').click();
  await expect(page.getByTestId('cmp-own-status')).toHaveAttribute('data-status', 'done', { timeout: 400_000 });
  const ftOwn = await num(page, 'cmp-ft-own', 'data-ptrue');
  expect(ftOwn, 'the white-box attack lowers p(true) on the fine-tuned model').toBeLessThan(ftClean);

  // Batch robust accuracy: the original model's batch, then the same batch and attack on the fine-tuned model.
  await page.getByTestId('attack-batch-size').selectOption('8');
  await page.getByTestId('attack-batch-run').click();
  await expect(page.getByTestId('attack-batch-status')).toHaveAttribute('data-status', 'done', { timeout: 400_000 });
  await page.getByTestId('attack-batch-ft-run').click();
  await expect(page.getByTestId('attack-batch-ft-status')).toHaveAttribute('data-status', 'done', { timeout: 400_000 });
  const ftBatchClean = await num(page, 'attack-batch-ft-clean', 'data-value');
  const ftBatchRobust = await num(page, 'attack-batch-ft-robust', 'data-value');
  const ftBatchTransfer = await num(page, 'attack-batch-ft-transfer', 'data-value');
  for (const v of [ftBatchClean, ftBatchRobust, ftBatchTransfer]) {
    expect(v).toBeGreaterThanOrEqual(0);
    expect(v).toBeLessThanOrEqual(1);
  }
  expect(ftBatchRobust, 'the worst case over the attack is no better than the clean images').toBeLessThanOrEqual(ftBatchClean);
  await expect(page.getByTestId('attack-batch-ft')).toContainText('step');
  await page.getByTestId('attack-batch').screenshot({ path: `${SHOTS}/attack-compare-batch.png` });
  console.log(`batch of 8: original clean ${await num(page, 'attack-batch-clean', 'data-value')} robust ${await num(page, 'attack-batch-robust', 'data-value')}; fine-tuned clean ${ftBatchClean} robust ${ftBatchRobust} transfer ${ftBatchTransfer}`);
  test.info().annotations.push({ type: 'transfer', description: `p(true) original ${baseClean} → ${baseAdv}; fine-tuned ${ftClean} → ${ftAdv} (transfer), ${ftOwn} (own attack)` });
  console.log(`p(true): original ${baseClean} → ${baseAdv}; fine-tuned ${ftClean} → ${ftAdv} (transfer), ${ftOwn} (own attack)`);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `${SHOTS}/attack-compare.png`, fullPage: true });
  await page.getByTestId('attack-model').screenshot({ path: `${SHOTS}/attack-compare-slot.png` });
  expect(errors).toEqual([]);
});
