/**
 * npm run reproduce -- [--quick | --smoke] [--seeds 0,1,2] [--ablation-seeds 0] [--model DIR] [--aos-steps 200]
 *                      [--batch 32] [--m 4] [--templates 8] [--synonyms 3] [--lr 1e-4] [--text-lr-mult 0.1]
 *                      [--train-eps 8] [--train-steps 2] [--limit 1000] [--eps 1,2,4,8,16] [--pgd-steps 10]
 *                      [--apgd-steps 20] [--lambda-grid 0.25,1,4] [--val-limit 500] [--rows aos,tecoa,…]
 *                      [--val-every 0] [--log-every 10] [--out DIR]
 *
 * The miniature of the AoS paper's table: fine-tune the bundled tiny CLIP on Fashion-MNIST train with each method
 * at an EQUAL BUDGET of vision-tower passes (the budget of --aos-steps AoS steps; every method gets the steps it can
 * afford, see src/methods/loop.ts), then zero-shot clean and robust accuracy (per-sample worst case of PGD and APGD,
 * L∞) on Fashion-MNIST test, MNIST test and digits. Rows: no defence, TeCoA, PMG-AFT, FARE, AoS, AoS w/o text terms
 * (λ2 = λ3 = 0), AoS w/o the adversarial→clean term (λ1 = 0), AoS rank 1 (mean-direction alignment).
 *
 * λ selection: before the table, AoS (seed 0) is trained once per scale s of --lambda-grid (λᵢ = s × its default, the
 * defaults chosen per term by `npm run sweep-lambda`, results/lambda-sweep.md) and
 * evaluated on the first --val-limit images of Fashion-MNIST VAL (PGD-10 at the training ε); the best robust val
 * accuracy (ties: clean) picks the λ's of every AoS row. The baselines keep their papers' settings.
 * Main rows run every seed of --seeds; the ablation rows the seeds of --ablation-seeds. Tables give the mean ± the
 * 95 % t-interval over seeds. Writes reproduce.json (every run: configs, steps, passes, timings, CPU seconds,
 * training metrics, evaluations) and reproduce.md (tables + cost arithmetic) to --out.
 *
 * Modes: (default) the full table — hours on 2 CPU cores, minutes on a GPU; --quick: the committed table
 * (results/reproduce-quick.md: a 40-AoS-step budget, 150 images per evaluation set, ε 4/8/16), sized to
 * finish in well under 90 min on 2 cores with no GPU; --smoke: a few steps and
 * a handful of images (falls back to a random-init model when the bundled one is missing) — its numbers mean nothing.
 *
 * Training ε: 8/255 by default (--train-eps, in /255). On 28×28×1 images an L∞ ball of 1/255 has an L2 radius of
 * 28/255 ≈ 0.11, about 14× smaller than at CLIP's 224×224×3 where the papers train at 1/255; the undefended tiny
 * CLIP keeps most of its accuracy up to 4/255 and loses it between 8/255 and 16/255, so 8/255 is where a defence
 * has something to do.
 */
import { GpuContext } from '../../src/gpu/context';
import { shaderSources } from '../../src/kernels/shaders';
import { loadSplitFromDir } from '../../src/data/node';
import { evaluateRobust, type EvalAttack, type EvalSet, type SetResult } from '../../src/methods/evaluate';
import { DEFAULT_AOS, defaultFineTuneConfig, withFineTuneConfig, type AosOptions, type FineTuneConfig, type MethodName } from '../../src/methods/config';
import { FineTuneData, splitBatch } from '../../src/methods/data';
import { fineTunedFolder, fineTuneModelFor, loadClipFiles, tokenizerPrompts } from '../../src/methods/load';
import { createMethod, FineTuneLoop, methodPromptSelection, stepsForBudget, type StepMetrics } from '../../src/methods/loop';
import { numberFlag } from '../cli';
import { args, chooseModel, manifest, numberList, writeOutputs } from './common';

interface Row {
  id: string;
  label: string;
  method?: MethodName;
  aos?: Partial<AosOptions>;
}

const ROWS: Row[] = [
  { id: 'no-defence', label: 'no defence (pre-trained)' },
  { id: 'tecoa', label: 'TeCoA', method: 'tecoa' },
  { id: 'pmg-aft', label: 'PMG-AFT', method: 'pmg-aft' },
  { id: 'fare', label: 'FARE', method: 'fare' },
  { id: 'aos', label: 'AoS', method: 'aos' },
  { id: 'aos-no-text', label: 'AoS w/o text terms (λ2 = λ3 = 0)', method: 'aos', aos: { lambda2: 0, lambda3: 0 } },
  { id: 'aos-no-adv-clean', label: 'AoS w/o adversarial→clean term (λ1 = 0)', method: 'aos', aos: { lambda1: 0 } },
  { id: 'aos-rank1', label: 'AoS rank 1 (mean-direction alignment)', method: 'aos', aos: { rank1: true } },
];

