/**
 * Test images of a results cell, drawn from the bundled split the set names ('dataset/split': image i of the cell is
 * image i of the split, in the bundle's order). A set that is not bundled here (an image folder, another machine's
 * data) shows only the indices.
 */
import { useEffect, useState } from 'react';
import type { ImageDataset } from '../../data/bundle';
import { ImageGrid } from '../data/ImageGrid';
import { usePage } from '../pageContext';

/** Thumbnails drawn at most per list. */
const MAX_THUMBS = 32;

function useBundledSplit(set: string): { ds: ImageDataset | null; why: string | null } {
  const { getSplit } = usePage().data;
  const [state, setState] = useState<{ set: string; ds: ImageDataset | null; why: string | null }>({ set, ds: null, why: null });
  useEffect(() => {
    let live = true;
    const [dataset, split, ...rest] = set.split('/');
    if (!dataset || !split || rest.length) {
      setState({ set, ds: null, why: `${set} does not name a bundled split` });
      return;
    }
    getSplit(dataset, split).then(
      (ds) => { if (live) setState({ set, ds, why: null }); },
      (e: unknown) => { if (live) setState({ set, ds: null, why: `${set} is not bundled here (${String((e as Error)?.message ?? e)})` }); },
    );
    return () => { live = false; };
  }, [set]);
  return state.set === set ? state : { ds: null, why: null };
}

export function BundledImages({ set, indices, title, testId, counted = true }: { set: string; indices: number[]; title: string; testId: string; counted?: boolean }) {
  const { ds, why } = useBundledSplit(set);
  const shown = indices.slice(0, MAX_THUMBS);
  const inRange = ds ? shown.filter((i) => i < ds.count) : [];
  return (
    <div className="res-thumbs" data-testid={testId} data-count={inRange.length}>
      <h4>{title}{counted ? ` (${indices.length}${indices.length > shown.length ? `, first ${shown.length} shown` : ''})` : ''}</h4>
      {!indices.length && <p className="muted small">none</p>}
      {why && indices.length > 0 && <p className="muted small">{why}: images {shown.join(', ')}</p>}
      {ds && inRange.length > 0 && <ImageGrid ds={ds} indices={inRange} />}
      {ds && inRange.length < shown.length && <p className="warn-text small">{shown.length - inRange.length} indices lie past the split&apos;s {ds.count} images: this file was not made on this bundle.</p>}
    </div>
  );
}
