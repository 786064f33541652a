/**
 * Browser-only: the files of a drag-and-drop, folders walked recursively (File System Entries API), as
 * `FolderFile`s with `root/class/file.png` paths for src/data/folder.ts.
 */
import type { FolderFile } from '../data/folder';

/** At most this many files are collected from one drop. */
export const MAX_DROP_FILES = 20_000;

function fileOf(entry: FileSystemFileEntry): Promise<File> {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}

function readBatch(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  return new Promise((resolve, reject) => reader.readEntries(resolve, reject));
}

async function walk(entry: FileSystemEntry, prefix: string, out: FolderFile[]): Promise<void> {
  if (out.length >= MAX_DROP_FILES) return;
  const path = prefix ? `${prefix}/${entry.name}` : entry.name;
  if (entry.isFile) {
    const file = await fileOf(entry as FileSystemFileEntry);
    out.push({ path, read: async () => new Uint8Array(await file.arrayBuffer()) });
  } else if (entry.isDirectory) {
    const reader = (entry as FileSystemDirectoryEntry).createReader();
    // readEntries returns the listing in batches until an empty one.
    for (let batch = await readBatch(reader); batch.length > 0; batch = await readBatch(reader)) {
      for (const e of batch) await walk(e, path, out);
    }
  }
}

export async function filesFromDataTransfer(dt: DataTransfer): Promise<FolderFile[]> {
  const entries = Array.from(dt.items, (it) => it.webkitGetAsEntry()).filter((e): e is FileSystemEntry => e !== null);
  const out: FolderFile[] = [];
  for (const e of entries) await walk(e, '', out);
  return out;
}
