/** Shared bits of the Playwright specs: where screenshots go, and experiment configurations built from overrides. */
import { expect, type Page, type Worker } from '@playwright/test';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { defaultConfig, withValueAt, type ExperimentConfig } from '../src/experiment';

export const SHOTS = 'test-results/screenshots';
mkdirSync(SHOTS, { recursive: true });

/** The default experiment with `overrides` ([path, value] pairs, as in shareable links) applied in order. */
export function experimentWith(overrides: Array<[string, unknown]>): ExperimentConfig {
  let c = defaultConfig();
  for (const [k, v] of overrides) c = withValueAt(c, k, v);
  return c;
}

/** The committed test model the specs load from local files (a transformers.js folder). */
export const FIXTURE = 'public/fixtures/tiny-clip';
export const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** Every file below `dir`, as paths relative to it. */
export function walk(dir: string, prefix = ''): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? walk(join(dir, n), `${prefix}${n}/`) : [`${prefix}${n}`]));
}

/** Files listed in the Model panel's card: name → sha256 (the cell's title) and where it came from. */
export async function listedModelFiles(page: Page): Promise<Record<string, { sha: string; from: string }>> {
  const rows = page.getByTestId('model-files').locator('tbody tr');
  await expect(rows.first()).toBeVisible();
  const out: Record<string, { sha: string; from: string }> = {};
  for (const r of await rows.all()) {
    out[(await r.getAttribute('data-file'))!] = { sha: (await r.locator('code[title]').getAttribute('title'))!, from: (await r.getAttribute('data-from'))! };
  }
  return out;
}

/**
 * The page's engine Worker (src/engine/bridge/worker.ts: it owns the GPUDevice, the models and the runs), for the
 * development hooks it exposes on its own globalThis (`__aosFineTuneEngine`, `__aosGeometryCache`).
 */
export async function engineWorker(page: Page): Promise<Worker> {
  const find = () => page.workers().find((w) => /engine\/bridge\/worker|\/worker-[^/]*\.js/.test(w.url()));
  await expect.poll(() => find() !== undefined, { timeout: 60_000 }).toBe(true);
  return find()!;
}
