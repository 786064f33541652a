/** Adversarial attacks on pixels of a frozen CLIP vision tower, batched on the GPU (see attack.ts). */
export * from './attack';
export * from './graph';
export * from './kernels';
export * from './masking';
export * from './model';
export * from './objective';
export * from './protocol';
