/**
 * The geometry probe's settings and the names of its pair types (plain data, no imports): what the Subspaces panel
 * edits and labels. Apart from src/methods/geometry.ts so that the page can use them without bringing the probe's
 * compute into the page bundle (.dependency-cruiser.page.cjs).
 */

export const GEOMETRY_PAIRS = ['advClean', 'imageText', 'advText'] as const;
export type GeometryPair = (typeof GEOMETRY_PAIRS)[number];

export const PAIR_LABELS: Readonly<Record<GeometryPair, string>> = {
  advClean: 'clean ↔ adversarial images',
  imageText: 'images ↔ text',
  advText: 'clean ↔ adversarial text',
};

/** What a probe is made of, as the workbench's settings (plain data). */
export interface ProbeSettings {
  /** Class indices of the probe images. */
  classes: number[];
  /** Images per class (the first ones of the split). */
  perClass: number;
  /** Views per image (1 + m augmentations). */
  views: number;
  /** Text groups: the first `templates` templates × the first `synonyms` synonyms (≤ 32 prompts). */
  templates: number;
  synonyms: number;
  /** Image attack (L∞ PGD on [0, 1] pixels, CE). */
  eps: number;
  alpha: number;
  steps: number;
  /** Prompt attack (L2 on token embeddings, relative radius; 0 steps: no adversarial text group). */
  textEps: number;
  textSteps: number;
  seed: number;
}

export const DEFAULT_PROBE_SETTINGS: Readonly<ProbeSettings> = Object.freeze({
  classes: [0, 2, 5, 7], perClass: 1, views: 5, templates: 8, synonyms: 3,
  eps: 4 / 255, alpha: 2 / 255, steps: 3, textEps: 0.1, textSteps: 2, seed: 1,
});
