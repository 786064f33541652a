/** A grid of small dataset images (uint8 [N, C, H, W]) drawn on canvases, each captioned with its label. */
import { memo, useEffect, useRef } from 'react';
import type { ImageDataset } from '../../data/bundle';

const ImageTile = memo(function ImageTile({ ds, index }: { ds: ImageDataset; index: number }) {
  const ref = useRef<HTMLCanvasElement>(null);
  const { height: h, width: w, channels: c } = ds;
  useEffect(() => {
    const ctx = ref.current?.getContext('2d');
    if (!ctx) return;
    const img = ctx.createImageData(w, h);
    const base = index * c * h * w, plane = h * w;
    for (let p = 0; p < plane; p++) {
      const r = ds.images[base + p];
      img.data[4 * p] = r;
      img.data[4 * p + 1] = c === 3 ? ds.images[base + plane + p] : r;
      img.data[4 * p + 2] = c === 3 ? ds.images[base + 2 * plane + p] : r;
      img.data[4 * p + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
  }, [ds, index, h, w, c]);
  const label = ds.classes[ds.labels[index]];
  return (
    <figure className="tile" title={`#${index}: ${label}`}>
      <canvas ref={ref} width={w} height={h} aria-label={`image ${index}, ${label}`} />
      <figcaption>{label}</figcaption>
    </figure>
  );
});

export function ImageGrid({ ds, indices, testId }: { ds: ImageDataset; indices: number[]; testId?: string }) {
  return (
    <div className="image-grid" data-testid={testId}>
      {indices.map((i) => <ImageTile key={i} ds={ds} index={i} />)}
    </div>
  );
}
