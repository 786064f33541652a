/**
 * npm run reproduce -- [--quick | --smoke] [--shard=i/N | --shard=N] [--wait] [--parallel N] [--merge DIR] [--out DIR] [--model DIR]
 *                      [--methods tecoa,pmg-aft,fare,aos] [--seeds 0,1,2] [--tradeoff-eps 2,4,8,16] [--knob-grid 0.3,1,3]
 *                      [--eps 4,8,16,24,32,48] [--headline-eps 24] [--limit 500] [--other-limit 100] [--val-limit 200]
 *                      [--test-sets fashion-mnist/test,…] [--aos-steps 40] [--batch 32] [--m 4] [--lr 1e-4]
 *                      [--train-steps 2] [--apgd-steps N] [--restarts N] [--targets K] [--targeted-steps N] [--queries N]
 *
 * The miniature of the AoS paper's table: the bundled tiny CLIP fine-tuned on Fashion-MNIST train by TeCoA,
 * PMG-AFT, FARE and AoS at an EQUAL BUDGET of vision-tower passes, judged by the evaluation protocol
 * (src/attacks/protocol.ts) at the headline ε = 24/255 — where the undefended model is nearly broken — with
 * per-image outcomes saved and paired tests of AoS against each baseline on a headline cell fixed in advance
 * (Fashion-MNIST test at 24/255). Every method gets the same selection budget on Fashion-MNIST val: the shared
 * training ε from the trade-off sweep (2/4/8/16 ÷ 255), then its own key knob × the same candidates. Stages and
 * their rules: scripts/methods/reproduce/plan.ts.
 *
 * Outputs in --out (default results/ for --quick, .tmp/reproduce[-smoke] otherwise): reproduce[-mode].json (the
 * results file of src/methods/README-results.md, format v1), .md (selection, table, paired tests, MDD, masking,
 * cost), .svg (the trade-off plot); models/ (every fine-tuned model, ONNX in the transformers.js layout, sha256 in
 * the JSON; not in git) and shards/ (each shard's job records).
 *
 * Sharding (Kubernetes Indexed Jobs, Slurm arrays): `--shard=i/N`, or `--shard=N` with the index from
 * JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN. Each shard runs its share of every stage
 * whose earlier stages are complete in --out (a shared folder), writes shards/<stage>.<i>-of-<N>.json atomically,
 * skips stages it has finished, and stops at a stage that waits for other shards (run it again after them; with
 * --wait it polls). `--merge DIR` builds the outputs from DIR's shard files. Without --shard: `--parallel N` shard
 * processes on this machine (default 2 for --quick, which needs both cores to fit its budget; else 1: one process
 * runs every stage), then the merge.
 *
 * Modes: (default) full — every test image at the headline ε, 500 at the others, 5 seeds, the full protocol: size
 * it as sharded jobs; --quick — 500 images per set at the headline, 100 at the other ε, 3 seeds, the quick
 * protocol, sized for ≤ 90 min on 2 cores (cost arithmetic in the .md); --smoke — a few steps and images: its
 * numbers mean nothing.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { GpuContext } from '../../src/gpu/context';
import { shaderSources } from '../../src/kernels/shaders';
import type { ResultsFileEntry } from '../../src/methods/results';
import { numberFlag } from '../cli';
import { args, chooseModel } from './common';
import { JobRunner, cpuSeconds } from './reproduce/jobs';
import { runSettings, type RunSettings } from './reproduce/options';
import { STAGES, planStage } from './reproduce/plan';
import { buildReport, valScores } from './reproduce/report';
import { jobRecords, parseShard, readJobRecord, readShards, writeJobRecord, settingsHash, shardJobs, shardPath, stageComplete, writeAtomic, type JobRecord, type ShardFile, type ShardSpec, type TrainRecord } from './reproduce/shard';

function gitCommit(): string {
  // A bundle for a machine without the repository (scripts/gpu-server/build-bundle.mjs) carries its commit.
  if (process.env.AOS_BUNDLE_COMMIT) return process.env.AOS_BUNDLE_COMMIT;
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

const baseName = (s: RunSettings) => (s.sweep.mode === 'full' ? 'reproduce' : `reproduce-${s.sweep.mode}`);

/** sha256 of the data files the sweep reads and of the starting model's ONNX files. */
async function inputFileEntries(model: string): Promise<ResultsFileEntry[]> {
  const out: ResultsFileEntry[] = [];
  for (const rel of ['onnx/vision_model.onnx', 'onnx/text_model.onnx']) {
    const bytes = await readFile(join(model, rel));
    out.push({ path: join(model, rel), bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
  }
  for (const name of (await readdir('public/data')).sort()) {
    if (!/^(manifest\.json|(fashion-mnist-(train|val|test)|mnist-test|digits-test)\.aosd)$/.test(name)) continue;
    const bytes = await readFile(join('public/data', name));
    out.push({ path: join('public/data', name), bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
  }
  return out;
}

/** Runs this shard's part of every stage it can; returns whether all stages are complete. */
async function runShard(s: RunSettings, out: string, shard: ShardSpec, wait: boolean): Promise<boolean> {
  const hash = settingsHash(s);
  const tag = `[shard ${shard.index}/${shard.count}]`;
  const commit = gitCommit();
  const log = (msg: string) => console.log(`${tag} ${msg}`);
  let runner: JobRunner | undefined;
  let ctx: GpuContext | undefined;
  const model = await chooseModel(s.model, s.sweep.mode === 'smoke');
  try {
    for (const [k, stage] of STAGES.entries()) {
      let files = await readShards(out, hash);
      while (!STAGES.slice(0, k).every((st) => stageComplete(files, st))) {
        if (!wait) {
          log(`${stage}: waits for other shards of ${STAGES.slice(0, k).filter((st) => !stageComplete(files, st)).join(', ')}; run this shard again after them (or pass --wait)`);
          return false;
        }
        await new Promise((r) => setTimeout(r, 2000));
        files = await readShards(out, hash);
      }
      const path = shardPath(out, stage, shard);
      if (existsSync(path)) {
        log(`${stage}: done before (${path}), skipped`);
        continue;
      }
      const earlier = jobRecords(files.filter((f) => STAGES.indexOf(f.stage) < k));
      const plan = planStage(stage, s.sweep, new Set(earlier.keys()), valScores(earlier.values(), s.sweep.headlineEps255 / 255));
      const mine = shardJobs(plan, shard);
      log(`${stage}: ${mine.length} of ${plan.length} jobs`);
      const t0 = Date.now(), c0 = cpuSeconds();
      ctx ??= await GpuContext.create({ shaders: shaderSources, label: 'reproduce' });
      runner ??= await JobRunner.create(ctx, s, out, model.files, log);
      const trained = new Map([...earlier.values()].filter((r): r is TrainRecord => r.kind === 'train').map((r) => [r.id, r]));
      const records: JobRecord[] = [];
      for (const [j, job] of mine.entries()) {
        // A job finished before this shard crashed is taken from its record (written atomically, like the shard).
        const kept = await readJobRecord(out, hash, commit, job.id);
        const r = kept ?? (job.kind === 'train' ? await runner.train(job) : await runner.evaluate(job, trained));
        if (!kept) await writeJobRecord(out, hash, commit, r);
        records.push(r);
        log(`${stage}: job ${j + 1}/${mine.length} done: ${job.id} (${kept ? 'kept from an earlier run' : `${r.seconds.toFixed(1)} s`})`);
      }
      const a = ctx.adapter;
      const file: ShardFile = {
        format: 'aos-workbench/reproduce-shard', version: 1, settingsHash: hash, settings: s, argv: process.argv.slice(2), stage, shard, jobs: records,
        adapter: `${a.vendor} ${a.architecture} ${a.device} ${a.description}`.trim(), commit, createdAt: new Date().toISOString(),
        seconds: (Date.now() - t0) / 1000, cpuSeconds: cpuSeconds() - c0,
      };
      await writeAtomic(path, `${JSON.stringify(file)}\n`);
      log(`${stage}: wrote ${path}`);
    }
    const files = await readShards(out, hash);
    return STAGES.every((st) => stageComplete(files, st));
  } finally {
    ctx?.destroy?.();
  }
}

/** Builds the outputs from every shard file in `out` (the settings are read from the files). */
async function merge(out: string, argv: string[]): Promise<void> {
  const names = existsSync(join(out, 'shards')) ? (await readdir(join(out, 'shards'))).filter((n) => n.endsWith('.json')) : [];
  if (!names.length) throw new Error(`--merge ${out}: no shard files in ${join(out, 'shards')}`);
  const first = JSON.parse(await readFile(join(out, 'shards', names.sort()[0]), 'utf8')) as ShardFile;
  const s = first.settings;
  const files = await readShards(out, settingsHash(s));
  const missing = STAGES.filter((st) => !stageComplete(files, st));
  if (missing.length) throw new Error(`--merge ${out}: stages not complete: ${missing.join(', ')}`);
  const stageTiming: Record<string, { seconds: number; cpuSeconds: number; shards: number }> = {};
  for (const f of files) {
    const t = (stageTiming[f.stage] ??= { seconds: 0, cpuSeconds: 0, shards: 0 });
    t.seconds += f.seconds;
    t.cpuSeconds += f.cpuSeconds;
    t.shards++;
  }
  const uniq = (v: string[]) => [...new Set(v)].sort().join(' | ');
  const commits = [...new Set(files.map((f) => f.commit))];
  const report = buildReport({
    settings: s, records: jobRecords(files), commit: commits.length === 1 ? commits[0] : 'unknown', commits: commits.sort(), adapter: uniq(files.map((f) => f.adapter)),
    argv: files.find((f) => f.stage === STAGES[0])?.argv ?? argv, inputFiles: await inputFileEntries(s.model), stageTiming, createdAt: new Date().toISOString(),
  });
  const name = baseName(s);
  await writeAtomic(join(out, `${name}.json`), `${JSON.stringify(report.file, null, 2)}\n`);
  await writeAtomic(join(out, `${name}.md`), `${report.markdown}\n`);
  await writeAtomic(join(out, `${name}.svg`), report.svg);
  console.log(report.markdown);
  console.log(`wrote ${join(out, `${name}.json`)}, .md and .svg`);
}

/**
 * `--parallel N`: this machine as N shards — N child processes of this script (`--shard=i/N --wait`: each waits
 * at a stage for the others), their output prefixed. One process keeps about one core busy (the host side of
 * each step is serial), so 2 cores take 2.
 */
async function runParallel(n: number, out: string): Promise<void> {
  if (!Number.isInteger(n) || n < 1) throw new Error(`--parallel must be a positive integer, got ${n}`);
  const own = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--parallel') && !(all[i - 1] === '--parallel'));
  const codes = await Promise.all(Array.from({ length: n }, (_, i) => new Promise<number>((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, process.argv[1], ...own, '--out', out, `--shard=${i}/${n}`, '--wait'], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('exit', (code) => resolve(code ?? 1));
  })));
  if (codes.some((c) => c !== 0)) throw new Error(`--parallel: shard exit codes ${codes.join(', ')} (rerun the same command: finished jobs are kept)`);
}

async function main(): Promise<void> {
  const A = args();
  const argv = process.argv.slice(2);
  if (A.merge !== undefined) {
    await merge(A.merge === 'true' ? A.out ?? 'results' : A.merge, argv);
    process.exit(0);
  }
  const model = A.model ?? 'public/models/tiny-clip';
  const s = runSettings(A, model);
  const out = A.out ?? (s.sweep.mode === 'quick' ? 'results' : s.sweep.mode === 'smoke' ? '.tmp/reproduce-smoke' : '.tmp/reproduce');
  const parallel = A.shard === undefined ? numberFlag(A, 'parallel', s.sweep.mode === 'quick' ? 2 : 1) : 1;
  if (parallel > 1) {
    await runParallel(parallel, out);
    await merge(out, argv);
    process.exit(0);
  }
  const shard = parseShard(A.shard);
  console.log(`reproduce (${s.sweep.mode}) shard ${shard.index}/${shard.count} → ${out}: ${JSON.stringify(s)}`);
  const complete = await runShard(s, out, shard, A.wait === 'true');
  if (complete && A.shard === undefined) await merge(out, argv);
  else if (complete) console.log(`every stage is complete: npm run reproduce -- --merge ${out}`);
  process.exit(0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
