/**
 * Results panel: opens with the committed results (or says none in format v1 or v2 is committed), refuses a hostile
 * results file naming the field while the app keeps working, opens a synthetic v2 file (tests/helpers/
 * syntheticResults.ts: not measurements), shows the table, the chart and the paired tests, drills into a cell and
 * compares two runs image by image against the same computation done here in Node; on the committed table, re-creates
 * one image's adversarial example on its run's committed model (and refuses a tampered one), and shows a synthetic
 * file's training curves.
 * Screenshots: docs/screenshots/.
 */
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseResults } from '../src/methods/results';
import { drillDown, tradeoffPoints } from '../src/methods/resultsView';
import { syntheticResults } from '../tests/helpers/syntheticResults';

const DOCS_SHOTS = 'docs/screenshots';
mkdirSync(DOCS_SHOTS, { recursive: true });
/** axe-core's WCAG 2.0/2.1 A and AA rules on one part of the page (as e2e/a11y.spec.ts runs them on whole panels). */
async function expectNoAxeViolations(page: Page, selector: string): Promise<void> {
  const r = await new AxeBuilder({ page }).include(selector).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const lines = r.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
  expect(lines, lines.join('\n')).toEqual([]);
}
const file = (name: string, text: string) => ({ name, mimeType: 'application/json', buffer: Buffer.from(text, 'utf8') });

test('results: committed by default, a hostile file refused, a results file explored down to single images', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto('/?selftest=off#p=results');
  const panel = page.getByTestId('panel-results');
  await expect(panel.getByRole('heading', { level: 2, name: 'Results', exact: true })).toBeVisible();
  // The committed v1 file when there is one, else a plain statement that there is none.
  await expect(page.getByTestId('results-table').or(page.getByTestId('results-none'))).toBeVisible();
  const committed = await page.getByTestId('results-table').isVisible();
  if (committed) await expect(page.getByTestId('results-source-name')).toContainText('(committed)');

  // A hostile file: refused with the field named; the panel and the rest of the app keep working.
  const good = syntheticResults();
  const hostile = JSON.parse(JSON.stringify(good));
  hostile.runs[4].cells[0].correct = '<img src=x onerror=alert(1)>';
  const input = page.getByTestId('results-open-input');
  await input.setInputFiles(file('hostile.json', JSON.stringify(hostile)));
  await expect(page.getByTestId('results-error')).toContainText('hostile.json was not opened: $.runs[4].cells[0].correct');
  await page.locator('nav [data-panel="data"]').click();
  await expect(page.getByTestId('panel-data')).toBeVisible();
  await page.locator('nav [data-panel="results"]').click();
  await expect(page.getByTestId('results-error')).toContainText('$.runs[4].cells[0].correct');

  // A valid file: table (4 methods × 2 sets × 4 columns), provenance, chart with one series per method.
  await input.setInputFiles(file('synthetic-sweep.json', JSON.stringify(good)));
  await expect(page.getByTestId('results-error')).toHaveCount(0);
  await expect(page.getByTestId('results-source-name')).toHaveText('synthetic-sweep.json (your file)');
  await expect(page.getByTestId('results-provenance')).toContainText('synthetic');
  await expect(page.getByTestId('results-table').locator('tbody tr')).toHaveCount(4);
  await expect(page.getByTestId('results-cell')).toHaveCount(4 * 2 * 4);
  await expect(page.getByTestId('results-chart')).toHaveAttribute('data-series', '4');
  // The headline cell is selected: AoS against the three others.
  await expect(page.getByTestId('results-tests').locator('tbody tr')).toHaveCount(3);
  await expect(page.getByTestId('results-tests').locator('tr[data-baseline="none"]')).toHaveAttribute('data-significant', 'true');
  await page.screenshot({ path: `${DOCS_SHOTS}/results-panel.png`, fullPage: true });

  // Drill into mnist/test at 16/255: AoS seed 0 against TeCoA seed 0, image by image.
  const cell = page.locator('[data-testid="results-cell"][data-method="aos"][data-set="mnist/test"]').last();
  await cell.click();
  await expect(cell).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByTestId('results-chart')).toHaveAttribute('data-set', 'mnist/test');
  // The trade-off follows the cell: a point per run with both the clean and the 16/255 cell of mnist/test.
  const tradeoff = page.getByTestId('results-tradeoff');
  await expect(tradeoff).toHaveAttribute('data-set', 'mnist/test');
  await expect(tradeoff.getByTestId('results-tradeoff-point')).toHaveCount(tradeoffPoints(good, 'mnist/test', 16 / 255).length);
  await tradeoff.scrollIntoViewIfNeeded();
  await tradeoff.screenshot({ path: `${DOCS_SHOTS}/results-tradeoff.png` });
  await page.getByTestId('results-run-a').selectOption('aos-seed0');
  await page.getByTestId('results-run-b').selectOption('tecoa-seed0');
  const want = drillDown(good, 'aos-seed0', 'tecoa-seed0', 'mnist/test', 16 / 255);
  const summary = page.getByTestId('results-drill-summary');
  await expect(summary).toHaveAttribute('data-only-a', String(want.onlyA.length));
  await expect(summary).toHaveAttribute('data-only-b', String(want.onlyB.length));
  await expect(summary).toHaveAttribute('data-both', String(want.both));
  await expect(page.getByTestId('results-image')).toHaveCount(want.n);
  await page.getByTestId('results-drill').scrollIntoViewIfNeeded();
  await page.getByTestId('results-drill').screenshot({ path: `${DOCS_SHOTS}/results-drill-down.png` });
  await page.getByTestId('results-only-differ').check();
  await expect(page.getByTestId('results-image')).toHaveCount(want.onlyA.length + want.onlyB.length);
  const first = want.onlyA[0] ?? want.onlyB[0];
  const img = page.locator(`[data-testid="results-image"][data-index="${first}"]`);
  await img.click();
  await expect(page.getByTestId('results-image-detail')).toContainText(`Image ${first} of mnist/test`);
  await expect(img).toHaveAttribute('data-a', want.a.outcomes[first]);
  await expect(img).toHaveAttribute('data-b', want.b.outcomes[first]);
  // The test images themselves, from the bundled split the set names.
  await expect(page.getByTestId('results-picked-image').locator('canvas')).toHaveCount(1);
  await expect(page.getByTestId('results-only-a').locator('canvas')).toHaveCount(Math.min(32, want.onlyA.length));
  await expect(page.getByTestId('results-only-b').locator('canvas')).toHaveCount(Math.min(32, want.onlyB.length));
  await page.getByTestId('results-drill').screenshot({ path: `${DOCS_SHOTS}/results-drill-down-differ.png` });

  // Another reference method recomputes the tests.
  await page.getByTestId('results-reference').selectOption('tecoa');
  await expect(page.getByTestId('results-tests').locator('tr[data-baseline="aos"]')).toHaveCount(1);
  expect(errors).toEqual([]);
});

