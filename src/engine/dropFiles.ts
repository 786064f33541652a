/**
 * Browser-only: the files of a drag-and-drop, folders walked recursively (File System Entries API), as
 * `FolderFile`s with `root/class/file.png` paths for src/data/folder.ts, or as `File`s with their folder-relative
 * paths (a model folder for src/engine/localModel.ts).
 */
import type { FolderFile } from '../data/folder';

/** At most this many files are collected from one drop. */
export const MAX_DROP_FILES = 20_000;

/** A dropped file and its path inside the drop ('tiny-clip/onnx/vision_model.onnx'). */
export interface DroppedFile {
  path: string;
  file: File;
}

function fileOf(entry: FileSystemFileEntry): Promise<File> {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}

function readBatch(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  return new Promise((resolve, reject) => reader.readEntries(resolve, reject));
}

async function walk(entry: FileSystemEntry, prefix: string, out: DroppedFile[]): Promise<void> {
  if (out.length >= MAX_DROP_FILES) return;
  const path = prefix ? `${prefix}/${entry.name}` : entry.name;
  if (entry.isFile) {
    out.push({ path, file: await fileOf(entry as FileSystemFileEntry) });
  } else if (entry.isDirectory) {
    const reader = (entry as FileSystemDirectoryEntry).createReader();
    // readEntries returns the listing in batches until an empty one.
    for (let batch = await readBatch(reader); batch.length > 0; batch = await readBatch(reader)) {
      for (const e of batch) await walk(e, path, out);
    }
  }
}

/** Every dropped file with its path (folders walked); loose files when the browser gives no entries. */
export async function droppedFiles(dt: DataTransfer): Promise<DroppedFile[]> {
  // The entries must be taken before the first await: the DataTransfer is emptied after the drop event.
  const entries = Array.from(dt.items ?? [], (it) => it.webkitGetAsEntry()).filter((e): e is FileSystemEntry => e !== null);
  const loose = Array.from(dt.files ?? []);
  if (entries.length === 0) return loose.map((file) => ({ path: file.name, file }));
  const out: DroppedFile[] = [];
  for (const e of entries) await walk(e, '', out);
  return out;
}

export async function filesFromDataTransfer(dt: DataTransfer): Promise<FolderFile[]> {
  return (await droppedFiles(dt)).map(({ path, file }) => ({ path, read: async () => new Uint8Array(await file.arrayBuffer()) }));
}
