/** Node-only: atomic checkpoint files (write to a temp file, then rename). */
import { readFile, rename, writeFile, mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { decodeCheckpoint, type Checkpoint } from './checkpoint';

export async function saveCheckpointFile(path: string, bytes: Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, bytes);
  await rename(tmp, path);
}

export async function loadCheckpointFile(path: string): Promise<Checkpoint | undefined> {
  if (!existsSync(path)) return undefined;
  const b = await readFile(path);
  return decodeCheckpoint(new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
}
