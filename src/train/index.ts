/** Contrastive CLIP training engine (host-independent; Node-only helpers in *.node.ts). */
export * from './loss';
export * from './schedule';
export * from './trainer';
export * from './data';
export * from './zeroshot';
export * from './checkpoint';
