/**
 * npm run sweep-lambda -- [--grid 1,10,100,1000] [--steps 40] [--batch 32] [--m 4] [--train-eps 8] [--val-limit 500]
 *                         [--seed 0] [--model DIR] [--out results] [--smoke]
 *
 * Chooses AoS's λ defaults on the validation split, each λᵢ on its own against the CE term (the others 0): AdamW
 * ignores a common scale of the whole loss, so only the ratio λᵢ : ceWeight matters, and scaling all λ together (the
 * old search) could not see the terms. Per run: fine-tune the bundled tiny CLIP on Fashion-MNIST train for --steps AoS
 * steps (ridge 'auto'), then clean and PGD-10 robust accuracy at the training ε on the first --val-limit images of
 * Fashion-MNIST val, and the mean per-term gradient norms (on the tower outputs) with ‖g‖ and the clip factor.
 * Choice per term: the grid value with the best robust val accuracy (ties → clean), as for every tuned knob; the table
 * shows beside it whether that beats the CE-only run (λ = 0) by more than one binomial standard error, and each term's
 * share of the gradient, so a term that owns the update (or does nothing) is visible. Writes lambda-sweep.{json,md}.
 */
import { GpuContext } from '../../src/gpu/context';
import { shaderSources } from '../../src/kernels/shaders';
import { loadSplitFromDir } from '../../src/data/node';
import { evaluateRobust } from '../../src/methods/evaluate';
import { defaultFineTuneConfig, withFineTuneConfig, type AosOptions } from '../../src/methods/config';
import { FineTuneData } from '../../src/methods/data';
import { fineTunedFolder, fineTuneModelFor, loadClipFiles, tokenizerPrompts } from '../../src/methods/load';
import { FineTuneLoop, type StepMetrics } from '../../src/methods/loop';
import { numberFlag } from '../cli';
import { args, chooseModel, numberList, writeOutputs } from './common';

type Term = 'lambda1' | 'lambda2' | 'lambda3';
const TERM_OF: Record<Term, string> = { lambda1: 'advClean', lambda2: 'imageText', lambda3: 'advText' };

interface Trial {
  term: Term | 'none';
  lambda: number;
  clean: number;
  robust: number;
  /** Mean over steps of each term's gradient norm, of ‖g‖ before clipping and of the clip factor min(1, c/‖g‖). */
  termGradNorms: Record<string, number>;
  gradNorm: number;
  clipFactor: number;
  ridge?: number;
  seconds: number;
}

