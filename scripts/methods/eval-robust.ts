/**
 * npm run eval-robust -- [--model DIR] [--limit N] [--eps 1,2,4,8,16] [--pgd-steps 10] [--apgd-steps 20]
 *                        [--apgd-loss ce|dlr] [--batch 50] [--seed 0] [--sets fashion-mnist,mnist/test] [--out DIR]
 *
 * Zero-shot clean and robust accuracy (src/attacks: PGD-k L∞ with CE, APGD; per-sample worst case over both) of a
 * CLIP model folder over an ε grid (in /255) on every bundled dataset and split (or `--sets`), the first `--limit`
 * images of each. Model: --model DIR, else public/models/tiny-clip. Writes eval-robust.json (results, seeds,
 * configs) and eval-robust.md (table) to --out (default .tmp/eval-robust).
 */
import { GpuContext } from '../../src/gpu/context';
import { shaderSources } from '../../src/kernels/shaders';
import { evaluateRobust, robustTable, type EvalAttack } from '../../src/methods/evaluate';
import { numberFlag } from '../cli';
import { args, chooseModel, evalSets, numberList, writeOutputs } from './common';

async function main(): Promise<void> {
  const A = args();
  const t0 = Date.now();
  const model = await chooseModel(A.model, false);
  const sets = await evalSets(A.sets);
  const eps = numberList(A.eps, [1, 2, 4, 8, 16]).map((e) => e / 255);
  const pgdSteps = numberFlag(A, 'pgd-steps', 10), apgdSteps = numberFlag(A, 'apgd-steps', 20);
  const attacks: EvalAttack[] = [];
  if (pgdSteps > 0) attacks.push({ name: `PGD-${pgdSteps}`, method: 'pgd', steps: pgdSteps, loss: 'ce' });
  if (apgdSteps > 0) {
    const loss = (A['apgd-loss'] ?? 'ce') as 'ce' | 'dlr';
    attacks.push({ name: `APGD-${loss.toUpperCase()}-${apgdSteps}`, method: 'apgd', steps: apgdSteps, loss });
  }
  const options = { epsilons: eps, attacks, batch: numberFlag(A, 'batch', 50), limit: numberFlag(A, 'limit', 500), seed: numberFlag(A, 'seed', 0) };
  console.log(`eval-robust: model ${model.source}; ${sets.map((s) => `${s.dataset}/${s.split}`).join(', ')}; ε ${eps.map((e) => (e * 255).toFixed(0)).join(',')}/255; ${attacks.map((a) => a.name).join(', ')}; limit ${options.limit}`);
  const ctx = await GpuContext.create({ shaders: shaderSources, label: 'eval-robust' });
  const results = await evaluateRobust(ctx, model.files, sets, { ...options, onProgress: (m) => console.log(m) });
  const seconds = (Date.now() - t0) / 1000;
  const table = robustTable(results);
  console.log(table);
  const md = [`# Zero-shot robust accuracy (%)`, '', `Model: \`${model.source}\`. L∞ attacks on [0, 1] pixels, CE objective unless named; "worst" = per-sample worst case over the attacks (and the clean point). First ${options.limit} images per split; seed ${options.seed}; ${seconds.toFixed(0)} s.`, '', table].join('\n');
  await writeOutputs(A.out ?? '.tmp/eval-robust', 'eval-robust', { model: model.source, options, argv: process.argv.slice(2), seconds, results }, md);
  process.exit(0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
