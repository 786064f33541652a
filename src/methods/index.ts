/** Robust fine-tuning methods (TeCoA, PMG-AFT, FARE, AoS) on one shared loop; see README.md. */
export * from './config';
export * from './math';
export * from './optim';
export * from './model';
export * from './attack';
export * from './data';
export * from './text';
export * from './method';
export * from './tecoa';
export * from './pmgAft';
export * from './fare';
export * from './aos';
export * from './loop';
export * from './load';
export * from './geometry';