async function main(): Promise<void> {
  const A = args();
  const smoke = A.smoke === 'true';
  const grid = numberList(A.grid, smoke ? [1] : [1, 10, 100, 1000]);
  const steps = numberFlag(A, 'steps', smoke ? 2 : 40), B = numberFlag(A, 'batch', smoke ? 4 : 32), m = numberFlag(A, 'm', smoke ? 2 : 4);
  const trainEps = numberFlag(A, 'train-eps', 8) / 255, valLimit = numberFlag(A, 'val-limit', smoke ? 8 : 500), seed = numberFlag(A, 'seed', 0);
  const out = A.out ?? (smoke ? '.tmp/sweep-smoke' : 'results');
  const t0 = Date.now();
  const model = await chooseModel(A.model, smoke);
  const clip = loadClipFiles(model.files);
  const train = (await loadSplitFromDir('fashion-mnist', 'train')).data;
  const val = (await loadSplitFromDir('fashion-mnist', 'val')).data;
  const prompts = tokenizerPrompts(clip.tokenizer, train.classes);
  const ctx = await GpuContext.create({ shaders: shaderSources, label: 'sweep-lambda' });
  const off = { lambda1: 0, lambda2: 0, lambda3: 0 };
  const valEval = { epsilons: [trainEps], attacks: [{ name: 'PGD-10', method: 'pgd' as const, steps: smoke ? 2 : 10, loss: 'ce' as const }], batch: Math.min(50, valLimit), limit: valLimit, seed: 999 };

  const run = async (term: Term | 'none', lambda: number): Promise<Trial> => {
    const aos: Partial<AosOptions> = term === 'none' ? off : { ...off, [term]: lambda };
    const config = withFineTuneConfig(defaultFineTuneConfig('aos'), {
      seed, steps, batchSize: B, lr: 1e-4, warmupSteps: smoke ? 0 : 10, evalEvery: 0, attack: { eps: trainEps, steps: 2 }, aos: { augmentations: m, ...aos },
    });
    const ft = await fineTuneModelFor(ctx, clip, config);
    const loop = FineTuneLoop.create(ctx, { config, model: ft, data: new FineTuneData(train, { seed, hflip: false, augment: config.augment }), prompts });
    const tStart = Date.now();
    const hist: StepMetrics[] = [];
    await loop.run({ metricsEvery: 10, onStep: (s) => { hist.push(s); } });
    const mean = (f: (s: StepMetrics) => number) => hist.reduce((acc, s) => acc + f(s), 0) / hist.length;
    const names = [...new Set(hist.flatMap((s) => Object.keys(s.termGradNorms ?? {})))];
    const termGradNorms = Object.fromEntries(names.map((k) => [k, mean((s) => s.termGradNorms?.[k] ?? 0)]));
    const clip1 = config.maxGradNorm ?? Infinity;
    const [r] = await evaluateRobust(ctx, fineTunedFolder(clip, await ft.weights(), `sweep/${term}-${lambda}`), [{ dataset: 'fashion-mnist', split: 'val', data: val }], valEval);
    await ft.release();
    const t: Trial = {
      term, lambda, clean: r.clean, robust: r.robust[0].worst, termGradNorms, gradNorm: mean((s) => s.gradNorm),
      clipFactor: mean((s) => Math.min(1, clip1 / s.gradNorm)), ridge: hist[0]?.ridge, seconds: (Date.now() - tStart) / 1000,
    };
    console.log(`${term} λ=${lambda}: val clean ${(100 * t.clean).toFixed(1)} robust ${(100 * t.robust).toFixed(1)}; ‖g‖ ${t.gradNorm.toFixed(3)} clip ×${t.clipFactor.toFixed(3)}; term norms ${Object.entries(termGradNorms).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(', ')} (${t.seconds.toFixed(0)} s)`);
    return t;
  };

  const base = await run('none', 0);
  const trials: Trial[] = [base];
  const chosen: Record<Term, { lambda: number; why: string }> = {} as never;
  const se = Math.sqrt(base.robust * (1 - base.robust) / valLimit);
  for (const term of ['lambda1', 'lambda2', 'lambda3'] as const) {
    const mine: Trial[] = [];
    for (const l of grid) mine.push(await run(term, l));
    trials.push(...mine);
    const best = [...mine].sort((a, b) => b.robust - a.robust || b.clean - a.clean)[0];
    const gain = best.robust - base.robust;
    const share = (best.termGradNorms[TERM_OF[term]] ?? 0) / ((best.termGradNorms[TERM_OF[term]] ?? 0) + (best.termGradNorms.ce ?? 0));
    chosen[term] = {
      lambda: best.lambda,
      why: `best robust val accuracy of the grid, ${gain >= 0 ? '+' : ''}${(100 * gain).toFixed(1)} points against CE alone (${Math.abs(gain) > se ? 'more' : 'less'} than 1 SE = ${(100 * se).toFixed(1)}); the term's share of the output-gradient norm there: ${(100 * share).toFixed(1)} %`,
    };
  }
  const pct = (v: number) => (100 * v).toFixed(1);
  const md = [
    `# AoS λ sweep on the validation split${smoke ? ' (--smoke: not results)' : ''}`, '',
    `Each λᵢ alone against CE (weight 1; the other λ = 0), ${steps} AoS steps, batch ${B}, m = ${m}, training PGD-2 at ε = ${+(trainEps * 255).toFixed(2)}/255, ridge 'auto' (ρ = ${base.ridge?.toFixed(4) ?? '—'} at step 1), seed ${seed}; Fashion-MNIST val (first ${valLimit}), PGD-10 at the training ε. Gradient norms: means over the steps, on the tower outputs (src/methods/README.md). One binomial SE of the CE-only robust accuracy: ${pct(se)} points. Command: \`npm run sweep-lambda -- ${process.argv.slice(2).join(' ')}\`.`, '',
    '| term | λ | val clean (%) | val robust (%) | ‖∇ CE‖ | ‖∇ term‖ | ‖g‖ before clip | clip factor |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...trials.map((t) => `| ${t.term === 'none' ? 'CE only' : `${t.term} (${TERM_OF[t.term]})`} | ${t.lambda} | ${pct(t.clean)} | ${pct(t.robust)} | ${(t.termGradNorms.ce ?? 0).toFixed(3)} | ${t.term === 'none' ? '—' : (t.termGradNorms[TERM_OF[t.term]] ?? 0).toFixed(3)} | ${t.gradNorm.toFixed(3)} | ${t.clipFactor.toFixed(3)} |`), '',
    '## Chosen defaults', '',
    ...(['lambda1', 'lambda2', 'lambda3'] as const).map((k) => `- ${k} = **${chosen[k].lambda}**: ${chosen[k].why}.`), '',
    `Wall time ${((Date.now() - t0) / 60000).toFixed(1)} min (${ctx.adapter.description || ctx.adapter.vendor || 'unknown adapter'}).`,
  ].join('\n');
  console.log(md);
  await writeOutputs(out, smoke ? 'lambda-sweep-smoke' : 'lambda-sweep', { argv: process.argv.slice(2), model: model.source, grid, steps, batch: B, m, trainEps, valLimit, seed, trials, chosen }, md);
  process.exit(0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