test('a results link: the file URL is confirmed before any request, the named cell is selected, and selections keep the link current', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  const good = syntheticResults();
  const url = 'https://results.example.org/sweeps/synthetic.json';
  let hits = 0;
  await page.route(url, (route) => {
    hits++;
    return route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(good) });
  });
  await page.goto(`/?selftest=off#p=results&results=${encodeURIComponent(url)}&cell=${encodeURIComponent('mnist/test@8')}`);
  const confirm = page.getByTestId('results-link-confirm');
  await expect(confirm).toBeVisible();
  await expect(page.getByTestId('results-link-url')).toHaveText(url);
  await expect(confirm).toContainText('results.example.org');
  expect(hits, 'nothing fetched before the user confirms').toBe(0);
  await page.getByTestId('results-link-open').click();
  await expect(page.getByTestId('results-source-name')).toHaveText(`${url} (from a link)`);
  expect(hits).toBe(1);
  const selected = page.locator('[data-testid="results-cell"][aria-pressed="true"]');
  await expect(selected).toHaveCount(4); // the selected column: one button per method
  await expect(selected.first()).toHaveAttribute('data-set', 'mnist/test');
  await expect(selected.first()).toHaveAttribute('data-eps', String(8 / 255));
  await expect.poll(() => new URL(page.url()).hash).toContain(`cell=${encodeURIComponent('mnist/test@8')}`);
  expect(new URL(page.url()).hash).toContain(`results=${encodeURIComponent(url)}`);
  // Another cell: the address bar follows, so the link shows what is on screen.
  await page.locator('[data-testid="results-cell"][data-method="tecoa"][data-set="fashion-mnist/test"]').last().click();
  await expect.poll(() => new URL(page.url()).hash).toContain(`cell=${encodeURIComponent('fashion-mnist/test@16')}`);

  // Refused values: an http: URL and a cell the committed file does not have are explained; nothing is fetched.
  await page.goto(`/?selftest=off#p=results&results=${encodeURIComponent('http://results.example.org/r.json')}&cell=${encodeURIComponent('nope/test@8')}`);
  await page.reload();
  await expect(page.getByTestId('import-notice')).toContainText('results: the results URL "http://results.example.org/r.json" uses http:, only https:');
  await expect(page.getByTestId('results-link-confirm')).toHaveCount(0);
  await expect(page.getByTestId('results-table').or(page.getByTestId('results-none'))).toBeVisible();
  if (await page.getByTestId('results-table').isVisible()) await expect(page.getByTestId('results-link-note')).toContainText("The link's cell nope/test at 8/255 is not in");
  expect(hits).toBe(1);
  expect(errors).toEqual([]);
});

