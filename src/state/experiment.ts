/**
 * The experiment configuration being edited (serialisable: it is exactly what a shareable link or an exported file
 * carries). Every write goes through the spec's field check, so the store only ever holds a valid configuration.
 */
import { create } from 'zustand';
import {
  defaultConfig, experimentSpec, leafProblem, specAt, validateConfig, withValueAt, type ExperimentConfig,
} from '../experiment';

export interface ExperimentState {
  config: ExperimentConfig;
  /** Sets one field by dotted path; returns why the value was refused (the config is then unchanged), or null. */
  setField: (path: string, value: unknown) => string | null;
  /** Replaces the whole configuration (validated again; an invalid one is refused with the first problem). */
  setConfig: (config: ExperimentConfig) => string | null;
  resetConfig: () => void;
  /**
   * Fields whose typed value was refused (path → why), while the input still shows it: the config keeps its last
   * valid value, so anything that would run with the settings (Run attack, Start run) waits until they are fixed.
   */
  invalid: Record<string, string>;
  markInvalid: (path: string, problem: string | null) => void;
}

export const useExperimentStore = create<ExperimentState>()((set, get) => ({
  config: defaultConfig(),
  setField: (path, value) => {
    const spec = specAt(experimentSpec, path);
    if (!spec || spec.kind === 'object') return `no setting ${path}`;
    const problem = leafProblem(spec, value);
    if (problem) return problem;
    const next = withValueAt(get().config, path, value);
    const { issues } = validateConfig(next);
    if (issues.length) return `${issues[0].path}: ${issues[0].problem}`;
    set({ config: next });
    return null;
  },
  setConfig: (config) => {
    const { issues } = validateConfig(config);
    if (issues.length) return `${issues[0].path}: ${issues[0].problem}`;
    set({ config, invalid: {} });
    return null;
  },
  resetConfig: () => set({ config: defaultConfig(), invalid: {} }),
  invalid: {},
  markInvalid: (path, problem) => set((s) => {
    if ((s.invalid[path] ?? null) === problem) return {};
    const invalid = { ...s.invalid };
    if (problem === null) delete invalid[path];
    else invalid[path] = problem;
    return { invalid };
  }),
}));

/** The refused fields under any of `prefixes` (e.g. 'attack.'), as "label: why" lines. */
export function invalidUnder(invalid: Record<string, string>, prefixes: readonly string[]): string[] {
  return Object.entries(invalid).filter(([p]) => prefixes.some((x) => p.startsWith(x))).map(([p, why]) => `${p}: ${why}`);
}
