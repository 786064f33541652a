/**
 * One experiment setting as an input, derived from its spec (type, range, label, help): numbers, choices,
 * switches, text. Writes go through the experiment store's field check; a refused value stays in the input,
 * marked, with the reason.
 */
import { useEffect, useId, useState } from 'react';
import { experimentSpec, rangeText, specAt, valueAt, type LeafSpec } from '../../experiment';
import { useExperimentStore } from '../../state/experiment';
import { fmtNum } from '../format';

/** Budgets in pixel scale (0…1 images) are edited in units of 1/255, the way papers quote them. */
/** A refused value's reason in the units the user typed (1/255 for per-255 budgets, not the pixel scale). */
function inTypedUnits(problem: string, typed: string, spec: Extract<LeafSpec, { kind: 'number' | 'nullable-int' }>, scale: number): string {
  const v = Number(typed);
  if (scale === 1 || !Number.isFinite(v) || !/outside the allowed range/.test(problem)) return problem;
  return `${typed}/255 is outside the allowed range ${+(spec.min * scale).toPrecision(6)}…${+(spec.max * scale).toPrecision(6)} (in 1/255)`;
}

/** Writes a field and records whether its typed value was refused (see the store's `invalid`). */
function useFieldWriter(path: string): (v: unknown, describe?: (problem: string) => string) => string | null {
  const setField = useExperimentStore((s) => s.setField);
  const markInvalid = useExperimentStore((s) => s.markInvalid);
  useEffect(() => () => markInvalid(path, null), [path, markInvalid]);
  return (v, describe) => {
    const raw = setField(path, v);
    const problem = raw && describe ? describe(raw) : raw;
    markInvalid(path, problem);
    return problem;
  };
}

function NumberInput({ path, spec, value, id }: { path: string; spec: Extract<LeafSpec, { kind: 'number' | 'nullable-int' }>; value: number | null; id: string }) {
  const write = useFieldWriter(path);
  const markInvalid = useExperimentStore((s) => s.markInvalid);
  const scale = spec.kind === 'number' && spec.per255 ? 255 : 1;
  const show = (v: number | null): string => (v === null ? '' : String(Number((v * scale).toPrecision(12))));
  const [text, setText] = useState(show(value));
  const [error, setError] = useState<string | null>(null);
  // An outside change (import, reset) replaces what is typed; an equal value keeps the user's spelling.
  useEffect(() => {
    setText((t) => (t.trim() !== '' && value !== null && Number(t) / scale === value ? t : show(value)));
    setError(null);
    markInvalid(path, null);
  }, [value]);
  const commit = (t: string) => {
    setText(t);
    const v = spec.kind === 'nullable-int' && t.trim() === '' ? null : t.trim() === '' ? NaN : Number(t) / scale;
    setError(write(v !== null && Number.isNaN(v) ? t : v, (p) => inTypedUnits(p, t.trim(), spec, scale)));
  };
  const step = scale !== 1 ? 'any' : spec.kind === 'number' ? spec.step ?? (spec.integer ? 1 : 'any') : 1;
  return (
    <>
      <input
        id={id} type="number" inputMode="decimal" value={text} min={spec.min * scale} max={spec.max * scale} step={step}
        placeholder={spec.kind === 'nullable-int' ? spec.nullName : undefined}
        aria-invalid={error ? true : undefined} onChange={(e) => commit(e.target.value)}
      />
      {scale !== 1 && value !== null && <span className="hint">/255 = {fmtNum(value)}</span>}
      {error && <span className="field-error" role="alert">{error}</span>}
    </>
  );
}

function TextInput({ path, spec, value, id }: { path: string; spec: Extract<LeafSpec, { kind: 'string' }>; value: string; id: string }) {
  const write = useFieldWriter(path);
  const markInvalid = useExperimentStore((s) => s.markInvalid);
  const [text, setText] = useState(value);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => { setText(value); setError(null); markInvalid(path, null); }, [value, path, markInvalid]);
  return (
    <>
      <input
        id={id} type="text" value={text} maxLength={spec.maxLength} placeholder={spec.placeholder} spellCheck={false}
        aria-invalid={error ? true : undefined}
        onChange={(e) => { setText(e.target.value); setError(write(e.target.value)); }}
      />
      {error && <span className="field-error" role="alert">{error}</span>}
    </>
  );
}

export function SpecField({ path, label }: { path: string; label?: string }) {
  const id = useId();
  const value = useExperimentStore((s) => valueAt(s.config, path));
  const setField = useExperimentStore((s) => s.setField);
  const spec = specAt(experimentSpec, path);
  if (!spec || spec.kind === 'object') return <p className="error">unknown setting {path}</p>;
  const title = [spec.help, spec.kind === 'number' || spec.kind === 'nullable-int' ? `range ${rangeText(spec)}` : null].filter(Boolean).join(' · ');
  let input: React.ReactNode;
  switch (spec.kind) {
    case 'enum':
      input = (
        <select id={id} value={value as string} onChange={(e) => setField(path, e.target.value)}>
          {spec.values.map((v) => <option key={v} value={v}>{spec.names?.[v] ?? v}</option>)}
        </select>
      );
      break;
    case 'bool':
      input = <input id={id} type="checkbox" checked={value as boolean} onChange={(e) => setField(path, e.target.checked)} />;
      break;
    case 'string':
      input = <TextInput path={path} spec={spec} value={value as string} id={id} />;
      break;
    default:
      input = <NumberInput path={path} spec={spec} value={value as number | null} id={id} />;
  }
  return (
    <div className={`field field-${spec.kind}`} data-path={path}>
      <label htmlFor={id} title={title || undefined}>{label ?? spec.label}</label>
      <div className="field-input">{input}</div>
    </div>
  );
}

/** A titled group of settings. */
export function FieldGroup({ title, paths, children }: { title: string; paths: string[]; children?: React.ReactNode }) {
  return (
    <fieldset className="field-group">
      <legend>{title}</legend>
      {paths.map((p) => <SpecField key={p} path={p} />)}
      {children}
    </fieldset>
  );
}
