/** Errors of the model loader: one class, a machine-readable `code`, and a message that says what to do. */

export type ModelLoadErrorCode =
  /** A URL that is not https (plain http only for 127.0.0.1 / localhost / [::1]), or not a URL at all. */
  | 'insecure-url'
  /** A shared link names the model but no `confirm` callback was given. */
  | 'confirm-required'
  /** The `confirm` callback said no. */
  | 'refused'
  /** The files (or one file) exceed `maxBytes`. */
  | 'too-large'
  /** A required file is absent (e.g. tokenizer.json, or no ONNX variant of the requested precision). */
  | 'missing-file'
  /** An HTTP status other than 2xx / 404, or a network failure. */
  | 'http'
  /** The file ends early: an incomplete download or a cut copy. */
  | 'truncated'
  /** The bytes are not an ONNX model (an HTML page, JSON, a Git LFS pointer, random bytes…). */
  | 'not-onnx'
  /** ONNX, but with weights in external data files (not supported). */
  | 'external-data'
  /** ONNX, but the inputs / outputs are not the ones the loader expects. */
  | 'wrong-names'
  /** Ops the autodiff has no rule for (the workbench could not compute gradients). */
  | 'undifferentiable'
  /** A quantised graph in a form the loader cannot turn back into float32. */
  | 'quantization'
  /** A broken graph (cycle, dangling input, impossible shape or size): refused up front, naming the node. */
  | 'invalid-graph'
  /** The combined model.onnx cannot be split into a vision and a text tower. */
  | 'combined-split'
  /** A model .zip that breaks a limit or its manifest (too many entries, a bomb, a path outside the folder, a sha256). */
  | 'bad-archive'
  /** The caller aborted (AbortSignal). */
  | 'aborted';

export class ModelLoadError extends Error {
  constructor(readonly code: ModelLoadErrorCode, message: string, readonly file?: string) {
    super(message);
    this.name = 'ModelLoadError';
  }
}
