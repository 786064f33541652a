/** Canvas helpers of the subspace panels: device-pixel setup, theme colours, class palette, angle colour map, ticks. */
import { useEffect, useRef } from 'react';
import { niceTicks } from '../ticks';

export interface Theme {
  ink: string;
  muted: string;
  line: string;
  panel: string;
  accent: string;
  bad: string;
}

export function theme(): Theme {
  const css = (name: string, fallback: string) => {
    if (typeof document === 'undefined') return fallback;
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
  };
  return {
    ink: css('--ink', '#1b1f24'), muted: css('--muted', '#5b6470'), line: css('--line', '#dfe3e8'),
    panel: css('--panel', '#ffffff'), accent: css('--accent', '#3b5bdb'), bad: css('--bad', '#cf222e'),
  };
}

/** Tableau-10: distinguishable class colours. */
export const CLASS_COLORS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
export const classColor = (c: number) => CLASS_COLORS[((c % CLASS_COLORS.length) + CLASS_COLORS.length) % CLASS_COLORS.length];

/** Viridis, 9 stops. */
const VIRIDIS = [[68, 1, 84], [71, 44, 122], [59, 81, 139], [44, 113, 142], [33, 144, 141], [39, 173, 129], [92, 200, 99], [170, 220, 50], [253, 231, 37]];

/** Colour of t in [0, 1] on viridis. */
export function viridis(t: number): string {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x)), f = x - i;
  const c = VIRIDIS[i].map((v, k) => Math.round(v + (VIRIDIS[i + 1][k] - v) * f));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

/** An angle (degrees, 0–90) on the colour map. */
export const angleColor = (deg: number) => viridis(deg / 90);

/**
 * A change in [-1, 1] on a diverging map: blue where angles shrank (the subspaces align), near-white at no change,
 * red where they grew.
 */
export function divergingColor(t: number): string {
  const x = Math.min(1, Math.max(-1, Number.isFinite(t) ? t : 0));
  const mid = [247, 247, 247], end = x < 0 ? [33, 102, 172] : [178, 24, 43], f = Math.abs(x);
  const c = mid.map((v, k) => Math.round(v + (end[k] - v) * f));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

/** About `count` round ticks within [lo, hi]. */
export const ticks = (lo: number, hi: number, count = 4): number[] => niceTicks(lo, hi, count, 'inside');

/**
 * A canvas drawn by `draw(ctx, width, height)` in CSS pixels, at the device pixel ratio, redrawn when `deps`
 * change or the theme changes. Returns the ref to attach.
 */
export function useCanvas(draw: (g: CanvasRenderingContext2D, w: number, h: number, t: Theme) => void, width: number, height: number, deps: unknown[]) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const paint = () => {
      const dpr = Math.max(1, Math.min(3, window.devicePixelRatio || 1));
      el.width = Math.round(width * dpr);
      el.height = Math.round(height * dpr);
      el.style.width = `${width}px`;
      el.style.height = `${height}px`;
      const g = el.getContext('2d');
      if (!g) return;
      g.setTransform(dpr, 0, 0, dpr, 0, 0);
      g.clearRect(0, 0, width, height);
      draw(g, width, height, theme());
    };
    paint();
    const mo = new MutationObserver(paint);
    mo.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
    return () => mo.disconnect();
  }, [width, height, ...deps]);
  return ref;
}

export const FONT = '11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
export const FONT_BOLD = '600 11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
