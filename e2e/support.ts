/** Shared bits of the Playwright specs: where screenshots go, and experiment configurations built from overrides. */
import { mkdirSync } from 'node:fs';
import { defaultConfig, withValueAt, type ExperimentConfig } from '../src/experiment';

export const SHOTS = 'test-results/screenshots';
mkdirSync(SHOTS, { recursive: true });

/** The default experiment with `overrides` ([path, value] pairs, as in shareable links) applied in order. */
export function experimentWith(overrides: Array<[string, unknown]>): ExperimentConfig {
  let c = defaultConfig();
  for (const [k, v] of overrides) c = withValueAt(c, k, v);
  return c;
}
