/**
 * Running one job of the sweep on the GPU: a training job fine-tunes one method × seed × setting within the pass
 * budget and writes the model folder (ONNX, transformers.js layout) under `<out>/models/`; an evaluation job reads
 * a model folder back (checking its sha256 against the training record) and runs the protocol on one set.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { GpuContext } from '../../../src/gpu/context';
import type { ImageDataset } from '../../../src/data/bundle';
import { loadSplitFromDir } from '../../../src/data/node';
import { defaultFineTuneConfig, withFineTuneConfig, type FineTuneConfig, type MethodName } from '../../../src/methods/config';
import { FineTuneData } from '../../../src/methods/data';
import { evaluateRobust, maskingLines, type EvalSet } from '../../../src/methods/evaluate';
import { fineTunedFolder, fineTuneModelFor, loadClipFiles, tokenizerPrompts, type LoadedClip } from '../../../src/methods/load';
import { createMethod, FineTuneLoop, NonFiniteStepError, methodPromptSelection, stepsForBudget, type StepMetrics } from '../../../src/methods/loop';
import { encodeBits, type ResultsFileEntry } from '../../../src/methods/results';
import type { ClipFolderFiles } from '../../../src/onnx/clip/folder';
import { curveFromSteps, type CurveStep } from '../../../src/methods/resultsCurve';
import { readClipFolder, writeClipFolder } from '../../../src/onnx/clip/node';
import { manifest } from '../common';
import { KNOBS, PRETRAINED, idToName, type EvalJob, type TrainJob } from './plan';
import type { RunSettings } from './options';
import type { EvalRecord, TrainRecord } from './shard';

/** CPU seconds of this process (user + system, every thread: lavapipe's included). */
export const cpuSeconds = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

const sha256 = (b: string | Uint8Array) => createHash('sha256').update(b).digest('hex');

/** The ONNX files of a model folder with their sha256 (paths relative to the out dir). */
export function modelFileEntries(dir: string, files: ClipFolderFiles): ResultsFileEntry[] {
  return (['onnx/vision_model.onnx', 'onnx/text_model.onnx'] as const).map((rel) => ({ path: join(dir, rel), bytes: files[rel].length, sha256: sha256(files[rel]) }));
}

export class JobRunner {
  private readonly sets = new Map<string, ImageDataset>();
  private budgetPasses: number | undefined;

  private constructor(
    readonly ctx: GpuContext, readonly s: RunSettings, readonly out: string, readonly baseFiles: ClipFolderFiles, readonly clip: LoadedClip,
    /** Whether a horizontal flip keeps Fashion-MNIST's class (the manifest's `hflip`). */
    private readonly hflip: boolean, private readonly log: (m: string) => void,
  ) {}

  static async create(ctx: GpuContext, s: RunSettings, out: string, baseFiles: ClipFolderFiles, log: (m: string) => void): Promise<JobRunner> {
    const fm = (await manifest()).datasets.find((d) => d.id === 'fashion-mnist');
    if (!fm) throw new Error('the data bundle has no fashion-mnist');
    return new JobRunner(ctx, s, out, baseFiles, loadClipFiles(baseFiles), fm.hflip, log);
  }

  async set(name: string): Promise<ImageDataset> {
    let d = this.sets.get(name);
    if (!d) {
      const [dataset, split] = name.split('/');
      d = (await loadSplitFromDir(dataset, split)).data;
      this.sets.set(name, d);
    }
    return d;
  }

  /** A method's config at one training ε and seed, before its knob (the shared settings; towers and prompts: defaults). */
  baseConfig(method: MethodName, seed: number, trainEps255: number): FineTuneConfig {
    const t = this.s.training;
    return withFineTuneConfig(defaultFineTuneConfig(method), {
      seed, batchSize: t.batch, lr: t.lr, textLrMultiplier: t.textLrMultiplier, warmupSteps: t.warmupSteps, evalEvery: 0,
      attack: { eps: trainEps255 / 255, steps: t.attackSteps }, aos: { augmentations: t.augmentations },
    });
  }

  private async prompts() {
    return tokenizerPrompts(this.clip.tokenizer, (await this.set('fashion-mnist/train')).classes);
  }

  /** The budget in vision-tower passes: `aosSteps` steps of AoS at the first seed and its default λ. */
  async budget(): Promise<number> {
    if (this.budgetPasses === undefined) {
      const prompts = await this.prompts();
      const c = this.baseConfig('aos', 0, 8);
      const p = prompts(methodPromptSelection(c));
      this.budgetPasses = this.s.training.aosSteps * createMethod(c).passesPerStep(c.batchSize, p.classes * p.perClass).vision;
    }
    return this.budgetPasses;
  }

