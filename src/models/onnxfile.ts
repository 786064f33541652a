/**
 * Decoding a downloaded ONNX file with a clear message for what usually goes wrong: an HTML page or a JSON error
 * instead of the file (a wrong URL), a Git LFS pointer (a raw GitHub / git clone without LFS), an incomplete
 * download, weights in external data files, or bytes that are not a protobuf ModelProto at all.
 */
import type { Model } from '../onnx/ir';
import { decodeModel } from '../onnx/proto';
import { ModelLoadError } from './errors';
import { formatBytes } from './source';

const text = new TextDecoder('utf-8', { fatal: false });

function preview(bytes: Uint8Array): string {
  return JSON.stringify(text.decode(bytes.subarray(0, 80)).replace(/\s+/g, ' ').trim());
}

/** ModelProto starts with ir_version (field 1, varint: tag 0x08) in every exporter's output. */
function looksLikeModelProto(bytes: Uint8Array): boolean {
  return bytes.length > 1 && bytes[0] === 0x08 && bytes[1] > 0 && bytes[1] < 32;
}

/** Decodes ONNX bytes or throws ModelLoadError ('not-onnx', 'truncated', 'external-data') naming the file. */
export function decodeOnnxFile(bytes: Uint8Array, file: string): Model {
  if (bytes.length === 0) throw new ModelLoadError('not-onnx', `${file} is empty (0 bytes), not an ONNX model`, file);
  const head = text.decode(bytes.subarray(0, 64)).trimStart();
  if (head.startsWith('version https://git-lfs')) {
    throw new ModelLoadError('not-onnx', `${file} is a Git LFS pointer (${bytes.length} B), not the model: fetch the LFS object (on the hub, use a /resolve/<revision>/ URL)`, file);
  }
  if (head.startsWith('<')) {
    throw new ModelLoadError('not-onnx', `${file} is an HTML/XML page, not an ONNX model (the URL points to a web page, not the raw file?): ${preview(bytes)}`, file);
  }
  if (head.startsWith('{') || head.startsWith('[')) {
    throw new ModelLoadError('not-onnx', `${file} is JSON text, not an ONNX model: ${preview(bytes)}`, file);
  }
  let model: Model;
  try {
    model = decodeModel(bytes);
  } catch (e) {
    const msg = String((e as Error)?.message ?? e);
    if (/externally|external data/i.test(msg)) throw new ModelLoadError('external-data', `${file}: ${msg}`, file);
    if (looksLikeModelProto(bytes) && /index out of range|out of range/i.test(msg)) {
      throw new ModelLoadError('truncated', `${file} is truncated: it starts like an ONNX model but ends inside a record after ${bytes.length < 1024 ? `${bytes.length} B` : `${formatBytes(bytes.length)} (${bytes.length} B)`}; the file is incomplete (re-download it)`, file);
    }
    throw new ModelLoadError('not-onnx', `${file} is not an ONNX model (${formatBytes(bytes.length)}; the protobuf decoder says: ${msg})`, file);
  }
  const g = model.graph;
  if (g.nodes.length === 0 || g.outputs.length === 0) {
    throw new ModelLoadError(looksLikeModelProto(bytes) ? 'truncated' : 'not-onnx',
      `${file} ${looksLikeModelProto(bytes) ? 'is truncated or empty' : 'is not an ONNX model'}: its graph has ${g.nodes.length} nodes and ${g.outputs.length} outputs`, file);
  }
  if (model.opsetImport.length === 0) {
    // Exporters write the graph (field 7) before opset_import (field 8): a cut exactly between them decodes cleanly.
    throw new ModelLoadError('truncated', `${file} has no opset_import: the file is truncated (it ends after the graph) or malformed`, file);
  }
  return model;
}
