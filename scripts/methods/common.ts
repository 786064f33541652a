/** Shared bits of the fine-tuning scripts: flags, model folders, bundled splits, output files. */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadManifest, type DataManifest } from '../../src/data/bundle';
import { dirReader, loadSplitFromDir } from '../../src/data/node';
import { promptGroups } from '../../src/data/prompts';
import { buildClipFolder, tinyClipConfig, type ClipFolderFiles } from '../../src/onnx/clip';
import { readClipFolder } from '../../src/onnx/clip/node';
import type { EvalSet } from '../../src/methods/evaluate';
import { scriptFlags } from '../cli';

/** The command line's flags (scripts/cli.ts, the one parser of every script; shared flags put into effect). */
export function args(): Record<string, string> {
  return scriptFlags();
}

export const BUNDLED_MODEL = 'public/models/tiny-clip';

export interface ModelChoice {
  files: ClipFolderFiles;
  /** Where it came from (a folder, or 'random-init …'). */
  source: string;
}

/**
 * `--model DIR`, else the bundled tiny CLIP when it exists; with `randomFallback`, a random-init tiny CLIP built in
 * memory (tokenizer trained on the bundled prompts) — smoke runs only: its numbers mean nothing.
 */
export async function chooseModel(dir: string | undefined, randomFallback: boolean): Promise<ModelChoice> {
  if (dir) return { files: await readClipFolder(dir), source: dir };
  if (existsSync(join(BUNDLED_MODEL, 'config.json'))) return { files: await readClipFolder(BUNDLED_MODEL), source: BUNDLED_MODEL };
  if (!randomFallback) throw new Error(`no model: ${BUNDLED_MODEL} does not exist yet (it is being trained); pass --model DIR`);
  const manifest = await loadManifest(dirReader('public/data'));
  const texts = manifest.datasets.flatMap((d) => promptGroups(d.classes, { fallback: true }).flat());
  console.warn(`warning: ${BUNDLED_MODEL} does not exist: using a RANDOM-INIT tiny CLIP (smoke run; the numbers mean nothing)`);
  return { files: buildClipFolder(tinyClipConfig, { texts, seed: 0, name: 'random-init tiny CLIP' }).files, source: 'random-init tinyClipConfig (seed 0)' };
}

export async function manifest(): Promise<DataManifest> {
  return loadManifest(dirReader('public/data'));
}

/** Every (dataset, split) of the bundle, or those named `id` or `id/split` in a comma list. */
export async function evalSets(filter?: string): Promise<EvalSet[]> {
  const m = await manifest();
  const want = filter ? filter.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
  const out: EvalSet[] = [];
  for (const d of m.datasets) {
    for (const split of Object.keys(d.splits)) {
      if (want && !want.includes(d.id) && !want.includes(`${d.id}/${split}`)) continue;
      out.push({ dataset: d.id, split, data: (await loadSplitFromDir(d.id, split)).data });
    }
  }
  if (!out.length) throw new Error(`no dataset split matches '${filter}'`);
  return out;
}

export function numberList(s: string | undefined, fallback: number[]): number[] {
  if (!s) return fallback;
  const v = s.split(',').map(Number);
  if (v.some((x) => !Number.isFinite(x))) throw new Error(`not a list of numbers: '${s}'`);
  return v;
}

export async function writeOutputs(dir: string, name: string, json: unknown, markdown: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, `${name}.json`), `${JSON.stringify(json, null, 2)}\n`);
  await writeFile(join(dir, `${name}.md`), `${markdown}\n`);
  console.log(`wrote ${join(dir, `${name}.json`)} and ${join(dir, `${name}.md`)}`);
}