  async train(job: TrainJob): Promise<TrainRecord> {
    const t0 = Date.now(), c0 = cpuSeconds();
    const prompts = await this.prompts();
    let config = KNOBS[job.method].apply(this.baseConfig(job.method, job.seed, job.trainEps255), job.knobMultiplier);
    const p = prompts(methodPromptSelection(config));
    config = withFineTuneConfig(config, { steps: stepsForBudget(createMethod(config), config.batchSize, p.classes * p.perClass, await this.budget()) });
    const train = await this.set('fashion-mnist/train');
    const ft = await fineTuneModelFor(this.ctx, this.clip, config);
    let last: StepMetrics | undefined;
    const curveSteps: CurveStep[] = [];
    let files: ClipFolderFiles;
    let nonFiniteAt: number | undefined;
    try {
      const data = new FineTuneData(train, { seed: job.seed, hflip: this.hflip, augment: config.augment, limit: this.s.training.trainLimit || undefined });
      const loop = FineTuneLoop.create(this.ctx, { config, model: ft, data, prompts });
      try {
        await loop.run({
          // No live progress to draw: the metrics stay on the GPU and are read every 10 steps (GPU sessions then
          // read nothing back inside a step; the same run and metrics as reading every step).
          metricsEvery: 10,
          onStep: (m) => {
            if (!m.nonFinite) last = m;
            curveSteps.push({ step: m.step, loss: m.loss, terms: m.terms, gradNorm: m.gradNorm, termGradNorms: m.termGradNorms, clipFactor: m.clipFactor });
            if (m.step % 20 === 0 || m.step === config.steps) this.log(`${job.id} step ${m.step}/${config.steps} loss ${m.loss.toFixed(4)} |g| ${m.gradNorm.toFixed(3)}`);
          },
        });
      } catch (e) {
        // A diverged candidate (e.g. the largest lr) is a result, not a crash: its weights are those of the last
        // finite step (the GPU masked the update); the record says where it stopped.
        if (!(e instanceof NonFiniteStepError)) throw e;
        nonFiniteAt = e.metrics.step;
        this.log(`${job.id}: gradient not finite at step ${nonFiniteAt}; kept the weights of step ${nonFiniteAt - 1}`);
      }
      files = fineTunedFolder(this.clip, await ft.weights(), `aos-workbench/${job.id}`);
    } finally {
      await ft.release();
    }
    // The folder appears whole or not at all: written beside, then renamed over any leftover of a crashed run.
    const modelDir = join('models', idToName(job.id));
    const dir = join(this.out, modelDir), tmp = `${dir}.tmp-${process.pid}`;
    await rm(tmp, { recursive: true, force: true });
    await writeClipFolder(tmp, files);
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
    return {
      kind: 'train', id: job.id, stage: job.stage, method: job.method, seed: job.seed, trainEps255: job.trainEps255, knobMultiplier: job.knobMultiplier,
      config, steps: config.steps, passes: { vision: last?.passes.vision ?? 0, text: last?.passes.text ?? 0 }, distinctImages: last?.distinctImages ?? 0,
      finalLoss: Number.isFinite(last?.loss) ? last!.loss : null, ...(nonFiniteAt !== undefined ? { nonFiniteAt } : {}), terms: last?.terms ?? {}, curve: curveFromSteps(curveSteps), modelDir, files: modelFileEntries(modelDir, files),
      seconds: (Date.now() - t0) / 1000, cpuSeconds: cpuSeconds() - c0,
    };
  }

  /** The model of an eval job: the bundled one, or a trained folder whose ONNX files match the training record. */
  private async modelFiles(model: string, trained: ReadonlyMap<string, TrainRecord>): Promise<ClipFolderFiles> {
    if (model === PRETRAINED) return this.baseFiles;
    const rec = trained.get(model);
    if (!rec) throw new Error(`no training record for ${model}`);
    const dir = join(this.out, rec.modelDir);
    if (!existsSync(dir)) throw new Error(`${dir}: model folder missing (the training shard's out dir must be shared)`);
    const files = await readClipFolder(dir);
    const now = modelFileEntries(rec.modelDir, files);
    for (const [i, f] of now.entries()) if (f.sha256 !== rec.files[i].sha256) throw new Error(`${f.path}: sha256 ${f.sha256} differs from the training record's ${rec.files[i].sha256}`);
    return files;
  }

  async evaluate(job: EvalJob, trained: ReadonlyMap<string, TrainRecord>): Promise<EvalRecord> {
    const t0 = Date.now(), c0 = cpuSeconds();
    const sw = this.s.sweep;
    const files = await this.modelFiles(job.model, trained);
    const [dataset, split] = job.set.split('/');
    const set: EvalSet = { dataset, split, data: await this.set(job.set) };
    const headline = sw.headlineEps255 / 255;
    const base = { attacks: [], protocol: this.s.protocol, batch: this.s.evalBatch, seed: 0 };
    const progress = (m: string) => this.log(`${job.id}: ${m}`);
    // The headline ε on the most images (its cascade attacks only survivors); val jobs stop there.
    const [head] = await evaluateRobust(this.ctx, files, [set], { ...base, epsilons: [headline], limit: job.purpose === 'val' ? sw.valLimit : sw.headlineLimit, masking: false, onProgress: progress });
    const results = [head];
    const others = sw.evalEps255.filter((e) => e !== sw.headlineEps255).map((e) => e / 255);
    if (job.purpose === 'test' && others.length) {
      // The rest of the grid on fewer images, with the masking report over the whole grid.
      results.push((await evaluateRobust(this.ctx, files, [set], { ...base, epsilons: others, limit: sw.otherLimit, maskingEpsilons: sw.evalEps255.map((e) => e / 255), onProgress: progress }))[0]);
    }
    const cells = [{ set: job.set, eps: 0, n: head.count, correct: encodeBits(head.cleanCorrect!) }];
    const stages: EvalRecord['stages'] = [];
    for (const r of results) {
      for (const e of r.robust) {
        cells.push({ set: job.set, eps: e.eps, n: r.count, correct: encodeBits(e.correct!) });
        stages.push({ eps: e.eps, n: r.count, stages: e.stages ?? [], lostBySnapping: e.lostBySnapping ?? 0 });
      }
    }
    cells.sort((a, b) => a.eps - b.eps);
    stages.sort((a, b) => a.eps - b.eps);
    const masking = maskingLines(results)[0];
    return {
      kind: 'eval', id: job.id, stage: job.stage, model: job.model, set: job.set, purpose: job.purpose, cells, stages,
      ...(masking ? { masking } : {}), warnings: results.flatMap((r) => r.warnings),
      seconds: (Date.now() - t0) / 1000, cpuSeconds: cpuSeconds() - c0,
    };
  }
}
