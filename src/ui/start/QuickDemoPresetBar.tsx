/**
 * One line for the Fine-tune panel: the quick-demo preset of the guided start, applied with one click (the settings
 * below change to it; nothing starts until Start new run).
 */
import { useState } from 'react';
import { QUICK_DEMO_PRESET, QUICK_DEMO_PROBE_EVERY } from '../../experiment';
import { applyQuickDemoPreset } from './actions';

export function QuickDemoPresetBar({ disabled }: { disabled: boolean }) {
  const [applied, setApplied] = useState(false);
  return (
    <p className="hint-block" data-testid="ft-preset-bar">
      <button type="button" disabled={disabled} data-testid="ft-preset-quick-demo" onClick={() => { applyQuickDemoPreset(); setApplied(true); }}
        title={`${QUICK_DEMO_PRESET.settings.length} settings of the experiment; the Subspaces probe every ${QUICK_DEMO_PROBE_EVERY} steps`}>
        Use the quick demo preset
      </button>{' '}
      {applied ? 'Applied: the settings below are the quick demo’s; start the run when ready.' : `${QUICK_DEMO_PRESET.summary} The Subspaces panel shows its angles move.`}
    </p>
  );
}
