/**
 * The ONNX files of a transformers.js model folder and their precision variants:
 *
 *   onnx/vision_model.onnx  onnx/text_model.onnx   (fp32)      onnx/model.onnx            (both towers, fp32)
 *   onnx/vision_model_fp16.onnx …                  (fp16)      onnx/model_fp16.onnx …
 *   onnx/vision_model_quantized.onnx …             (q8: 8-bit dynamic quantisation, as transformers.js names it)
 *   onnx/vision_model_int8.onnx / _uint8.onnx      (8-bit with int8 / uint8 weights)
 *
 * 4-bit variants (_q4, _q4f16, _bnb4) use MatMulNBits, a contrib op: recognised and reported, never loaded.
 */
import { ModelLoadError } from './errors';
import type { ModelSource } from './source';

export type Precision = 'fp32' | 'fp16' | 'q8' | 'int8' | 'uint8';
export type Layout = 'towers' | 'combined';

export const PRECISION_SUFFIX: Readonly<Record<Precision, string>> = { fp32: '', fp16: '_fp16', q8: '_quantized', int8: '_int8', uint8: '_uint8' };
/** The order 'auto' tries: full precision first, then the smallest conversions. */
export const PRECISIONS: readonly Precision[] = ['fp32', 'fp16', 'q8', 'int8', 'uint8'];
const UNSUPPORTED_SUFFIXES = ['_q4', '_q4f16', '_bnb4'];

export function towerFile(tower: 'vision' | 'text', p: Precision): string {
  return `onnx/${tower}_model${PRECISION_SUFFIX[p]}.onnx`;
}

export function combinedFile(p: Precision): string {
  return `onnx/model${PRECISION_SUFFIX[p]}.onnx`;
}

export interface Variant {
  precision: Precision;
  layout: Layout;
  /** The ONNX files: vision + text, or the combined model. */
  files: string[];
  /** Their sizes in bytes (null: unknown before download). */
  sizes: Record<string, number | null>;
  /** Sum of the sizes; null when any is unknown. */
  bytes: number | null;
}

export interface VariantListing {
  variants: Variant[];
  /** Files present that the loader recognises but cannot load (4-bit), with the reason. */
  unsupported: { file: string; reason: string }[];
  /** A precision with only one tower file (and no combined model): named so the message can say so. */
  incomplete: { precision: Precision; present: string; missing: string }[];
}

function sum(sizes: Record<string, number | null>): number | null {
  let s = 0;
  for (const v of Object.values(sizes)) {
    if (v === null) return null;
    s += v;
  }
  return s;
}

/**
 * The variants a source has for the given precisions (default all). Listing sources answer from their listing;
 * URL sources are probed with HEAD requests (two or three per precision, in parallel).
 */
export async function listVariants(source: ModelSource, precisions: readonly Precision[] = PRECISIONS, signal?: AbortSignal): Promise<VariantListing> {
  const listed = await source.list();
  const stat = async (name: string): Promise<number | null | undefined> => {
    const s = await source.stat(name, signal);
    return s === null ? undefined : s.size;
  };
  const out: VariantListing = { variants: [], unsupported: [], incomplete: [] };
  const perPrecision = await Promise.all(precisions.map(async (p) => {
    const [v, t] = await Promise.all([stat(towerFile('vision', p)), stat(towerFile('text', p))]);
    if (v !== undefined && t !== undefined) {
      const sizes = { [towerFile('vision', p)]: v, [towerFile('text', p)]: t };
      return { variant: { precision: p, layout: 'towers' as const, files: Object.keys(sizes), sizes, bytes: sum(sizes) } };
    }
    const c = await stat(combinedFile(p));
    if (c !== undefined) {
      const sizes = { [combinedFile(p)]: c };
      return { variant: { precision: p, layout: 'combined' as const, files: Object.keys(sizes), sizes, bytes: c } };
    }
    if (v !== undefined || t !== undefined) {
      const [present, missing] = v !== undefined ? [towerFile('vision', p), towerFile('text', p)] : [towerFile('text', p), towerFile('vision', p)];
      return { incomplete: { precision: p, present, missing } };
    }
    return {};
  }));
  for (const r of perPrecision) {
    if (r.variant) out.variants.push(r.variant);
    if (r.incomplete) out.incomplete.push(r.incomplete);
  }
  if (listed) {
    for (const name of listed) {
      const m = /(?:^|\/)(vision_model|text_model|model)(_q4f16|_q4|_bnb4)\.onnx$/.exec(name);
      if (m && UNSUPPORTED_SUFFIXES.includes(m[2])) out.unsupported.push({ file: name, reason: '4-bit weights (MatMulNBits) cannot be dequantised by the loader' });
    }
  }
  return out;
}

/** The variant to load: the requested precision, or the first of PRECISIONS present for 'auto'. */
export function chooseVariant(listing: VariantListing, precision: Precision | 'auto', sourceLabel: string): Variant {
  const found = listing.variants.map((v) => `${v.precision} (${v.files.join(' + ')})`).join(', ') || 'none';
  if (precision === 'auto') {
    for (const p of PRECISIONS) {
      const v = listing.variants.find((x) => x.precision === p);
      if (v) return v;
    }
  } else {
    const v = listing.variants.find((x) => x.precision === precision);
    if (v) return v;
  }
  const want = precision === 'auto'
    ? `any of ${PRECISIONS.map((p) => `${towerFile('vision', p)} + ${towerFile('text', p)}`).slice(0, 2).join(', ')}, … or ${combinedFile('fp32')}`
    : `${towerFile('vision', precision)} + ${towerFile('text', precision)} or ${combinedFile(precision)}`;
  const inc = listing.incomplete.map((i) => `; ${i.present} is there but ${i.missing} is missing`).join('');
  const uns = listing.unsupported.length ? `; found only unsupported ${listing.unsupported.map((u) => u.file).join(', ')} (${listing.unsupported[0].reason})` : '';
  throw new ModelLoadError('missing-file', `${sourceLabel}: no ONNX model for precision '${precision}': expected ${want}${inc}${uns}. Variants present: ${found}`);
}
