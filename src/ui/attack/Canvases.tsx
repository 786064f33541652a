/** Canvases of the playground: an RGBA image drawn at its own resolution (scaled up by CSS, pixelated), colour bars. */
import { memo, useEffect, useRef } from 'react';
import { gradientCss, imageRgba } from './draw';

export const RgbaCanvas = memo(function RgbaCanvas({ rgba, width, height, label, testId }: {
  rgba: Uint8ClampedArray; width: number; height: number; label: string; testId?: string;
}) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const g = ref.current?.getContext('2d');
    if (!g) return;
    const img = g.createImageData(width, height);
    img.data.set(rgba);
    g.putImageData(img, 0, 0);
  }, [rgba, width, height]);
  return <canvas ref={ref} width={width} height={height} role="img" aria-label={label} data-testid={testId} />;
});

/** [C, H, W] pixels in [0, 1]. */
export function PixelCanvas({ pixels, dims, label, testId }: { pixels: Float32Array; dims: readonly number[]; label: string; testId?: string }) {
  return <RgbaCanvas rgba={imageRgba(pixels, dims)} width={dims[2]} height={dims[1]} label={label} testId={testId} />;
}

export function ColorBar({ map, ticks }: { map: Parameters<typeof gradientCss>[0]; ticks: string[] }) {
  return (
    <div className="atk-colorbar">
      <div className="bar" style={{ background: gradientCss(map) }} />
      <div className="ticks">{ticks.map((t, i) => <span key={i}>{t}</span>)}</div>
    </div>
  );
}
