/**
 * The geometry probe's settings and the names of its pair types (plain data; the settings' type lives in
 * src/experiment, which links share): what the Subspaces panel edits and labels. Apart from src/methods/geometry.ts
 * so that the page can use them without bringing the probe's compute into the page bundle (.dependency-cruiser.page.cjs).
 */

export const GEOMETRY_PAIRS = ['advClean', 'imageText', 'advText'] as const;
export type GeometryPair = (typeof GEOMETRY_PAIRS)[number];

export const PAIR_LABELS: Readonly<Record<GeometryPair, string>> = {
  advClean: 'clean ↔ adversarial images',
  imageText: 'images ↔ text',
  advText: 'clean ↔ adversarial text',
};

export type { ProbeSettings } from '../experiment/probeSettings';
import type { ProbeSettings } from '../experiment/probeSettings';

export const DEFAULT_PROBE_SETTINGS: Readonly<ProbeSettings> = Object.freeze({
  classes: [0, 2, 5, 7], perClass: 1, views: 5, templates: 8, synonyms: 3,
  eps: 4 / 255, alpha: 2 / 255, steps: 3, textEps: 0.1, textSteps: 2, seed: 1,
});