test('the committed table: an image re-created on its run\'s committed model; training curves when the file has them', async ({ page }) => {
  test.setTimeout(600_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  const committed = parseResults(readFileSync('results/reproduce-quick.json', 'utf8'));
  const set = 'fashion-mnist/test', eps = committed.headlineEps;
  const runA = 'aos/eps16/lambda-x1/seed0', runB = 'tecoa/eps16/lr-x3/seed0';
  const want = drillDown(committed, runA, runB, set, eps);
  await page.goto('/?selftest=off#p=results');
  await expect(page.getByTestId('results-source-name')).toContainText('reproduce-quick.json (committed)');
  await page.locator(`[data-testid="results-cell"][data-method="aos"][data-set="${set}"][data-eps="${eps}"]`).click();
  await page.getByTestId('results-run-a').selectOption(runA);
  await page.getByTestId('results-run-b').selectOption(runB);
  await expect(page.getByTestId('results-drill-summary')).toHaveAttribute('data-only-a', String(want.onlyA.length));

  // The first image the table says is wrong even clean: the re-creation finds it wrong clean too, nothing attacked.
  const wrong = want.a.outcomes.indexOf('wrong');
  const recreate = page.getByTestId('results-recreate');
  if (wrong >= 0) {
    await page.locator(`[data-testid="results-image"][data-index="${wrong}"]`).click();
    await expect(page.getByTestId('results-recreate-go')).toBeEnabled();
    await page.getByTestId('results-recreate-go').click();
    const r = page.getByTestId('results-recreate-result');
    await expect(r).toHaveAttribute('data-stored', 'wrong');
    await expect(r).toHaveAttribute('data-outcome', 'wrong');
    await expect(page.getByTestId('results-recreate-adversarial')).toHaveCount(0);
  }

  // The first image the table's cascade broke: clean it must be right (same model, same image); APGD-CE alone then
  // runs in the Worker, and the page says whether it agrees with the stored outcome (it may not: say so, not hide it).
  const broken = want.a.outcomes.indexOf('broken');
  expect(broken, 'the committed cell has an image broken by the attack').toBeGreaterThanOrEqual(0);
  await page.locator(`[data-testid="results-image"][data-index="${broken}"]`).click();
  await expect(recreate).toHaveAttribute('data-status', 'idle');
  await expect(page.getByTestId('results-recreate-run')).toHaveValue(runA);
  await expect(page.getByTestId('results-recreate-stages')).toHaveValue('apgd-ce');
  await expect(recreate).toContainText('APGD-CE 20 steps × 1 restart(s)');
  await page.getByTestId('results-recreate-go').click();
  const result = page.getByTestId('results-recreate-result');
  await expect(result).toBeVisible();
  await expect(result).toHaveAttribute('data-stored', 'broken');
  const outcome = await result.getAttribute('data-outcome');
  expect(['broken', 'robust']).toContain(outcome);
  await expect(page.getByTestId('results-recreate-clean')).toHaveAttribute('data-right', 'true');
  await expect(page.getByTestId('results-recreate-adversarial')).toHaveAttribute('data-right', outcome === 'robust' ? 'true' : 'false');
  await expect(page.getByTestId('results-recreate-verdict')).toContainText(outcome === 'broken' ? 'they agree' : 'they disagree');
  await expect(result).toContainText('Ran: APGD-CE 20 steps');
  await recreate.scrollIntoViewIfNeeded();
  await page.getByTestId('results-drill').screenshot({ path: `${DOCS_SHOTS}/results-recreate.png` });
  await expectNoAxeViolations(page, '[data-testid="results-recreate"]');

  // The undefended run has no committed model: the page says so and offers nothing to run.
  await page.getByTestId('results-run-b').selectOption('pretrained');
  await page.getByTestId('results-recreate-run').selectOption('pretrained');
  await expect(page.getByTestId('results-recreate-why')).toContainText('no committed model for run pretrained');
  await expect(page.getByTestId('results-recreate-go')).toBeDisabled();

  // Training curves: the committed file's runs carry them (every trained run); a synthetic v2 file's show per run too.
  await expect(page.getByTestId('results-curves')).toHaveAttribute('data-runs', String(committed.runs.filter((r) => r.curve).length));
  expect(committed.runs.filter((r) => r.curve).length).toBe(committed.runs.filter((r) => r.method !== 'none').length);
  const good = syntheticResults({ curves: true });
  await page.getByTestId('results-open-input').setInputFiles(file('synthetic-curves.json', JSON.stringify(good)));
  await expect(page.getByTestId('results-source-name')).toHaveText('synthetic-curves.json (your file)');
  const curves = page.getByTestId('results-curves');
  await expect(curves).toHaveAttribute('data-runs', String(good.runs.filter((r) => r.curve).length));
  await page.getByTestId('results-curves-run').selectOption('aos-seed1');
  const aos = good.runs.find((r) => r.id === 'aos-seed1')!.curve!;
  await expect(page.getByTestId('results-curve-loss')).toHaveAttribute('data-series', String(1 + Object.keys(aos.terms).length));
  await expect(page.getByTestId('results-curve-loss')).toHaveAttribute('data-points', String(aos.step.length));
  await expect(page.getByTestId('results-curve-grad')).toHaveAttribute('data-series', String(1 + Object.keys(aos.termGradNorms).length));
  await expect(page.getByTestId('results-curve-clip')).toHaveAttribute('data-series', '1');
  await curves.scrollIntoViewIfNeeded();
  await curves.screenshot({ path: `${DOCS_SHOTS}/results-curves.png` });
  await expectNoAxeViolations(page, '[data-testid="results-curves"]');
  expect(errors).toEqual([]);
});

test('a committed model that does not match the results file is refused: a tampered manifest, tampered model bytes', async ({ page, context }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  const manifest = JSON.parse(readFileSync('public/results/models/manifest.json', 'utf8'));
  const aos = manifest.models.find((m: { run: string }) => m.run === 'aos/eps16/lambda-x1/seed0');
  // The manifest claims another hash for the TeCoA vision tower than the results file records.
  manifest.models.find((m: { run: string }) => m.run === 'tecoa/eps16/lr-x3/seed0').files.find((f: { name: string }) => f.name === 'onnx/vision_model.onnx').sha256 = 'f'.repeat(64);
  await page.route('**/results/models/manifest.json', (route) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(manifest) }));
  // AoS's text tower is served with one byte changed (the Worker fetches it).
  const textFile = aos.files.find((f: { name: string }) => f.name === 'onnx/text_model.onnx');
  const bytes = readFileSync(join('public', textFile.url));
  bytes[bytes.length - 1] ^= 1;
  await context.route(`**/${textFile.url}`, (route) => route.fulfill({ status: 200, contentType: 'application/octet-stream', body: bytes }));

  const committed = parseResults(readFileSync('results/reproduce-quick.json', 'utf8'));
  const set = 'fashion-mnist/test', eps = committed.headlineEps;
  await page.goto('/?selftest=off#p=results');
  await expect(page.getByTestId('results-source-name')).toContainText('reproduce-quick.json (committed)');
  await page.locator(`[data-testid="results-cell"][data-method="aos"][data-set="${set}"][data-eps="${eps}"]`).click();
  await page.getByTestId('results-run-a').selectOption('aos/eps16/lambda-x1/seed0');
  await page.getByTestId('results-run-b').selectOption('tecoa/eps16/lr-x3/seed0');
  await page.locator('[data-testid="results-image"][data-index="0"]').click();
  await page.getByTestId('results-recreate-run').selectOption('tecoa/eps16/lr-x3/seed0');
  await expect(page.getByTestId('results-recreate-why')).toContainText('vision_model.onnx of tecoa/eps16/lr-x3/seed0');
  await expect(page.getByTestId('results-recreate-why')).toContainText('is not the one the results file records');
  await expect(page.getByTestId('results-recreate-go')).toBeDisabled();
  await page.getByTestId('results-recreate-run').selectOption('aos/eps16/lambda-x1/seed0');
  await page.getByTestId('results-recreate-go').click();
  await expect(page.getByTestId('results-recreate-error')).toContainText(`${textFile.url}: refused`);
  await expect(page.getByTestId('results-recreate-result')).toHaveCount(0);
  expect(errors).toEqual([]);
});
