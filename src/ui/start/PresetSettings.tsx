/**
 * A preset's settings as the guided start lists them: each setting's label (from the experiment spec, as the panels
 * name it), its value as the panels show it, and why the preset chose it.
 */
import { experimentSpec, specAt, type ExperimentPreset } from '../../experiment';

/** A setting's value in the words the panels use (k/255 budgets, enum display names, "untargeted"). */
export function presetValueText(path: string, value: unknown): string {
  const spec = specAt(experimentSpec, path);
  if (!spec || spec.kind === 'object') return String(value);
  if (spec.kind === 'number' && spec.per255 && typeof value === 'number') return `${Number((value * 255).toFixed(2))}/255`;
  if (spec.kind === 'enum') return spec.names?.[String(value)] ?? String(value);
  if (spec.kind === 'nullable-int' && value === null) return spec.nullName;
  return String(value);
}

export function PresetSettings({ preset, testId }: { preset: ExperimentPreset; testId: string }) {
  return (
    <details className="start-settings" data-testid={testId}>
      <summary>The {preset.settings.length} settings it uses, and why</summary>
      <dl className="start-kv">
        {preset.settings.map((s) => {
          const spec = specAt(experimentSpec, s.path);
          return (
            <div key={s.path} className="start-setting">
              <dt>{spec?.label ?? s.path} = <b>{presetValueText(s.path, s.value)}</b></dt>
              <dd className="muted small">{s.why}</dd>
            </div>
          );
        })}
      </dl>
    </details>
  );
}