/** Two-sided 97.5 % quantiles of Student's t for 1…30 degrees of freedom (then 1.96). */
const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

function meanCi(v: number[]): { mean: number; ci: number; n: number } {
  const n = v.length, mean = v.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, ci: NaN, n };
  const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  return { mean, ci: (T975[n - 2] ?? 1.96) * sd / Math.sqrt(n), n };
}

const fmt = (x: { mean: number; ci: number }) => `${(100 * x.mean).toFixed(1)}${Number.isFinite(x.ci) ? ` ± ${(100 * x.ci).toFixed(1)}` : ''}`;

type Mode = 'full' | 'quick' | 'smoke';

/** The λ of AoS at scale s of the search: s × each term's default. */
const scaledLambdas = (s: number) => ({ lambda1: s * DEFAULT_AOS.lambda1, lambda2: s * DEFAULT_AOS.lambda2, lambda3: s * DEFAULT_AOS.lambda3 });

/** Defaults per mode: [full, quick, smoke]. */
function modeDefault(mode: Mode, full: number, quick: number, smoke: number): number {
  return mode === 'full' ? full : mode === 'quick' ? quick : smoke;
}

const MAIN_ROWS = new Set(['no-defence', 'tecoa', 'pmg-aft', 'fare', 'aos']);

interface RunRecord {
  row: string;
  seed: number;
  steps?: number;
  passes?: unknown;
  trainSeconds?: number;
  evalSeconds: number;
  last?: StepMetrics;
  config?: FineTuneConfig;
  eval: SetResult[];
}

/** CPU seconds of this process (user + system, every thread: lavapipe's and onnxruntime's included). */
const cpuSeconds = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

