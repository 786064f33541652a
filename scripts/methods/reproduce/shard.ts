/**
 * Shards of the sweep on an existing scheduler (Kubernetes Indexed Jobs, Slurm job arrays): which shard this
 * process is, which jobs of a stage are its own, and its results file — written atomically (temp file + rename),
 * so a file that exists is a finished shard (a rerun skips it) and a crashed shard leaves none (a rerun redoes it).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { FineTuneConfig } from '../../../src/methods/config';
import type { ResultsCell, ResultsFileEntry, TrainingCurve } from '../../../src/methods/results';
import type { RunSettings } from './options';
import { STAGES, idToName, type EvalJob, type Stage, type TrainJob } from './plan';

export interface ShardSpec {
  index: number;
  count: number;
}

/**
 * `--shard=i/N`; or `--shard=N` (or `--shard=/N`) with the index from `JOB_COMPLETION_INDEX` (Kubernetes Indexed
 * Job) or `SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN` (Slurm array); no flag: one shard (0/1).
 */
export function parseShard(flag: string | undefined, env: Record<string, string | undefined> = process.env): ShardSpec {
  if (flag === undefined || flag === 'true') {
    if (flag === 'true') throw new Error('--shard needs a value: i/N, or N with the index from the scheduler\'s environment');
    return { index: 0, count: 1 };
  }
  const m = /^(\d*)\/?(\d+)$/.exec(flag.trim());
  if (!m) throw new Error(`--shard: expected i/N or N, got '${flag}'`);
  const count = Number(m[2]);
  let index: number;
  if (flag.includes('/') && m[1] !== '') index = Number(m[1]);
  else if (env.JOB_COMPLETION_INDEX !== undefined) index = Number(env.JOB_COMPLETION_INDEX);
  else if (env.SLURM_ARRAY_TASK_ID !== undefined) index = Number(env.SLURM_ARRAY_TASK_ID) - Number(env.SLURM_ARRAY_TASK_MIN ?? 0);
  else throw new Error(`--shard=${flag}: no index (give i/N, or set JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID)`);
  if (!(count >= 1) || !Number.isInteger(index) || index < 0 || index >= count) throw new Error(`--shard: index ${index} is not in [0, ${count})`);
  return { index, count };
}

/** The shard's own jobs: the i-th, (i+N)-th, … of the stage's plan (sorted by id, so every shard agrees). */
export function shardJobs<T extends { id: string }>(jobs: readonly T[], s: ShardSpec): T[] {
  return jobs.filter((_, k) => k % s.count === s.index);
}

/** A finished train job: the job itself and what it produced. */
export interface TrainRecord extends TrainJob {
  config: FineTuneConfig;
  steps: number;
  passes: { vision: number; text: number };
  distinctImages: number;
  /** null: not finite (JSON has no NaN). */
  finalLoss: number | null;
  /** The step whose gradient was not finite (training stopped there, the previous step's weights kept). */
  nonFiniteAt?: number;
  terms: Record<string, number>;
  /** Per-step loss, terms, gradient norms and clip factor (records written before #16 lack it). */
  curve?: TrainingCurve;
  /** Model folder, relative to the out dir (transformers.js layout). */
  modelDir: string;
  files: ResultsFileEntry[];
  seconds: number;
  cpuSeconds: number;
}

/** A finished eval job: the job itself and its outcomes. */
export interface EvalRecord extends EvalJob {
  /** Per-image outcomes: eps 0 = clean (on the headline images), then each ε. */
  cells: ResultsCell[];
  /** Per ε: the protocol's stages (robust count after each, images attacked, forward evaluations). */
  stages: Array<{ eps: number; n: number; stages: Array<{ stage: string; attacked: number; robustAfter: number; evaluations: number }>; lostBySnapping: number }>;
  masking?: string;
  warnings: string[];
  seconds: number;
  cpuSeconds: number;
}

export type JobRecord = TrainRecord | EvalRecord;

