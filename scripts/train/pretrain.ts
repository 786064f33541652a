/**
 * npm run pretrain -- [--steps N] [--batch B] [--out DIR] [--seed S] [--ckpt FILE] [--lr X] [--warmup N]
 *                     [--vision-width D] [--vision-layers L] [--text-width D] [--text-layers L] [--proj P]
 *                     [--ckpt-every N] [--log-every N] [--fresh]
 *
 * Pretrains a small CLIP from scratch with src/train on Fashion-MNIST train + MNIST train (bundled), captions =
 * random template × synonym of the image's class. Resumes from --ckpt when it exists (same flags), checkpoints every
 * --ckpt-every steps and on SIGINT/SIGTERM. Writes the transformers.js folder to --out plus metrics.json.
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { GpuContext } from '../../src/gpu/context';
import { shaderSources } from '../../src/kernels/shaders';
import { loadSplitFromDir } from '../../src/data/node';
import { promptGroups } from '../../src/data/prompts';
import { buildClipFolder, withClipConfig, tinyClipConfig, type ClipConfig } from '../../src/onnx/clip';
import { writeClipFolder } from '../../src/onnx/clip/node';
import { ClipTrainer } from '../../src/train/trainer';
import { lrAt } from '../../src/train/schedule';
import { PretrainData } from '../../src/train/data';
import { ClipEmbedder } from '../../src/train/zeroshot';
import { encodeCheckpoint } from '../../src/train/checkpoint';
import { loadCheckpointFile, saveCheckpointFile } from '../../src/train/checkpoint.node.js';
import { scriptFlags, numberFlag } from '../cli';


const A = scriptFlags();
const num = (k: string, d: number): number => numberFlag(A, k, d);
// Defaults are the committed public/models/tiny-clip run (its metrics.json records them).
const steps = num('steps', 2600), batch = num('batch', 128), seed = num('seed', 1234);
const out = A.out ?? 'public/models/tiny-clip';
const ckptPath = A.ckpt ?? `/tmp/aos-pretrain/${out.replace(/[^a-zA-Z0-9]+/g, '_')}.ckpt`;
const ckptEvery = num('ckpt-every', 200), logEvery = num('log-every', 20);
const evalLimit = num('eval-limit', 0);

const config: ClipConfig = withClipConfig(tinyClipConfig, {
  projectionDim: num('proj', 64),
  vision: { width: num('vision-width', 96), layers: num('vision-layers', 4), heads: num('vision-heads', 4), mlpRatio: 2 },
  text: { width: num('text-width', 64), layers: num('text-layers', 2), heads: 2, mlpRatio: 2, contextLength: num('context', 16) },
  logitScale: Math.log(num('scale', 20)),
});
const hyper = { lr: num('lr', 1.5e-3), warmup: num('warmup', 200), weightDecay: num('wd', 0.05), maxGradNorm: num('clip', 1) };

async function main(): Promise<void> {
  const t0 = Date.now();
  const fm = await loadSplitFromDir('fashion-mnist', 'train');
  const mn = await loadSplitFromDir('mnist', 'train');
  const texts = [...promptGroups(fm.data.classes).flat(), ...promptGroups(mn.data.classes).flat()];
  const init = buildClipFolder(config, { texts, seed, name: 'aos-workbench/tiny-clip' });
  const tokenizerJson = init.files['tokenizer.json'];
  const cfg = init.config;
  const ctx = await GpuContext.create({ shaders: shaderSources, label: 'pretrain' });
  const trainer = await ClipTrainer.create(ctx, {
    config: cfg, weights: init.weights, batch, logitScale: cfg.logitScale,
    optimizer: { weightDecay: hyper.weightDecay, maxGradNorm: hyper.maxGradNorm },
    schedule: { peak: hyper.lr, warmupSteps: hyper.warmup, totalSteps: steps },
  });
  const data = new PretrainData([
    { id: 'fashion-mnist', data: fm.data, hflip: fm.manifest.datasets.find((d) => d.id === 'fashion-mnist')!.hflip },
    { id: 'mnist', data: mn.data, hflip: false },
  ], tokenizerJson, { seed });
  const params = trainer.count;
  console.log(`pretrain: ${params} parameters (vision ${trainer.layout.filter((s) => s.tower === 'vision').reduce((a, s) => a + s.count, 0)}), batch ${batch}, ${steps} steps, ${data.size} images (${(steps * batch / data.size).toFixed(1)} epochs), seed ${seed}, ckpt ${ckptPath}`);
  let elapsedBefore = 0;
  if (!A.fresh) {
    const ck = await loadCheckpointFile(ckptPath);
    if (ck) {
      await trainer.loadState(ck.state);
      elapsedBefore = Number(ck.meta.extra.trainSeconds ?? 0);
      console.log(`resumed at step ${ck.meta.step} (${elapsedBefore.toFixed(0)} s trained before)`);
    }
  }
  const save = async (): Promise<void> => {
    const s = await trainer.state();
    await saveCheckpointFile(ckptPath, encodeCheckpoint(s, seed, { trainSeconds: elapsedBefore + (Date.now() - tStart) / 1000, argv: process.argv.slice(2) }));
  };
  let stopping = false;
  const onSignal = (): void => { stopping = true; };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const tStart = Date.now();
  let ema = NaN, emaAcc = NaN, tWin = Date.now(), nWin = 0;
  const startStep = trainer.step;
  // --deadline-min M: finish this invocation within M minutes of wall time. The schedule then advances by
  // max(steps done, the time-proportional share of the remaining steps), so the LR decays to its end in time.
  const deadline = A['deadline-min'] ? Number(A['deadline-min']) * 60_000 : 0;
  const sched = { peak: hyper.lr, warmupSteps: hyper.warmup, totalSteps: steps };
  const effectiveStep = (): number => {
    const next = trainer.step + 1;
    if (!deadline) return next;
    return Math.max(next, Math.floor(startStep + ((steps - startStep) * (Date.now() - tStart)) / deadline));
  };
  while (effectiveStep() <= steps && !stopping) {
    const b = data.batch(trainer.step + 1, batch);
    const r = await trainer.trainStep(b, deadline ? { lr: lrAt(effectiveStep(), sched) } : {});
    ema = Number.isNaN(ema) ? r.loss : 0.95 * ema + 0.05 * r.loss;
    emaAcc = Number.isNaN(emaAcc) ? r.accI2T : 0.95 * emaAcc + 0.05 * r.accI2T;
    nWin++;
    if (r.step % logEvery === 0 || r.step === steps) {
      const now = Date.now(), ips = (nWin * batch) / ((now - tWin) / 1000);
      const eta = deadline ? Math.max(0, (deadline - (now - tStart)) / 1000) : ((steps - r.step) * batch) / ips;
      console.log(`step ${r.step}/${steps} loss ${r.loss.toFixed(4)} (ema ${ema.toFixed(4)}) acc ${emaAcc.toFixed(3)} lr ${r.lr.toExponential(2)} |g| ${(await trainer.lastGradNorm()).toFixed(3)} ${ips.toFixed(0)} img/s ETA ${(eta / 60).toFixed(1)} min`);
      tWin = now;
      nWin = 0;
    }
    if (r.step % ckptEvery === 0) await save();
  }
  if (deadline) console.log(`deadline schedule: stopped at step ${trainer.step} (schedule position ${Math.min(steps, effectiveStep() - 1)}/${steps})`);
  await save();
  const trainSeconds = elapsedBefore + (Date.now() - tStart) / 1000;
  if (stopping) {
    console.log(`interrupted at step ${trainer.step}: checkpoint saved to ${ckptPath}`);
    await trainer.release();
    process.exit(130);
  }
  console.log(`trained ${trainer.step - startStep} steps this run; ${trainSeconds.toFixed(0)} s in all`);
  const weights = await trainer.weights();
  const folder = buildClipFolder(cfg, { tokenizer: tokenizerJson, weights, name: 'aos-workbench/tiny-clip' });
  await writeClipFolder(out, folder.files);
  const emb = await ClipEmbedder.create(ctx, folder.files);
  const results: Record<string, Record<string, unknown>> = {};
  // digits (UCI, upsampled) is held out: never trained on, a transfer check.
  for (const [id, splits] of [['fashion-mnist', ['val', 'test']], ['mnist', ['val', 'test']], ['digits', ['test']]] as const) {
    results[id] = {};
    for (const split of splits) {
      const { data: d } = await loadSplitFromDir(id, split);
      const m = await emb.evaluate(d, evalLimit || d.count);
      results[id][split] = { count: m.count, top1: m.top1, top5: m.top5, perClass: Object.fromEntries(m.perClass.map((c) => [c.class, c.accuracy])) };
      console.log(`zero-shot ${id}/${split}: top-1 ${(100 * m.top1).toFixed(2)} %, top-5 ${(100 * m.top5).toFixed(2)} % (${m.count} images)`);
    }
  }
  const sha: Record<string, string> = {};
  for (const f of Object.keys(folder.files).sort()) sha[f] = createHash('sha256').update(await readFile(join(out, f))).digest('hex');
  const metrics = {
    model: 'tiny-clip', seed, steps: trainer.step, batch, parameters: params,
    config: { imageSize: cfg.imageSize, patchSize: cfg.patchSize, vision: cfg.vision, text: cfg.text, projectionDim: cfg.projectionDim, logitScale: cfg.logitScale, logitScaleFixed: true },
    hyper, deadlineMinutes: deadline ? deadline / 60_000 : null, scheduleNote: deadline ? 'LR followed max(step, time share of --deadline-min) on the cosine schedule after resuming' : null, data: { train: ['fashion-mnist/train', 'mnist/train'], images: data.size, epochs: (trainer.step * batch) / data.size, augment: 'light (src/train/data.ts lightAugment)' },
    trainSeconds, wallSeconds: (Date.now() - t0) / 1000, host: `${process.platform} ${process.arch}, onnxruntime-node CPU, ${(await import('node:os')).cpus().length} cores`,
    zeroShot: results, sha256: sha,
  };
  await mkdir(out, { recursive: true });
  await writeFile(join(out, 'metrics.json'), `${JSON.stringify(metrics, null, 2)}\n`);
  console.log(`wrote ${out} (metrics.json)`);
  await emb.release();
  await trainer.release();
  process.exit(0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
