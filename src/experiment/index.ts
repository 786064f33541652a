/** Experiment configuration: spec, validation, shareable links, JSON files, versions. React-free (see README.md). */
export * from './spec';
export * from './config';
export * from './url';
export * from './untrusted';
export * from './versions';
export * from './link';
export * from './json';
export * from './panelLink';
export * from './presets';
export * from './resultsLink';