export const SHARD_FORMAT = 'aos-workbench/reproduce-shard';

export interface ShardFile {
  format: typeof SHARD_FORMAT;
  version: 1;
  /** sha256 of the settings: shards of another configuration in the same folder are refused. */
  settingsHash: string;
  /** The settings themselves (what `--merge` reads). */
  settings: RunSettings;
  /** The shard's command line (the merge's report cites it). */
  argv: string[];
  stage: Stage;
  shard: ShardSpec;
  jobs: JobRecord[];
  adapter: string;
  commit: string;
  createdAt: string;
  seconds: number;
  cpuSeconds: number;
}

export function settingsHash(s: RunSettings): string {
  return createHash('sha256').update(JSON.stringify(s)).digest('hex');
}

export const shardPath = (out: string, stage: Stage, s: ShardSpec) => join(out, 'shards', `${stage}.${s.index}-of-${s.count}.json`);

/** Writes `text` to `path` through a temp file in the same folder and a rename (atomic on POSIX file systems). */
export async function writeAtomic(path: string, text: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  try {
    await writeFile(tmp, text);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** Every finished shard file under `out/shards` (temp files of crashed shards are ignored). */
export async function readShards(out: string, hash: string): Promise<ShardFile[]> {
  const dir = join(out, 'shards');
  if (!existsSync(dir)) return [];
  const files: ShardFile[] = [];
  for (const name of (await readdir(dir)).filter((n) => n.endsWith('.json')).sort()) {
    const f = JSON.parse(await readFile(join(dir, name), 'utf8')) as ShardFile;
    if (f.format !== SHARD_FORMAT || f.version !== 1 || !STAGES.includes(f.stage)) throw new Error(`${join(dir, name)}: not a reproduce shard file`);
    if (f.settingsHash !== hash) throw new Error(`${join(dir, name)}: written with other settings (another mode or flags); use another --out`);
    files.push(f);
  }
  return files;
}

const jobPath = (out: string, id: string) => join(out, 'jobs', `${idToName(id)}.json`);

/** One finished job's record (so a crashed shard resumes after its last finished job), with the code's commit. */
export async function writeJobRecord(out: string, hash: string, commit: string, r: JobRecord): Promise<void> {
  await writeAtomic(jobPath(out, r.id), `${JSON.stringify({ settingsHash: hash, commit, record: r })}\n`);
}

/**
 * A job's record from an earlier, interrupted run of the same settings and the same commit (undefined: none, other
 * settings, or other code — results of two code versions are not mixed silently).
 */
export async function readJobRecord(out: string, hash: string, commit: string, id: string): Promise<JobRecord | undefined> {
  const path = jobPath(out, id);
  if (!existsSync(path)) return undefined;
  const v = JSON.parse(await readFile(path, 'utf8')) as { settingsHash: string; commit?: string; record: JobRecord };
  if (v.settingsHash !== hash || v.record?.id !== id || commit === 'unknown' || v.commit !== commit) return undefined;
  if (v.record.kind === 'train' && !existsSync(join(out, v.record.modelDir))) return undefined;
  return v.record;
}

/** Whether every shard of `stage` is done, for some shard count N (all of 0…N−1 present). */
export function stageComplete(files: readonly ShardFile[], stage: Stage): boolean {
  const of = files.filter((f) => f.stage === stage);
  return of.some((f) => of.filter((g) => g.shard.count === f.shard.count).map((g) => g.shard.index).sort((a, b) => a - b).join() === Array.from({ length: f.shard.count }, (_, i) => i).join());
}

/** The union of every job record, by id (a job done by two shard layouts counts once: the first file's, by name). */
export function jobRecords(files: readonly ShardFile[]): Map<string, JobRecord> {
  const out = new Map<string, JobRecord>();
  for (const f of files) for (const j of f.jobs) if (!out.has(j.id)) out.set(j.id, j);
  return out;
}
