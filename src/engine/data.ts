/**
 * Data for the workbench: the bundled manifest and splits (fetched from `<base>/data/`, verified by sha256 and
 * decoded in the browser by src/data/bundle.ts) and a user's image folder (src/data/folder.ts). Results and progress
 * go to the resource store. One controller per owner (the page's root for the Data panel's preview, the Worker's
 * engine root for the engines): each caches the manifest and its decoded splits for its lifetime — bounded by the
 * manifest, which lists a few datasets of two or three splits each (a failed load is not kept).
 */
import { fetchReader, loadManifest, loadSplit, type DataManifest, type ImageDataset } from '../data/bundle';
import { decodeWithImageBitmap, readImageFolder, type FolderFile } from '../data/folder';
import { useResourceStore } from '../state/resources';

const message = (e: unknown): string => String((e as Error)?.message ?? e);

export type DataController = ReturnType<typeof createDataController>;

export function createDataController() {
  const read = fetchReader();
  let manifestRun: Promise<DataManifest | null> | undefined;
  const splits = new Map<string, Promise<ImageDataset>>();

  /** Loads manifest.json once; null (and an error in the store) when it cannot be read. */
  function ensureManifest(): Promise<DataManifest | null> {
    manifestRun ??= (async () => {
      const store = useResourceStore.getState();
      store.patch({ manifest: { status: 'loading', value: null, error: null, key: 'manifest.json' } });
      try {
        const m = await loadManifest(read);
        useResourceStore.getState().patch({ manifest: { status: 'ready', value: m, error: null, key: 'manifest.json' } });
        return m;
      } catch (e) {
        useResourceStore.getState().patch({ manifest: { status: 'error', value: null, error: message(e), key: 'manifest.json' } });
        manifestRun = undefined;
        return null;
      }
    })();
    return manifestRun;
  }

  /** A decoded split (cached). */
  async function getSplit(datasetId: string, split: string): Promise<ImageDataset> {
    const key = `${datasetId}/${split}`;
    let p = splits.get(key);
    if (!p) {
      p = (async () => {
        const m = await ensureManifest();
        if (!m) throw new Error('the data manifest could not be loaded');
        return loadSplit(m, datasetId, split, read);
      })();
      splits.set(key, p);
      p.catch(() => splits.delete(key));
    }
    return p;
  }

  /** Loads a split for the preview; a later call wins over an earlier one still loading. */
  async function showSplit(datasetId: string, split: string): Promise<void> {
    const key = `${datasetId}/${split}`;
    const cur = useResourceStore.getState().split;
    if (cur.key === key && (cur.status === 'ready' || cur.status === 'loading')) return;
    useResourceStore.getState().patch({ split: { status: 'loading', value: null, error: null, key, progress: 'downloading, verifying sha256, decoding…' } });
    try {
      const ds = await getSplit(datasetId, split);
      if (useResourceStore.getState().split.key === key) useResourceStore.getState().patch({ split: { status: 'ready', value: ds, error: null, key } });
    } catch (e) {
      if (useResourceStore.getState().split.key === key) useResourceStore.getState().patch({ split: { status: 'error', value: null, error: message(e), key } });
    }
  }

  /** Reads a class-per-folder image set chosen by the user (28×28 gray, like the bundled sets). */
  async function importImageFolder(files: FolderFile[], opts: { invert?: boolean } = {}): Promise<void> {
    const root = files[0]?.path.split('/')[0] ?? 'folder';
    const key = `${root} (${files.length} files)`;
    useResourceStore.getState().patch({ folder: { status: 'loading', value: null, error: null, key, progress: `decoding ${files.length} files…` } });
    try {
      const ds = await readImageFolder(files, decodeWithImageBitmap, { dataset: root, split: 'all', invert: opts.invert });
      useResourceStore.getState().patch({ folder: { status: 'ready', value: ds, error: null, key } });
    } catch (e) {
      useResourceStore.getState().patch({ folder: { status: 'error', value: null, error: message(e), key } });
    }
  }

  function clearImageFolder(): void {
    useResourceStore.getState().patch({ folder: { status: 'idle', value: null, error: null, key: null } });
  }

  async function loadRunData(datasetId: string, evalSplit: string): Promise<RunData> {
    const m = await ensureManifest();
    if (!m) throw new Error('the data manifest could not be loaded');
    const d = m.datasets.find((x) => x.id === datasetId);
    if (!d) throw new Error(`no bundled dataset '${datasetId}'`);
    if (!d.splits.train) throw new Error(`${d.name} has no training split (it is an evaluation-only set): choose Fashion-MNIST or MNIST in the Data settings`);
    const valSplit = d.splits[evalSplit] ? evalSplit : d.splits.val ? 'val' : 'test';
    const [train, val] = await Promise.all([getSplit(datasetId, 'train'), getSplit(datasetId, valSplit)]);
    return { train, val, hflip: d.hflip, name: d.name, valSplit };
  }

  return { ensureManifest, getSplit, showSplit, importImageFolder, clearImageFolder, loadRunData };
}

/** A fine-tuning run's data: the training split and the validation split of a bundled dataset. */
export interface RunData {
  train: ImageDataset;
  val: ImageDataset;
  hflip: boolean;
  name: string;
  valSplit: string;
}
