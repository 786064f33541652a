/**
 * The user's own images: a folder with one sub-folder per class (`cats/…png`, `dogs/…jpg`), chosen with a
 * directory picker or dropped. Decoded in the browser to 28×28 gray like the bundled sets; stays on this machine
 * (not part of shared links).
 */
import { useState } from 'react';
import { filesFromFileList } from '../../data/folder';
import { filesFromDataTransfer } from '../../engine/dropFiles';
import { useResourceStore } from '../../state/resources';
import { DatasetPreview } from './DatasetPreview';
import { usePage } from '../pageContext';

const DIR_ATTRS = { webkitdirectory: '', directory: '' } as Record<string, string>;

export function FolderImport() {
  const { clearImageFolder, importImageFolder } = usePage().data;
  const folder = useResourceStore((s) => s.folder);
  const [invert, setInvert] = useState(false);
  const [over, setOver] = useState(false);
  return (
    <section className="card">
      <h3>Your image folder</h3>
      <p className="explain">One sub-folder per class (the folder name is the class), PNG or JPEG; images are converted to 28×28 gray. They stay in this browser and are not part of shared links.</p>
      <div
        className={over ? 'dropzone over' : 'dropzone'} data-testid="folder-drop"
        onDragOver={(e) => { e.preventDefault(); setOver(true); }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          e.preventDefault();
          setOver(false);
          void filesFromDataTransfer(e.dataTransfer).then((files) => importImageFolder(files, { invert }));
        }}
      >
        <span>Drop a folder here, or</span>
        <label className="button">
          choose a folder…
          <input
            type="file" multiple hidden {...DIR_ATTRS} data-testid="folder-input"
            onChange={(e) => { if (e.target.files?.length) void importImageFolder(filesFromFileList(e.target.files), { invert }); }}
          />
        </label>
        <label className="inline"><input type="checkbox" checked={invert} onChange={(e) => setInvert(e.target.checked)} /> dark objects on white (invert)</label>
      </div>
      {folder.status === 'loading' && <p className="muted">{folder.progress}</p>}
      {folder.status === 'error' && <p className="error" role="alert">{folder.error}</p>}
      {folder.status === 'ready' && folder.value && (
        <>
          <p className="muted">
            {folder.key}: {folder.value.count} images in {folder.value.classes.length} classes
            {folder.value.skipped.length > 0 && `; ${folder.value.skipped.length} file${folder.value.skipped.length === 1 ? '' : 's'} skipped (not PNG/JPEG inside a class folder)`}.{' '}
            <button type="button" className="link" onClick={clearImageFolder}>remove</button>
          </p>
          <DatasetPreview ds={folder.value} testId="folder-grid" />
        </>
      )}
    </section>
  );
}
