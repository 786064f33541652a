/** Loading CLIP model folders (transformers.js layout) from URLs, local files or memory. See README.md. */
export * from './errors';
export * from './source';
export * from './variants';
export * from './convert';
export * from './towers';
export * from './onnxfile';
export * from './sha256';
export * from './load';
export * from './cache';
