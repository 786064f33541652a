/**
 * Pixels → RGBA for the playground's canvases: the image itself, the perturbation δ in a diverging map (blue < 0 <
 * red, amplified so the largest |δ| reaches the ends), and |δ| per pixel in a sequential map. Arrays are [C, H, W].
 */

type Stop = [number, number, number, number];

/** Diverging blue–white–red (ColorBrewer RdBu, reversed). */
export const DIVERGING: Stop[] = [
  [0, 33, 102, 172], [0.25, 103, 169, 207], [0.5, 247, 247, 247], [0.75, 239, 138, 98], [1, 178, 24, 43],
];

/** Sequential black–purple–orange–yellow (inferno-like). */
export const SEQUENTIAL: Stop[] = [
  [0, 0, 0, 4], [0.25, 87, 16, 110], [0.5, 188, 55, 84], [0.75, 249, 142, 9], [1, 252, 255, 164],
];

export function colorAt(map: Stop[], t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0));
  let i = 1;
  while (i < map.length - 1 && map[i][0] < x) i++;
  const [t0, r0, g0, b0] = map[i - 1], [t1, r1, g1, b1] = map[i];
  const f = t1 > t0 ? (x - t0) / (t1 - t0) : 0;
  return [r0 + f * (r1 - r0), g0 + f * (g1 - g0), b0 + f * (b1 - b0)].map(Math.round) as [number, number, number];
}

export function gradientCss(map: Stop[]): string {
  return `linear-gradient(to right, ${map.map(([t, r, g, b]) => `rgb(${r} ${g} ${b}) ${t * 100}%`).join(', ')})`;
}

/** The image: grey or RGB planes in [0, 1] → RGBA bytes. */
export function imageRgba(x: ArrayLike<number>, dims: readonly number[]): Uint8ClampedArray {
  const [C, H, W] = dims, plane = H * W, out = new Uint8ClampedArray(plane * 4);
  for (let i = 0; i < plane; i++) {
    out[4 * i] = Math.round(255 * x[i]);
    out[4 * i + 1] = Math.round(255 * x[C === 3 ? plane + i : i]);
    out[4 * i + 2] = Math.round(255 * x[C === 3 ? 2 * plane + i : i]);
    out[4 * i + 3] = 255;
  }
  return out;
}

/** δ per pixel (mean over channels) and |δ| per pixel (max over channels). */
export function perturbation(adv: ArrayLike<number>, clean: ArrayLike<number>, dims: readonly number[]): { signed: Float32Array; abs: Float32Array; maxAbs: number } {
  const [C, H, W] = dims, plane = H * W;
  const signed = new Float32Array(plane), abs = new Float32Array(plane);
  let maxAbs = 0;
  for (let i = 0; i < plane; i++) {
    let s = 0, m = 0;
    for (let c = 0; c < C; c++) {
      const d = adv[c * plane + i] - clean[c * plane + i];
      s += d;
      m = Math.max(m, Math.abs(d));
    }
    signed[i] = s / C;
    abs[i] = m;
    maxAbs = Math.max(maxAbs, m);
  }
  return { signed, abs, maxAbs };
}

/** Values → RGBA through a colour map, value v at t = (v − lo) / (hi − lo). */
export function mapRgba(values: ArrayLike<number>, map: Stop[], lo: number, hi: number): Uint8ClampedArray {
  const out = new Uint8ClampedArray(values.length * 4), span = hi - lo || 1;
  for (let i = 0; i < values.length; i++) {
    const [r, g, b] = colorAt(map, (values[i] - lo) / span);
    out[4 * i] = r;
    out[4 * i + 1] = g;
    out[4 * i + 2] = b;
    out[4 * i + 3] = 255;
  }
  return out;
}

/** A value in 1/255 units for captions: "3/255", "0.42/255". */
export function per255(v: number): string {
  return `${Number((v * 255).toFixed(2))}/255`;
}

/** "12.5%". */
export function pct(p: number, digits = 1): string {
  return `${(100 * p).toFixed(digits)}%`;
}
