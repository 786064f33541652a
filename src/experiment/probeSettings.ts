/**
 * The geometry probe's settings as plain data: part of the experiment vocabulary (links carry them), defined here so
 * that src/experiment does not import src/methods (which imports experiment); src/methods/probeSettings.ts re-exports it.
 */
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
