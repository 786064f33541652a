/**
 * Grayscale resampling with a triangle (bilinear) filter that widens when downscaling (antialiased, like PIL's
 * BILINEAR), pixel centres aligned (align_corners = false), edges clamped by renormalising the weights.
 */

interface Taps { start: Int32Array; len: Int32Array; w: Float64Array; stride: number }

function taps(inSize: number, outSize: number): Taps {
  const scale = inSize / outSize;
  const support = Math.max(scale, 1);
  const stride = Math.ceil(2 * support) + 2;
  const start = new Int32Array(outSize), len = new Int32Array(outSize), w = new Float64Array(outSize * stride);
  for (let i = 0; i < outSize; i++) {
    const c = (i + 0.5) * scale;
    const lo = Math.max(0, Math.floor(c - support)), hi = Math.min(inSize, Math.ceil(c + support));
    let sum = 0, n = 0;
    for (let j = lo; j < hi && n < stride; j++, n++) {
      const v = Math.max(0, 1 - Math.abs((j + 0.5 - c) / support));
      w[i * stride + n] = v;
      sum += v;
    }
    for (let k = 0; k < n; k++) w[i * stride + k] /= sum || 1;
    start[i] = lo;
    len[i] = n;
  }
  return { start, len, w, stride };
}

/** Resizes one [h, w] grayscale image to [oh, ow]; returns float64 values on the input's scale. */
export function resizeGray(src: ArrayLike<number>, h: number, w: number, oh: number, ow: number): Float64Array {
  const tx = taps(w, ow), ty = taps(h, oh);
  const tmp = new Float64Array(h * ow);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < ow; x++) {
      let s = 0;
      for (let k = 0; k < tx.len[x]; k++) s += tx.w[x * tx.stride + k] * src[y * w + tx.start[x] + k];
      tmp[y * ow + x] = s;
    }
  }
  const out = new Float64Array(oh * ow);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      let s = 0;
      for (let k = 0; k < ty.len[y]; k++) s += ty.w[y * ty.stride + k] * tmp[(ty.start[y] + k) * ow + x];
      out[y * ow + x] = s;
    }
  }
  return out;
}

/** Rounds and clamps to uint8. */
export function toUint8(values: ArrayLike<number>, scale = 1): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = Math.min(255, Math.max(0, Math.round(values[i] * scale)));
  return out;
}