async function main(): Promise<void> {
  const A = args();
  const mode: Mode = A.smoke === 'true' ? 'smoke' : A.quick === 'true' ? 'quick' : 'full';
  const num = (k: string, full: number, quick: number, smoke: number): number => numberFlag(A, k, modeDefault(mode, full, quick, smoke));
  const seeds = numberList(A.seeds, mode === 'smoke' ? [0] : [0, 1, 2]);
  const ablationSeeds = numberList(A['ablation-seeds'], mode === 'full' ? seeds : [seeds[0]]);
  const B = num('batch', 32, 32, 4), m = num('m', 4, 4, 2), aosSteps = num('aos-steps', 200, 40, 2);
  const evalEps = numberList(A.eps, mode === 'full' ? [1, 2, 4, 8, 16] : mode === 'quick' ? [4, 8, 16] : [1, 4]).map((e) => e / 255);
  const pgdSteps = num('pgd-steps', 10, 10, 2), apgdSteps = num('apgd-steps', 20, 20, 0);
  const limit = num('limit', 1000, 150, 8), valEvery = num('val-every', 0, 0, 0), logEvery = num('log-every', 10, 10, 1);
  const lambdaGrid = numberList(A['lambda-grid'], mode === 'smoke' ? [1] : mode === 'quick' ? [0.3, 1, 3] : [0.25, 1, 4]);
  const valLimit = num('val-limit', 500, 200, 8);
  const trainEps = num('train-eps', 8, 8, 4) / 255;
  const rows = A.rows ? ROWS.filter((r) => A.rows.split(',').includes(r.id)) : ROWS;
  const out = A.out ?? (mode === 'quick' ? 'results' : mode === 'smoke' ? '.tmp/reproduce-smoke' : '.tmp/reproduce');
  const name = mode === 'full' ? 'reproduce' : `reproduce-${mode}`;
  const t0 = Date.now(), cpu0 = cpuSeconds();

  const model = await chooseModel(A.model, mode === 'smoke');
  const clip = loadClipFiles(model.files);
  const man = await manifest();
  const fm = man.datasets.find((d) => d.id === 'fashion-mnist')!;
  const train = (await loadSplitFromDir('fashion-mnist', 'train')).data;
  const val = (await loadSplitFromDir('fashion-mnist', 'val')).data;
  const sets: EvalSet[] = [];
  for (const [dataset, split] of [['fashion-mnist', 'test'], ['mnist', 'test'], ['digits', 'test']] as const) sets.push({ dataset, split, data: (await loadSplitFromDir(dataset, split)).data });
  const attacks: EvalAttack[] = [];
  if (pgdSteps > 0) attacks.push({ name: `PGD-${pgdSteps}`, method: 'pgd', steps: pgdSteps, loss: 'ce' });
  if (apgdSteps > 0) attacks.push({ name: `APGD-CE-${apgdSteps}`, method: 'apgd', steps: apgdSteps, loss: 'ce' });
  const evalBatch = Math.min(num('eval-batch', 50, 50, 8), limit);

  const base = (method: MethodName, seed: number, patch: Partial<AosOptions> = {}): FineTuneConfig => withFineTuneConfig(defaultFineTuneConfig(method), {
    seed, batchSize: B, lr: numberFlag(A, 'lr', 1e-4), textLrMultiplier: numberFlag(A, 'text-lr-mult', 0.1), warmupSteps: num('warmup', 10, 10, 0),
    evalEvery: valEvery, valBatch: num('val-batch', 64, 64, 4), valAttackSteps: num('val-attack-steps', 10, 10, 2),
    attack: { eps: trainEps, steps: num('train-steps', 2, 2, 1) },
    prompts: { templates: num('templates', 8, 8, 2), synonyms: num('synonyms', 3, 3, 2) },
    aos: { augmentations: m, ...patch },
  });
  // The budget: --aos-steps steps of (full) AoS, in vision-tower passes.
  const prompts = tokenizerPrompts(clip.tokenizer, train.classes);
  const promptCount = (c: FineTuneConfig) => { const p = prompts(methodPromptSelection(c)); return p.classes * p.perClass; };
  const aosConfig = base('aos', seeds[0]);
  const budget = aosSteps * createMethod(aosConfig).passesPerStep(B, promptCount(aosConfig)).vision;
  console.log(`reproduce (${mode}): model ${model.source}; budget ${budget} vision passes (= ${aosSteps} AoS steps at batch ${B}, m = ${m}); seeds ${seeds.join(',')} (ablations ${ablationSeeds.join(',')}); λ grid ${lambdaGrid.join(',')}; eval ${sets.map((s) => `${s.dataset}/${s.split}`).join(', ')} (first ${limit}), ε ${evalEps.map((e) => +(e * 255).toFixed(2)).join(',')}/255, ${attacks.map((a) => a.name).join(' + ')}`);

  const ctx = await GpuContext.create({ shaders: shaderSources, label: 'reproduce' });
  const valSet = splitBatch(val, 0, num('val-batch', 64, 64, 4));

  /** Fine-tunes one row at one seed within the budget; returns the fine-tuned folder and its record. */
  const fineTune = async (rowId: string, method: MethodName, seed: number, patch: Partial<AosOptions>) => {
    let config = base(method, seed, patch);
    const steps = stepsForBudget(createMethod(config), B, promptCount(config), budget);
    config = withFineTuneConfig(config, { steps });
    const ft = await fineTuneModelFor(ctx, clip, config);
    const data = new FineTuneData(train, { seed, hflip: fm.hflip, augment: config.augment, limit: A['train-limit'] ? numberFlag(A, 'train-limit', 0) : undefined });
    const loop = FineTuneLoop.create(ctx, { config, model: ft, data, prompts, validation: valEvery > 0 ? valSet : undefined });
    const tTrain = Date.now();
    let last: StepMetrics | undefined;
    await loop.run({
      onStep: (s) => {
        last = s;
        if (s.step % logEvery === 0 || s.step === steps) {
          const terms = Object.entries(s.terms).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(', ');
          const angles = s.angles ? ` angles° ${Object.entries(s.angles).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}` : '';
          const v = s.val ? ` val clean ${(100 * s.val.clean).toFixed(1)} robust ${(100 * s.val.robust).toFixed(1)}` : '';
          console.log(`${rowId} seed ${seed} step ${s.step}/${steps} loss ${s.loss.toFixed(4)} (${terms})${angles} |g| ${s.gradNorm.toFixed(3)} lr ${s.lr.vision.toExponential(2)}${v} ${s.seconds.toFixed(2)} s`);
        }
      },
    });
    const trainSeconds = (Date.now() - tTrain) / 1000;
    const files = fineTunedFolder(clip, await ft.weights(), `aos-workbench/${rowId}`);
    const passes = structuredClone(ft.passes);
    await ft.release();
    return { files, record: { steps, passes, trainSeconds, last, config } };
  };

  // λ on the validation split.
  const seconds = { lambda: 0, train: 0, eval: 0 };
  const cpu = { lambda: 0 };
  const lambdaTrials: Array<{ scale: number; clean: number; robust: number; trainSeconds: number }> = [];
  let scale = lambdaGrid[0];
  if (rows.some((r) => r.method === 'aos')) {
    const tL = Date.now(), cL = cpuSeconds();
    const valEval = { epsilons: [trainEps], attacks: [{ name: `PGD-${pgdSteps || 10}`, method: 'pgd' as const, steps: pgdSteps || 10, loss: 'ce' as const }], batch: Math.min(evalBatch, valLimit), limit: valLimit, seed: 999 };
    for (const s of lambdaGrid) {
      if (lambdaGrid.length === 1) break;
      const { files, record } = await fineTune(`lambda×${s}`, 'aos', seeds[0], scaledLambdas(s));
      const [r] = await evaluateRobust(ctx, files, [{ dataset: 'fashion-mnist', split: 'val', data: val }], valEval);
      lambdaTrials.push({ scale: s, clean: r.clean, robust: r.robust[0].worst, trainSeconds: record.trainSeconds });
      console.log(`λ = ${s}: val clean ${(100 * r.clean).toFixed(1)} robust@${+(trainEps * 255).toFixed(2)} ${(100 * r.robust[0].worst).toFixed(1)}`);
    }
    if (lambdaTrials.length) scale = [...lambdaTrials].sort((a, b) => b.robust - a.robust || b.clean - a.clean)[0].scale;
    seconds.lambda = (Date.now() - tL) / 1000;
    cpu.lambda = cpuSeconds() - cL;
    console.log(`λ chosen on val: λᵢ = ${scale} × default (${JSON.stringify(scaledLambdas(scale))})`);
  }
  const chosen = scaledLambdas(scale);

  const runs: RunRecord[] = [];
  for (const row of rows) {
    for (const seed of MAIN_ROWS.has(row.id) ? seeds : ablationSeeds) {
      const evalOpts = { epsilons: evalEps, attacks, batch: evalBatch, limit, seed: 1000 + seed };
      let files = model.files, record: Partial<RunRecord> = {};
      if (row.method) {
        const patch = row.method === 'aos' ? { ...chosen, ...row.aos } : {};
        ({ files, record } = await fineTune(row.id, row.method, seed, patch));
        seconds.train += record.trainSeconds ?? 0;
      }
      const tE = Date.now();
      const ev = await evaluateRobust(ctx, files, sets, evalOpts);
      const evalSeconds = (Date.now() - tE) / 1000;
      seconds.eval += evalSeconds;
      runs.push({ row: row.id, seed, ...record, evalSeconds, eval: ev });
      const p = record.passes as { train: { vision: number } } | undefined;
      console.log(`${row.label} seed ${seed}: ${record.steps ?? 0} steps, ${p?.train.vision ?? 0} vision passes, train ${(record.trainSeconds ?? 0).toFixed(0)} s, eval ${evalSeconds.toFixed(0)} s; ${ev.map((e) => `${e.dataset} clean ${(100 * e.clean).toFixed(1)} worst@${+(evalEps[0] * 255).toFixed(2)} ${(100 * e.robust[0].worst).toFixed(1)}`).join('; ')}`);
    }
  }

  // Tables: clean, then robust (worst of the attacks) per ε; columns = eval sets and their mean.
  const setNames = sets.map((s) => `${s.dataset}/${s.split}`);
  const summary: Record<string, Record<string, Record<string, { mean: number; ci: number; n: number }>>> = {};
  const table = (title: string, pick: (r: SetResult) => number): string => {
    const lines = [`### ${title}`, '', `| method | seeds | ${setNames.join(' | ')} | mean |`, `| --- | --- | ${setNames.map(() => '---').join(' | ')} | --- |`];
    for (const row of rows) {
      const rr = runs.filter((r) => r.row === row.id);
      const cells = sets.map((_, i) => meanCi(rr.map((r) => pick(r.eval[i]))));
      const avg = meanCi(rr.map((r) => r.eval.reduce((a, e) => a + pick(e), 0) / sets.length));
      (summary[row.id] ??= {})[title] = Object.fromEntries([...setNames.map((n, i) => [n, cells[i]]), ['mean', avg]]);
      lines.push(`| ${row.label} | ${rr.length} | ${cells.map(fmt).join(' | ')} | ${fmt(avg)} |`);
    }
    return lines.join('\n');
  };
  const tables = [table('clean accuracy (%)', (r) => r.clean)];
  evalEps.forEach((e, i) => tables.push(table(`robust accuracy (%) at ε = ${+(e * 255).toFixed(2)}/255 (per-sample worst of ${attacks.map((a) => a.name).join(', ')})`, (r) => r.robust[i].worst)));
  const wall = (Date.now() - t0) / 1000, cpuAll = cpuSeconds() - cpu0;

  // Cost arithmetic: what each part costs in passes and what it took.
  const fineTuned = runs.filter((r) => r.steps !== undefined);
  const attackSteps = pgdSteps + apgdSteps;
  const evalImages = sets.reduce((a, s) => a + Math.min(limit, s.data.count), 0);
  const evalPasses = evalImages * (1 + evalEps.length * (attackSteps + attacks.length));
  const cost = [
    '### Cost', '',
    `- Fine-tuning: ${budget} vision-tower passes per run (a pass = one image through the vision tower, forward with or without its backward) = ${aosSteps} AoS steps × ${B} images × (1 + m = ${1 + m} views) × (${aosConfig.attack.steps} attack steps + the adversarial and the clean view's training passes); TeCoA, PMG-AFT and FARE take the steps the same budget affords (${[...new Set(fineTuned.map((r) => `${r.row} ${r.steps}`))].join(', ')}). ${fineTuned.length} runs + ${lambdaTrials.length} λ trials = ${((fineTuned.length + lambdaTrials.length) * budget / 1e6).toFixed(2)} M passes; ${seconds.train.toFixed(0)} s for the table's runs (${(seconds.train / Math.max(1, fineTuned.length)).toFixed(0)} s each) + ${seconds.lambda.toFixed(0)} s for λ selection (with its validation).`,
    `- Evaluation: ${evalImages} images per run (${sets.map((s) => Math.min(limit, s.data.count)).join(' + ')}) × (1 clean pass + ${evalEps.length} ε × (${attacks.map((a) => a.name).join(' + ')} ≈ ${attackSteps + attacks.length} forward+backward passes)) ≈ ${(evalPasses / 1e3).toFixed(1)} k passes per run, × ${runs.length} runs = ${(runs.length * evalPasses / 1e6).toFixed(2)} M passes; ${seconds.eval.toFixed(0)} s (${(seconds.eval / Math.max(1, runs.length)).toFixed(0)} s per run).`,
    `- In all: ${(wall / 60).toFixed(1)} min wall, ${(cpuAll / 60).toFixed(1)} CPU-min (every thread of the process; the adapter is ${ctx.adapter.description || ctx.adapter.vendor || 'unknown'}${ctx.adapter.isFallbackAdapter ? ', a software adapter' : ''}). On 2 dedicated cores the wall time is about CPU-min / 2 = ${(cpuAll / 120).toFixed(1)} min; the wall time above includes waiting for other jobs on a shared machine.`,
  ].join('\n');
  const lambdaMd = lambdaTrials.length ? [
    '### λ chosen on the validation split', '',
    `AoS (seed ${seeds[0]}) with λᵢ = s × its default (${DEFAULT_AOS.lambda1}, ${DEFAULT_AOS.lambda2}, ${DEFAULT_AOS.lambda3}), Fashion-MNIST val (first ${valLimit}), PGD-${pgdSteps || 10} at ε = ${+(trainEps * 255).toFixed(2)}/255; chosen: **s = ${scale}** (best robust, ties → clean).`, '',
    '| s | val clean (%) | val robust (%) |', '| --- | --- | --- |',
    ...lambdaTrials.map((t) => `| ${t.scale} | ${(100 * t.clean).toFixed(1)} | ${(100 * t.robust).toFixed(1)} |`), '',
  ].join('\n') : '';
  const md = [
    `# Reproduction in miniature${mode === 'smoke' ? ' (--smoke run: not results)' : mode === 'quick' ? ' (--quick)' : ''}`, '',
    `Model \`${model.source}\`, fine-tuned on Fashion-MNIST train; budget ${budget} vision-tower passes per run (${aosSteps} AoS steps, batch ${B}, m = ${m}); training attack PGD-${aosConfig.attack.steps} L∞ ε = ${+(trainEps * 255).toFixed(2)}/255; lr ${aosConfig.lr} (text tower × ${aosConfig.textLrMultiplier}); seeds ${seeds.join(', ')} for the main rows, ${ablationSeeds.join(', ')} for the ablations (mean ± 95 % t-interval over seeds; no interval with one seed); first ${limit} images per evaluation set. Command: \`npm run reproduce -- ${process.argv.slice(2).join(' ')}\`.`, '',
    lambdaMd,
    ...tables.flatMap((t) => [t, '']),
    cost, '',
  ].join('\n');
  console.log(md);
  await writeOutputs(out, name, { argv: process.argv.slice(2), mode, model: model.source, budget, seeds, ablationSeeds, lambdaTrials, lambdaScale: scale, rows, summary, runs, seconds: { wall, ...seconds }, cpuSeconds: cpuAll }, md);
  process.exit(0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
