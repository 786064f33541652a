/**
 * What the guided start's buttons do (page glue, no React): apply a preset to the experiment configuration, then
 * call the same engine commands the Attack and Fine-tune panels call (the page's, passed in) — nothing here computes.
 */
import {
  applyPreset, ATTACK_DEMO_IMAGE, ATTACK_DEMO_PRESET, QUICK_DEMO_PRESET, QUICK_DEMO_PROBE_EVERY, type ExperimentPreset,
} from '../../experiment';
import { useExperimentStore } from '../../state/experiment';
import { useGeometryStore } from '../../state/geometry';
import type { PanelId } from '../../state/ui';
import { useUiStore } from '../../state/ui';
import type { AttackCommands } from '../../engine/commands/attack';
import type { FineTuneCommands } from '../../engine/commands/fineTune';

/** Puts a preset's configuration in the store (what the link, the panels and the next run then show). */
export function applyPresetToStore(preset: ExperimentPreset): void {
  const store = useExperimentStore.getState();
  const refused = store.setConfig(applyPreset(store.config, preset));
  if (refused) throw new Error(`the ${preset.title} settings were refused: ${refused}`);
}

/**
 * One click, one live attack: the attack preset, the bundled test image it was chosen for, then Run attack. The
 * playground is prepared here because the Attack panel (which prepares it otherwise) is not open.
 */
export async function runAttackDemo({ preparePlayground, selectTestImage, runSingleAttack }: AttackCommands): Promise<void> {
  applyPresetToStore(ATTACK_DEMO_PRESET);
  const c = useExperimentStore.getState().config;
  await preparePlayground({ model: c.model, seed: c.seed, datasetId: c.data.dataset });
  await selectTestImage(ATTACK_DEMO_IMAGE);
  await runSingleAttack();
}

/**
 * One click, one short AoS run: the quick-demo preset, the Subspaces probe measured every few steps (so its angles
 * move while the run goes) and the Subspaces panel set to follow the run. Resolves when the run has ended.
 */
export async function runQuickDemo({ startRun }: FineTuneCommands): Promise<void> {
  applyQuickDemoPreset();
  await startRun();
}

/** The quick-demo preset and its probe cadence, without starting (the Fine-tune panel's preset button). */
export function applyQuickDemoPreset(): void {
  applyPresetToStore(QUICK_DEMO_PRESET);
  useGeometryStore.getState().patch({ every: QUICK_DEMO_PROBE_EVERY, source: 'run', step: null });
}

/**
 * Has the engine build and warm the quick demo's model while the user reads the Start panel, so that the click
 * starts on warm sessions and with the untrained model's probe measured (src/engine/prepareRun.ts). Changes no
 * setting: the configuration the click would apply is computed, not stored; the probe is the Subspaces panel's.
 */
export async function prepareQuickDemo({ prepareRun }: FineTuneCommands): Promise<void> {
  const config = applyPreset(useExperimentStore.getState().config, QUICK_DEMO_PRESET);
  return prepareRun(config, useGeometryStore.getState().settings);
}

/** Opens a panel; the Subspaces panel opens on the active run (what the demo just changed). */
export function openPanel(panel: PanelId): void {
  if (panel === 'subspaces') useGeometryStore.getState().patch({ source: 'run', step: null });
  useUiStore.getState().setPanel(panel);
}
