/** Node only: a model folder on disk as a ModelSource (same streaming, size cap and progress as the others). */
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { ModelLoadError } from './errors';
import { readStream, type ModelSource } from './source';

async function walk(dir: string, root: string, depth: number, out: string[]): Promise<void> {
  if (depth > 4) return;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await walk(p, root, depth + 1, out);
    else if (e.isFile()) out.push(relative(root, p).split(sep).join('/'));
  }
}

/** The files of a directory in the transformers.js layout. */
export function directorySource(dir: string): ModelSource {
  const root = resolve(dir);
  const pathOf = (name: string): string => {
    if (name.split('/').some((p) => p === '..' || p === '')) throw new ModelLoadError('missing-file', `bad file name '${name}'`, name);
    return join(root, ...name.split('/'));
  };
  const statOf = async (name: string) => {
    try {
      const s = await stat(pathOf(name));
      return s.isFile() ? s : null;
    } catch {
      return null;
    }
  };
  return {
    kind: 'directory',
    label: root,
    async list() {
      const out: string[] = [];
      await walk(root, root, 0, out);
      return out;
    },
    where: pathOf,
    async stat(name) {
      const s = await statOf(name);
      return s ? { name, size: s.size } : null;
    },
    async read(name, o = {}) {
      const s = await statOf(name);
      if (!s) throw new ModelLoadError('missing-file', `${name} is missing from ${root}`, name);
      const stream = Readable.toWeb(createReadStream(pathOf(name), { highWaterMark: 1 << 20 })) as ReadableStream<Uint8Array>;
      return readStream(stream, name, pathOf(name), s.size, o);
    },
  };
}
