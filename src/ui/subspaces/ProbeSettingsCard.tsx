/** The probe the subspace panels measure: classes, views, the image and prompt attacks, how often runs measure it. */
import { useEffect } from 'react';
import { useExperimentStore } from '../../state/experiment';
import { useGeometryStore } from '../../state/geometry';
import { useResourceStore } from '../../state/resources';
import { classColor } from './canvas';
import { usePage } from '../pageContext';

function Num({ label, value, min, max, step = 1, scale = 1, suffix, onChange, testId, hint }: {
  label: string; value: number; min: number; max: number; step?: number; scale?: number; suffix?: string; hint?: string;
  onChange: (v: number) => void; testId?: string;
}) {
  return (
    <label className="ss-num" title={hint}>
      <span>{label}</span>
      <input
        type="number" min={min} max={max} step={step} value={Number((value * scale).toFixed(4))} data-testid={testId}
        onChange={(e) => {
          const v = Number(e.target.value);
          if (Number.isFinite(v) && v >= min && v <= max) onChange(v / scale);
        }}
      />
      {suffix && <span className="muted">{suffix}</span>}
    </label>
  );
}

export function ProbeSettingsCard({ busy }: { busy: boolean }) {
  const { ensureManifest } = usePage().data;
  const settings = useGeometryStore((s) => s.settings);
  const every = useGeometryStore((s) => s.every);
  const set = useGeometryStore((s) => s.setSettings);
  const datasetId = useExperimentStore((s) => s.config.data.dataset);
  const manifest = useResourceStore((s) => s.manifest.value);
  useEffect(() => { void ensureManifest(); }, []);
  const classes = manifest?.datasets.find((d) => d.id === datasetId)?.classes ?? [];
  const toggle = (c: number) => {
    const has = settings.classes.includes(c);
    const next = has ? settings.classes.filter((x) => x !== c) : [...settings.classes, c].sort((a, b) => a - b);
    if (next.length >= 1 && next.length <= 6) set({ classes: next });
  };
  const G = settings.templates * settings.synonyms;
  return (
    <section className="card" data-testid="probe-settings">
      <div className="card-head">
        <h3>Probe</h3>
        <span className="muted small">the fixed inputs every measurement uses: the same images, views, prompts and attack start, so steps compare</span>
      </div>
      <div className="ss-probe-classes" role="group" aria-label="probe classes">
        <span className="muted small">classes (1–6; the first training image of each):</span>
        {classes.map((name, c) => (
          <button
            key={c} type="button" className={`ss-class-chip ${settings.classes.includes(c) ? 'on' : ''}`} disabled={busy}
            aria-pressed={settings.classes.includes(c)} onClick={() => toggle(c)} style={{ ['--cc' as string]: classColor(c) }}
          >
            {name}
          </button>
        ))}
      </div>
      <div className="ss-probe-fields">
        <Num label="views per image" value={settings.views} min={1} max={16} onChange={(v) => set({ views: Math.round(v) })} hint="the image + augmentations (the clean group)" testId="probe-views" />
        <Num label="text group" value={settings.templates} min={1} max={10} onChange={(v) => set({ templates: Math.round(v) })} suffix={`templates × ${settings.synonyms} synonyms = ${G} prompts`} testId="probe-templates" />
        <Num label="image attack ε" value={settings.eps} min={0} max={64} step={0.5} scale={255} suffix="/255 L∞" onChange={(v) => set({ eps: v, alpha: Math.max(v / 2, 0.5 / 255) })} testId="probe-eps" />
        <Num label="PGD steps" value={settings.steps} min={0} max={20} onChange={(v) => set({ steps: Math.round(v) })} />
        <Num label="prompt attack ε" value={settings.textEps} min={0} max={1} step={0.05} scale={100} suffix="% of the token-embedding norm" onChange={(v) => set({ textEps: v })} />
        <Num label="prompt PGD steps" value={settings.textSteps} min={0} max={10} onChange={(v) => set({ textSteps: Math.round(v) })} />
        <Num label="runs measure every" value={every} min={0} max={1000} suffix="steps (0: never; for runs started after the change)" onChange={(v) => useGeometryStore.getState().patch({ every: Math.round(v) })} testId="probe-every" />
      </div>
    </section>
  );
}
