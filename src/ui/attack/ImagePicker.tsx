/** The image to attack: a test image of the bundled dataset (click one) or any image file (pick or drop). */
import { memo, useEffect, useMemo, useRef, useState } from 'react';
import type { ImageDataset } from '../../data/bundle';
import { useAttackStore } from '../../state/attack';
import { fmtInt } from '../format';
import { usePage } from '../pageContext';

const PAGE = 48;

const PickTile = memo(function PickTile({ ds, index, selected, tabbable }: { ds: ImageDataset; index: number; selected: boolean; tabbable: boolean }) {
  const { selectTestImage } = usePage().commands.attack;
  const ref = useRef<HTMLCanvasElement>(null);
  const { height: h, width: w, channels: c } = ds;
  useEffect(() => {
    const g = ref.current?.getContext('2d');
    if (!g) return;
    const img = g.createImageData(w, h);
    const base = index * c * h * w, plane = h * w;
    for (let p = 0; p < plane; p++) {
      img.data[4 * p] = ds.images[base + p];
      img.data[4 * p + 1] = ds.images[base + (c === 3 ? plane : 0) + p];
      img.data[4 * p + 2] = ds.images[base + (c === 3 ? 2 * plane : 0) + p];
      img.data[4 * p + 3] = 255;
    }
    g.putImageData(img, 0, 0);
  }, [ds, index, h, w, c]);
  const label = ds.classes[ds.labels[index]];
  return (
    <button
      type="button" className={selected ? 'atk-pick selected' : 'atk-pick'} title={`test #${index}: ${label}`}
      aria-pressed={selected} data-testid={`attack-pick-${index}`} onClick={() => { useAttackStore.getState().patch({ linkImageNote: null }); void selectTestImage(index); }} tabIndex={tabbable ? 0 : -1}
    >
      <canvas ref={ref} width={w} height={h} aria-hidden="true" />
      <span>{label}</span>
    </button>
  );
});

export function ImagePicker() {
  const { selectImageFile } = usePage().commands.attack;
  const picker = useAttackStore((s) => s.picker);
  const image = useAttackStore((s) => s.image);
  const status = useAttackStore((s) => s.imageStatus);
  const ready = useAttackStore((s) => s.model.status === 'ready');
  const ds = picker.value;
  const [cls, setCls] = useState(-1);
  const [page, setPage] = useState(0);
  const [over, setOver] = useState(false);
  const matching = useMemo(() => {
    const out: number[] = [];
    if (ds) for (let i = 0; i < ds.count; i++) if (cls < 0 || ds.labels[i] === cls) out.push(i);
    return out;
  }, [ds, cls]);
  const pages = Math.max(1, Math.ceil(matching.length / PAGE));
  const p = Math.min(page, pages - 1);
  const shown = matching.slice(p * PAGE, (p + 1) * PAGE);
  const selectedIndex = image?.origin === 'dataset' && image.datasetId === ds?.dataset ? image.index : undefined;
  const linkNote = useAttackStore((s) => s.linkImageNote);
  // An image selected elsewhere (a link's `img`) is shown on its page of the grid.
  useEffect(() => {
    if (selectedIndex !== undefined && cls < 0) setPage(Math.floor(selectedIndex / PAGE));
  }, [selectedIndex, cls]);
  // One tab stop for the whole grid (roving tabindex): the focused tile, else the selected one, else the first;
  // arrow keys, Home and End move within the page.
  const [focused, setFocused] = useState<number | undefined>(undefined);
  const gridRef = useRef<HTMLDivElement>(null);
  const active = focused !== undefined && shown.includes(focused) ? focused : selectedIndex !== undefined && shown.includes(selectedIndex) ? selectedIndex : shown[0];
  const onGridKey = (e: React.KeyboardEvent) => {
    const at = shown.indexOf(active);
    const tiles = gridRef.current ? [...gridRef.current.querySelectorAll<HTMLElement>('.atk-pick')] : [];
    if (at < 0 || !tiles.length) return;
    const columns = Math.max(1, tiles.filter((t) => t.offsetTop === tiles[0].offsetTop).length);
    const step: Record<string, number> = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: columns, ArrowUp: -columns, Home: -at, End: shown.length - 1 - at };
    if (!(e.key in step)) return;
    e.preventDefault();
    const next = Math.min(shown.length - 1, Math.max(0, at + step[e.key]));
    setFocused(shown[next]);
    tiles[next]?.focus();
  };
  return (
    <section className="card" data-testid="attack-picker">
      <h3>Image</h3>
      <p className="atk-sub">The image to attack: click a test image of the bundled dataset, or pick or drop any image file (it is brought to the model’s input by the CLIP preprocessing).</p>
      <p className="small" data-testid="attack-image-name">
        {image ? <>Selected: <strong>{image.name}</strong>{image.label ? <> — labelled <strong>{image.label}</strong></> : ' — no label: choose the attacked class below'}</> : <span className="muted">No image yet.</span>}
      </p>
      {image?.note && <p className="muted small">{image.note}</p>}
      {linkNote && <p className="note warn small" role="status" data-testid="attack-link-image-note">{linkNote}</p>}
      {status.status === 'error' && <p className="error" role="alert">{status.error}</p>}
      {picker.status === 'loading' && <p className="muted">test split: {picker.progress}</p>}
      {picker.status === 'error' && <p className="error" role="alert">{picker.error}</p>}
      {ds && (
        <>
          <div className="toolbar">
            <label>
              Class{' '}
              <select value={cls} onChange={(e) => { setCls(Number(e.target.value)); setPage(0); }} data-testid="attack-picker-class">
                <option value={-1}>all ({fmtInt(ds.count)} test images)</option>
                {ds.classes.map((c, i) => <option key={c} value={i}>{c}</option>)}
              </select>
            </label>
            <span className="muted small">#{fmtInt(shown[0] ?? 0)}–{fmtInt(shown[shown.length - 1] ?? 0)}</span>
            <span className="spacer" />
            <button type="button" disabled={p === 0} onClick={() => setPage(p - 1)} aria-label="previous page">‹</button>
            <span className="muted small">{p + 1}/{pages}</span>
            <button type="button" disabled={p >= pages - 1} onClick={() => setPage(p + 1)} aria-label="next page">›</button>
          </div>
          <div className="atk-pick-grid" data-testid="attack-pick-grid" ref={gridRef} onKeyDown={onGridKey} role="group" aria-label="test images (arrow keys move, Enter selects)">
            {shown.map((i) => <PickTile key={i} ds={ds} index={i} selected={i === selectedIndex} tabbable={i === active} />)}
          </div>
        </>
      )}
      <div
        className={over ? 'atk-drop over' : 'atk-drop'} data-testid="attack-drop"
        onDragOver={(e) => { e.preventDefault(); setOver(true); }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          e.preventDefault();
          setOver(false);
          const f = [...e.dataTransfer.files].find((x) => x.type.startsWith('image/')) ?? e.dataTransfer.files[0];
          if (f && ready) void selectImageFile(f);
        }}
      >
        <span>Drop an image here, or</span>
        <label className="button">
          choose a file…
          <input type="file" accept="image/*" hidden data-testid="attack-file" disabled={!ready}
            onChange={(e) => { const f = e.target.files?.[0]; if (f) void selectImageFile(f); e.target.value = ''; }} />
        </label>
        <span className="small">PNG, JPEG, WebP…; stays in this browser</span>
      </div>
    </section>
  );
}
