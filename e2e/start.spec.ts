/**
 * The guided start (issue #19), what a new user opens on, in Chromium (WebGPU on SwiftShader):
 *
 * 1. The plain address (no fragment: what `npm start` opens) shows the Start panel with both one-click buttons above
 *    the fold at 1280 × 720; one click attacks a bundled Fashion-MNIST image live: the live view appears, the attack
 *    runs to its verified 8-bit result, and (on the bundled model) the prediction flips. axe's WCAG A/AA rules pass on
 *    the screen with the live attack in it. Screenshots at 1280 × 720 and 390 × 844.
 * 2. Opening the panel prepares the quick-demo run in the engine Worker (src/engine/prepareRun.ts: gradient graphs,
 *    shaders, the untrained model's probe angle); the spec waits until the card says it is ready, as a reader of the
 *    card would, and records how long that took. One click then starts the quick-demo fine-tune (AoS,
 *    src/experiment/presets.ts): the card reports the probe's mean clean ↔ adversarial angle at step 0 and at every
 *    measured step; the spec records each with the seconds since the click (annotations) and requires issue #19's
 *    target on SwiftShader — a snapshot shown within 60 s of the click with the angle ≥ 5° below step 0's — and the
 *    ≥ 5° still at the end of the run (measured 2026-12-04, 2 cores at load ≈ 5–7: ready 32–68 s after the page
 *    opened; 12.0° at step 0 at 3–6 s, 10.1° at step 4 at 20–27 s, 6.3° (−5.7°) at step 8 at 36–46 s, 6.4° at
 *    step 12 at 57–62 s, over three runs). The Subspaces panel then opens on the run with the step-0 reference
 *    beside the latest spectrum.
 * 3. The Fine-tune panel applies the same preset with one click, without starting a run.
 * Screenshots: test-results/screenshots/start-*.png (the key ones are copied to docs/screenshots/).
 */
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { QUICK_DEMO_PROBE_EVERY } from '../src/experiment';
import { SHOTS } from './support';

const WIDE = { width: 1280, height: 720 };
const NARROW = { width: 390, height: 844 };

async function axeViolations(page: Page): Promise<string[]> {
  const r = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return r.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
}

