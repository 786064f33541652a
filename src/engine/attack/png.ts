/** The kept adversarial image as a PNG file (encoded in the engine Worker; the page saves it). */
import { useExperimentStore } from '../../state/experiment';
import { store } from './state';

/** The adversarial image as PNG: the verified 8-bit bytes, through a canvas (grey → R = G = B, alpha 255). */
export async function adversarialPng(): Promise<{ blob: Blob; name: string } | null> {
  const s = store(), r = s.single.result, img = s.image;
  if (!r || !img) return null;
  const [C, H, W] = img.dims;
  const canvas = new OffscreenCanvas(W, H);
  const g = canvas.getContext('2d');
  if (!g) throw new Error('no 2D canvas');
  const data = g.createImageData(W, H);
  const plane = H * W;
  for (let i = 0; i < plane; i++) {
    data.data[4 * i] = r.bytes[i];
    data.data[4 * i + 1] = r.bytes[C === 3 ? plane + i : i];
    data.data[4 * i + 2] = r.bytes[C === 3 ? 2 * plane + i : i];
    data.data[4 * i + 3] = 255;
  }
  g.putImageData(data, 0, 0);
  const blob = await canvas.convertToBlob({ type: 'image/png' });
  const attack = useExperimentStore.getState().config.attack;
  const base = img.origin === 'dataset' ? `${img.datasetId}-test-${img.index}` : img.name.replace(/\.[^.]*$/, '').replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 40) || 'image';
  return { blob, name: `${base}-${attack.type}-eps${Number((s.single.eps * 255).toFixed(2))}.png` };
}
