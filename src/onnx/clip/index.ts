/**
 * CLIP graph builder: transformers.js-layout CLIP towers and model folders from a config and HF-named weights.
 * Browser-safe; `./node` adds writing folders to disk.
 */
export * from './config';
export * from './weights';
export * from './build';
export * from './reference';
export * from './folder';
export * from './safetensors';