test('a new user opens on the guided start; one click shows a live attack on a bundled image', async ({ page }) => {
  test.setTimeout(600_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.setViewportSize(WIDE);
  // Exactly the address `npm start` prints: no query, no fragment.
  await page.goto('/');
  await expect(page.getByTestId('panel-start')).toBeVisible();
  await expect(page.locator('nav [data-panel="start"]')).toHaveAttribute('aria-current', 'page');
  // Both one-click actions are above the fold.
  await expect(page.getByTestId('start-attack-run')).toBeInViewport();
  await expect(page.getByTestId('start-demo-run')).toBeInViewport();
  await expect(page.getByTestId('start-next')).toContainText('Subspaces');
  await page.screenshot({ path: `${SHOTS}/start-1280.png` });
  await page.setViewportSize(NARROW);
  await expect(page.getByTestId('start-attack-run')).toBeInViewport();
  await page.screenshot({ path: `${SHOTS}/start-390.png` });
  await page.setViewportSize(WIDE);

  await page.getByTestId('start-attack-run').click();
  await expect(page.getByTestId('attack-live')).toBeVisible();
  // The link now carries the preset's attack (an ordinary configuration).
  await expect.poll(() => page.evaluate(() => location.hash), { timeout: 10_000 }).toContain('x=');
  await expect(page.getByTestId('attack-adv-canvas')).toBeVisible({ timeout: 300_000 });
  await expect(page.getByTestId('start-attack-status')).toHaveAttribute('data-status', 'done', { timeout: 400_000 });
  const verify = page.getByTestId('attack-verify');
  await expect(verify).toBeVisible();
  expect(Number(await verify.getAttribute('data-linf'))).toBeLessThanOrEqual(8);
  const probs = page.getByTestId('attack-probs');
  const clean = await probs.getAttribute('data-clean-pred'), adv = await probs.getAttribute('data-adv-pred');
  test.info().annotations.push({ type: 'attack', description: `prediction ${clean} → ${adv}; success ${await verify.getAttribute('data-success')}` });
  expect(await verify.getAttribute('data-success')).toBe('true');
  expect(adv).not.toBe(clean);
  expect(await axeViolations(page)).toEqual([]);
  const liveOnTop = () => page.getByTestId('start-live').evaluate((el) => el.scrollIntoView({ block: 'start' }));
  await liveOnTop();
  await page.screenshot({ path: `${SHOTS}/start-attack-1280.png` });
  await page.setViewportSize(NARROW);
  await liveOnTop();
  await page.screenshot({ path: `${SHOTS}/start-attack-390.png` });
  expect(errors).toEqual([]);
});

test('the quick demo: one click fine-tunes with AoS and the mean clean↔adversarial angle moves; the Subspaces panel shows it', async ({ page }) => {
  test.setTimeout(900_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.setViewportSize(WIDE);
  const opened = Date.now();
  await page.goto('/?selftest=off#p=start');
  await expect(page.getByTestId('start-demo-run')).toBeEnabled();
  // Opening the panel prepares the demo's run in the Worker (src/engine/prepareRun.ts): a user reading the card
  // clicks on warm sessions. The clock starts at the click; the preparation is recorded beside it.
  await expect(page.getByTestId('start-demo-card')).toHaveAttribute('data-prepared', 'ready', { timeout: 400_000 });
  const preparation = await page.getByTestId('start-demo-preparation').textContent();
  test.info().annotations.push({ type: 'preparation', description: `ready ${((Date.now() - opened) / 1000).toFixed(0)} s after the page opened: ${preparation}` });
  const t0 = Date.now();
  await page.getByTestId('start-demo-run').click();
  const progress = page.getByTestId('start-demo-progress');
  await expect(progress).toBeVisible({ timeout: 60_000 });
  // Each new snapshot: the step it measured and the seconds since the click.
  const seen: Array<{ step: number; angle: number; s: number }> = [];
  let angle0: number | null = null, status = 'running';
  while (Date.now() - t0 < 800_000) {
    const a = await progress.evaluate((el) => ({ ...(el as HTMLElement).dataset }));
    status = a.status ?? 'running';
    if (a.angle0 !== undefined && angle0 === null) {
      angle0 = Number(a.angle0);
      seen.push({ step: 0, angle: angle0, s: (Date.now() - t0) / 1000 });
    }
    if (a.angleStep !== undefined && Number(a.angleStep) > 0 && seen[seen.length - 1]?.step !== Number(a.angleStep)) {
      seen.push({ step: Number(a.angleStep), angle: Number(a.angle), s: (Date.now() - t0) / 1000 });
    }
    if (status !== 'running') break;
    await page.waitForTimeout(500);
  }
  expect(status).toBe('done');
  expect(angle0).not.toBeNull();
  const end = seen[seen.length - 1];
  const within60 = seen.filter((x) => x.s <= 60);
  const best60 = within60.length ? Math.max(...within60.map((x) => angle0! - x.angle)) : 0;
  const reached5 = seen.find((x) => angle0! - x.angle >= 5);
  test.info().annotations.push(
    { type: 'angles', description: seen.map((x) => `step ${x.step}: ${x.angle.toFixed(2)}° at ${x.s.toFixed(0)} s`).join('; ') },
    {
      type: 'target ≥ 5° within 60 s',
      description: `largest fall within 60 s of the click: ${best60.toFixed(2)}°; ≥ 5° first at ${reached5 ? `${reached5.s.toFixed(0)} s (step ${reached5.step})` : 'no snapshot'}`,
    },
  );
  console.log(test.info().annotations.map((a) => `${a.type}: ${a.description}`).join('\n'));
  // Issue #19's target: the mean angle has moved by ≥ 5° in a snapshot the card showed within 60 s of the click.
  expect(best60, `largest fall within 60 s of the click (${seen.map((x) => `${x.angle.toFixed(2)}° at ${x.s.toFixed(0)} s`).join(', ')})`).toBeGreaterThanOrEqual(5);
  // And the run keeps it to its end (12 steps).
  expect(angle0! - end.angle, `angle ${angle0} → ${end.angle}`).toBeGreaterThanOrEqual(5);
  await expect(page.getByTestId('start-demo-angle')).toContainText('at step 12');
  const snapshots = Number(await progress.getAttribute('data-snapshots'));
  expect(snapshots).toBe(1 + 12 / QUICK_DEMO_PROBE_EVERY);
  await page.screenshot({ path: `${SHOTS}/start-demo-1280.png` });
  expect(await axeViolations(page)).toEqual([]);

  await page.getByTestId('start-open-subspaces').click();
  await expect(page.getByTestId('panel-subspaces')).toBeVisible();
  await expect(page.getByTestId('ss-summary')).toContainText('quick demo');
  await expect(page.getByTestId('ss-summary')).toContainText('at step 12');
  const adv = page.getByTestId('spectrum-advClean');
  await expect(adv).toHaveAttribute('data-drawn', 'true');
  await expect(adv).toContainText('step 0:');
  await expect(page.getByTestId('heatmap-advClean')).toHaveAttribute('data-columns', String(snapshots));
  await page.screenshot({ path: `${SHOTS}/start-demo-subspaces-1280.png` });
  await page.setViewportSize(NARROW);
  await page.screenshot({ path: `${SHOTS}/start-demo-subspaces-390.png` });
  expect(errors).toEqual([]);
});

test('the Fine-tune panel offers the quick demo preset with one click (settings only: nothing starts)', async ({ page }) => {
  await page.setViewportSize(WIDE);
  await page.goto('/?selftest=off#p=finetune');
  await expect(page.getByTestId('ft-next')).toContainText('100 steps × batch 32');
  await page.getByTestId('ft-preset-quick-demo').click();
  await expect(page.getByTestId('ft-next')).toContainText('AoS');
  await expect(page.getByTestId('ft-next')).toContainText('12 steps × batch 4');
  await expect(page.getByTestId('ft-next')).toContainText('PGD-1 ε 8/255');
  await expect(page.getByTestId('ft-preset-bar')).toContainText('Applied');
  await expect(page.getByTestId('ft-status')).toHaveCount(0);
  await page.screenshot({ path: `${SHOTS}/start-finetune-preset-1280.png` });
});
