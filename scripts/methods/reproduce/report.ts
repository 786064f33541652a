/**
 * The merged sweep → the results file (format v1, src/methods/README-results.md), the markdown table beside it
 * (selections, accuracies, paired tests with the minimum detectable difference, masking verdicts, cost) and the
 * trade-off SVG. Pure: the job records in, text out. Timings live only under `provenance.config.timing` and in
 * the cost section, so two runs of the same sweep differ only there (and in `createdAt`).
 */
import type { MethodName } from '../../../src/methods/config';
import { RESULTS_LIMITS, RESULTS_SCHEMA, RESULTS_VERSION, compareOnCell, decodeBits, validateResults, type BaselineComparison, type ResultsFile, type ResultsFileEntry, type ResultsRun } from '../../../src/methods/results';
import { tradeoffSvg } from '../../../src/methods/tradeoffPlot';
import { KNOBS, PRETRAINED, chooseKnob, chooseTrainEps, modelKey, tableModels, trainJobId, type ValScores } from './plan';
import type { RunSettings } from './options';
import type { EvalRecord, JobRecord, TrainRecord } from './shard';

/** The cell the paired tests judge, fixed before the runs: the in-distribution test set at the headline ε. */
export const HEADLINE_SET = 'fashion-mnist/test';
export const BASELINES: MethodName[] = ['tecoa', 'pmg-aft', 'fare'];
const LABEL: Record<string, string> = { none: 'no defence (pre-trained)', tecoa: 'TeCoA', 'pmg-aft': 'PMG-AFT', fare: 'FARE', aos: 'AoS' };

/** Two-sided 97.5 % quantiles of Student's t for 1…30 degrees of freedom (then 1.96). */
const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

/** Mean and the 95 % t-interval's half-width over runs (null with fewer than 2: JSON has no NaN). */
export function meanCi(v: number[]): { mean: number; ci: number | null; n: number } {
  const n = v.length, mean = n ? v.reduce((a, b) => a + b, 0) / n : 0;
  if (n < 2) return { mean, ci: null, n };
  const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  return { mean, ci: (T975[n - 2] ?? 1.96) * sd / Math.sqrt(n), n };
}

const pct = (x: number) => (100 * x).toFixed(1);
const fmtCi = (x: { mean: number; ci: number | null }) => `${pct(x.mean)}${x.ci !== null ? ` ± ${pct(x.ci)}` : ''}`;
const e255 = (eps: number) => +(eps * 255).toFixed(2);
const accuracy = (c: { n: number; correct: string }) => decodeBits(c.correct, c.n).reduce((a, v) => a + v, 0) / c.n;

/** Val scores of every model evaluated on val (what the selections read). */
export function valScores(records: Iterable<JobRecord>, headlineEps: number): Map<string, { clean: number; robust: number }> {
  const out = new Map<string, { clean: number; robust: number }>();
  for (const r of records) {
    if (r.kind !== 'eval' || r.purpose !== 'val') continue;
    const clean = r.cells.find((c) => c.eps === 0), robust = r.cells.find((c) => c.eps === headlineEps);
    if (clean && robust) out.set(r.model, { clean: accuracy(clean), robust: accuracy(robust) });
  }
  return out;
}

/** Drops timing fields (they go to `timing`) and the curve (it goes to the run: `config` has a size cap). */
const untimed = <T extends { seconds: number; cpuSeconds: number; curve?: unknown }>(r: T): Omit<T, 'seconds' | 'cpuSeconds' | 'curve'> => {
  const { seconds: _s, cpuSeconds: _c, curve: _curve, ...rest } = r;
  return rest;
};

export interface MergeInputs {
  settings: RunSettings;
  records: Map<string, JobRecord>;
  commit: string;
  /** Every commit the shard files were written at (more than one: `commit` is 'unknown'). */
  commits: string[];
  adapter: string;
  argv: string[];
  /** The starting model's and the data's files with their sha256. */
  inputFiles: ResultsFileEntry[];
  /** Per stage: wall seconds summed over its shards, CPU seconds. */
  stageTiming: Record<string, { seconds: number; cpuSeconds: number; shards: number }>;
  createdAt: string;
}

export interface Report {
  file: ResultsFile;
  markdown: string;
  svg: string;
}

export function buildReport(m: MergeInputs): Report {
  const sw = m.settings.sweep;
  const headlineEps = sw.headlineEps255 / 255;
  // By id: the outputs must not depend on which shard file a record came from.
  const all = [...m.records.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const trains = new Map(all.filter((r): r is TrainRecord => r.kind === 'train').map((r) => [r.id, r]));
  const evals = all.filter((r): r is EvalRecord => r.kind === 'eval');
  const val: ValScores = valScores(all, headlineEps);
  const chosenEps = chooseTrainEps(sw, val);
  const table = tableModels(sw, val);
  const tableIds = new Set(table.map((t) => t.id));

  // Runs: one per model, cells of every evaluation of it (val and test sets).
  const runs: ResultsRun[] = [];
  for (const model of [PRETRAINED, ...[...trains.keys()].sort()]) {
    const cells = evals.filter((e) => e.model === model).flatMap((e) => e.cells);
    if (!cells.length) continue;
    const t = trains.get(model);
    const method = !t ? 'none' : tableIds.has(model) ? t.method : `${t.method}@eps${t.trainEps255}-${KNOBS[t.method].name}x${t.knobMultiplier}`;
    runs.push({ id: modelKey(model), method, seed: t ? t.seed : null, cells, ...(t?.curve ? { curve: t.curve } : {}) });
  }
  const draft = { schema: RESULTS_SCHEMA, version: RESULTS_VERSION, provenance: { commit: m.commit, adapter: m.adapter, createdAt: m.createdAt, config: {}, seeds: [], files: [] }, epsilons: sw.evalEps255.map((e) => e / 255), headlineEps, runs, notes: [] } as ResultsFile;

  // Paired tests on the headline cell (Holm over the baselines), and the same on the other test sets (exploratory).
  const methodsIn = new Set(table.map((t) => t.method));
  const baselines = BASELINES.filter((b) => methodsIn.has(b));
  const comparisons: Record<string, BaselineComparison[]> = {};
  if (methodsIn.has('aos') && baselines.length) {
    for (const set of sw.testSets) for (const eps of [headlineEps, 0]) comparisons[`${set}@${e255(eps)}`] = compareOnCell(draft, 'aos', baselines, set, eps, { resamples: 10000, seed: 1 });
  }

  // Accuracy per method × set × ε: mean over seeds (± 95 % t-interval).
  const methodsRows = ['none', ...sw.methods];
  const cellMean = (method: string, set: string, eps: number) => meanCi(runs.filter((r) => r.method === method).map((r) => r.cells.find((c) => c.set === set && c.eps === eps)).filter((c) => c !== undefined).map(accuracy));
  const summary: Record<string, Record<string, { mean: number; ci: number | null; n: number }>> = {};
  for (const meth of methodsRows) for (const set of sw.testSets) for (const eps of [0, ...draft.epsilons]) (summary[meth] ??= {})[`${set}@${e255(eps)}`] = cellMean(meth, set, eps);

  // Trade-off: val clean vs val robust at the headline ε per method over the training ε (first seed, knob ×1).
  const series = sw.methods.map((meth) => ({ name: LABEL[meth], points: sw.tradeoffEps255.flatMap((e) => { const v = val.get(trainJobId(meth, e, 1, sw.seeds[0])); return v ? [{ ...v, label: `${e}/255` }] : []; }) }));
  const svg = tradeoffSvg(series, { title: `Fashion-MNIST val (first ${sw.valLimit}): robust at ε = ${sw.headlineEps255}/255 vs clean, per training ε` });

  const knobs = Object.fromEntries(sw.methods.map((meth) => [meth, {
    knob: KNOBS[meth].describe, multiplier: chooseKnob(sw, meth, chosenEps.eps255, val),
    candidates: sw.knobGrid.map((k) => ({ multiplier: k, ...val.get(trainJobId(meth, chosenEps.eps255, k, sw.seeds[0])) })),
  }]));
  const trainList = [...trains.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
  const cost = costLines(m, trainList, evals);
  const modelFiles = trainList.filter((t) => tableIds.has(t.id)).flatMap((t) => t.files);
  const maskingNotes = evals.filter((e) => e.purpose === 'test' && e.masking).map((e) => `${modelKey(e.model)}: ${e.masking!.replace(/^- /, '')}`);
  const warningNotes = [...new Set(evals.flatMap((e) => e.warnings.map((w) => `${e.set}: ${w}`)))].sort();
  const file = validateResults({
    ...draft,
    provenance: {
      commit: m.commit, adapter: m.adapter, createdAt: m.createdAt,
      config: {
        argv: m.argv, commits: m.commits, settings: m.settings, headlineCell: `${HEADLINE_SET}@${sw.headlineEps255}/255`,
        selection: { trainEps255: chosenEps.eps255, trainEpsScores: chosenEps.scores, rule: 'training ε: max mean over methods of (val clean + val robust@headline)/2; knob: max val robust@headline, ties clean', knobs },
        training: trainList.map(untimed), comparisons, summary,
        timing: { stages: m.stageTiming, jobs: Object.fromEntries(all.map((r) => [r.id, { seconds: r.seconds, cpuSeconds: r.cpuSeconds }])) },
      },
      seeds: [...new Set([...trainList.map((t) => t.seed), m.settings.protocol.seed])].sort((a, b) => a - b),
      files: [...modelFiles, ...m.inputFiles].slice(0, RESULTS_LIMITS.files),
    },
    notes: [...maskingNotes, ...warningNotes].slice(0, RESULTS_LIMITS.notes),
  });
  const markdown = markdownOf(m, { chosenEps, knobs, table, summary, comparisons, baselines, maskingNotes, cost, trains });
  return { file, markdown, svg };
}

function costLines(m: MergeInputs, trains: TrainRecord[], evals: EvalRecord[]): string[] {
  const s = m.settings, sw = s.sweep;
  const passes = trains.reduce((a, t) => a + t.passes.vision, 0);
  const evalCount = (list: EvalRecord[]) => list.reduce((a, e) => a + e.cells.find((c) => c.eps === 0)!.n + e.stages.reduce((b, x) => b + x.stages.reduce((c, y) => c + y.evaluations, 0), 0), 0);
  const sec = (list: { seconds: number }[]) => list.reduce((a, x) => a + x.seconds, 0);
  const cpu = (list: { cpuSeconds: number }[]) => list.reduce((a, x) => a + x.cpuSeconds, 0);
  const perMethod = sw.methods.map((meth) => {
    const t = trains.find((x) => x.method === meth);
    return t ? `${LABEL[meth]} ${t.steps} steps, ${t.passes.vision} passes, ${t.distinctImages} distinct images` : `${LABEL[meth]} —`;
  });
  const val = evals.filter((e) => e.purpose === 'val'), test = evals.filter((e) => e.purpose === 'test');
  const wallAll = Object.values(m.stageTiming).reduce((a, x) => a + x.seconds, 0), cpuAll = Object.values(m.stageTiming).reduce((a, x) => a + x.cpuSeconds, 0);
  return [
    `- Training: ${trains.length} runs (${sw.methods.length} methods × (${sw.tradeoffEps255.length} training ε + ${sw.knobGrid.length - 1} other knob values + ${sw.seeds.length - 1} more seeds)), each within the budget of ${s.training.aosSteps} AoS steps at batch ${s.training.batch}, m = ${s.training.augmentations} (a pass = one image through the vision tower, forward with or without backward; at equal passes the methods see different numbers of distinct images): ${perMethod.join('; ')}. ${(passes / 1e6).toFixed(2)} M passes in all; ${(sec(trains) / 60).toFixed(1)} min, ${(cpu(trains) / 60).toFixed(1)} CPU-min (${(1000 * sec(trains) / Math.max(1, passes)).toFixed(2)} ms per pass).`,
    `- Validation (selection): ${val.length} models × ${sw.valLimit} val images × (clean + the protocol at ${sw.headlineEps255}/255) = ${(evalCount(val) / 1e3).toFixed(0)} k model evaluations (image × forward, backward included where taken); ${(sec(val) / 60).toFixed(1)} min.`,
    `- Test: ${test.length} model × set evaluations (the undefended model once); per set ${sw.headlineLimit} images at ${sw.headlineEps255}/255 (cascade on survivors) + ${sw.otherLimit} at each of ${sw.evalEps255.filter((e) => e !== sw.headlineEps255).join(', ')}/255 + the masking report; ${(evalCount(test) / 1e6).toFixed(2)} M model evaluations; ${(sec(test) / 60).toFixed(1)} min, ${(cpu(test) / 60).toFixed(1)} CPU-min (${(1000 * sec(test) / Math.max(1, evalCount(test))).toFixed(2)} ms per evaluation).`,
    `- In all: ${(wallAll / 60).toFixed(1)} min of shard wall time, ${(cpuAll / 60).toFixed(1)} CPU-min (every thread; adapter ${m.adapter}). On 2 dedicated cores the wall time is about CPU-min / 2 = ${(cpuAll / 120).toFixed(1)} min; wall time above that is waiting for other jobs on a shared machine.`,
  ];
}

interface MdParts {
  chosenEps: ReturnType<typeof chooseTrainEps>;
  knobs: Record<string, { knob: string; multiplier: number; candidates: Array<{ multiplier: number; clean?: number; robust?: number }> }>;
  table: ReturnType<typeof tableModels>;
  summary: Record<string, Record<string, { mean: number; ci: number | null; n: number }>>;
  comparisons: Record<string, BaselineComparison[]>;
  baselines: MethodName[];
  maskingNotes: string[];
  cost: string[];
  trains: Map<string, TrainRecord>;
}

/** What the headline paired tests support, in words (significant at Holm-adjusted p < 0.05, or not). */
export function verdictLine(rows: BaselineComparison[]): string {
  const better = rows.filter((r) => r.pHolm < 0.05 && r.difference > 0).map((r) => LABEL[r.baseline]);
  const worse = rows.filter((r) => r.pHolm < 0.05 && r.difference < 0).map((r) => LABEL[r.baseline]);
  const tied = rows.filter((r) => r.pHolm >= 0.05).map((r) => `${LABEL[r.baseline]} (MDD ${pct(r.mdd80)} points)`);
  const parts = [];
  if (better.length) parts.push(`AoS is significantly more robust than ${better.join(', ')}`);
  if (worse.length) parts.push(`AoS is significantly less robust than ${worse.join(', ')}`);
  if (tied.length) parts.push(`no significant difference from ${tied.join(', ')}`);
  return `${parts.join('; ')}.`;
}

function markdownOf(m: MergeInputs, p: MdParts): string {
  const sw = m.settings.sweep, s = m.settings;
  const epsCols = [0, ...sw.evalEps255];
  const head = `${HEADLINE_SET}@${sw.headlineEps255}`;
  const lines: string[] = [
    `# Reproduction in miniature${sw.mode === 'smoke' ? ' (--smoke run: not results)' : sw.mode === 'quick' ? ' (--quick)' : ''}`, '',
    `Model \`${s.model}\`, fine-tuned on Fashion-MNIST train; each run within ${s.training.aosSteps} AoS steps of vision-tower passes (batch ${s.training.batch}, m = ${s.training.augmentations}); training attack PGD-${s.training.attackSteps} L∞ (FARE: its own PGD-10); lr ${s.training.lr}; towers and prompt sets: each method's \`defaultFineTuneConfig\`. Seeds ${sw.seeds.join(', ')}. Evaluation: the protocol of src/attacks/protocol.ts (APGD-CE ${s.protocol.apgdSteps}×${s.protocol.apgdRestarts} → APGD-T ${s.protocol.targets} targets × ${s.protocol.targetedSteps} → Square ${s.protocol.squareQueries} queries, cascaded on survivors, 8-bit snapped), headline ε = ${sw.headlineEps255}/255 on the first ${sw.headlineLimit} images of each test set, the other ε on the first ${sw.otherLimit}; the undefended model evaluated once. Command: \`npm run reproduce -- ${m.argv.join(' ')}\`.`, '',
    '## Selection on Fashion-MNIST val (fixed rules, the same budget for every method)', '',
    `Training ε (shared by all methods): the grid value with the highest mean over methods of (val clean + val robust at ${sw.headlineEps255}/255) / 2, each method at its default knob, seed ${sw.seeds[0]}, first ${sw.valLimit} val images. **Chosen: ${p.chosenEps.eps255}/255.**`, '',
    `| training ε | ${sw.methods.map((x) => `${LABEL[x]} clean / robust`).join(' | ')} | score |`, `| --- | ${sw.methods.map(() => '---').join(' | ')} | --- |`,
    ...p.chosenEps.scores.map((sc) => `| ${sc.eps255}/255 | ${sw.methods.map((x) => { const t = p.trains.get(trainJobId(x, sc.eps255, 1, sw.seeds[0])); const v = t && valOf(m, t.id); return v ? `${pct(v.clean)} / ${pct(v.robust)}` : '—'; }).join(' | ')} | ${pct(sc.score)} |`),
    '', `Knob: each method's key knob × ${sw.knobGrid.join(', ')} (${sw.knobGrid.length} candidates each, the same val images), best val robust at ${sw.headlineEps255}/255 (ties: clean).`, '',
    '| method | knob | candidates (× : val clean / robust) | chosen |', '| --- | --- | --- | --- |',
    ...Object.entries(p.knobs).map(([meth, k]) => `| ${LABEL[meth]} | ${k.knob} | ${k.candidates.map((c) => `×${c.multiplier}: ${c.clean !== undefined ? `${pct(c.clean)} / ${pct(c.robust!)}` : '—'}`).join('; ')} | ×${k.multiplier} |`),
    '', `Trade-off plot (val, per training ε): \`${'reproduce'}${sw.mode === 'full' ? '' : `-${sw.mode}`}.svg\`.`, '',
    '## Accuracy (%) on the test sets', '',
    `Mean over seeds ± 95 % t-interval (no interval with one run); images per cell: clean and ${sw.headlineEps255}/255 ${sw.headlineLimit}, other ε ${sw.otherLimit} (or the whole set when smaller). The sets: Fashion-MNIST test is the fine-tuning distribution; MNIST test is another dataset, not fine-tuned on (its training split was in the bundled model's pre-training); digits (UCI 8×8 digits upsampled to 28×28, never trained on) has MNIST's ten classes under a shifted distribution — not unseen classes.`, '',
  ];
  for (const set of sw.testSets) {
    lines.push(`### ${set}`, '', `| method | ${epsCols.map((e) => (e === 0 ? 'clean' : e === sw.headlineEps255 ? `**${e}/255**` : `${e}/255`)).join(' | ')} |`, `| --- | ${epsCols.map(() => '---').join(' | ')} |`);
    for (const meth of ['none', ...sw.methods]) lines.push(`| ${LABEL[meth]} | ${epsCols.map((e) => { const c = p.summary[meth]?.[`${set}@${e}`]; return c && c.n ? fmtCi(c) : '—'; }).join(' | ')} |`);
    lines.push('');
  }
  lines.push('## Paired tests: AoS against each baseline', '');
  const main = p.comparisons[head];
  if (main) {
    lines.push(`Headline cell, fixed before the runs: **${HEADLINE_SET} at ${sw.headlineEps255}/255**. Two-level paired bootstrap (seeds resampled per method, then the shared images; 10,000 resamples), Holm over the ${p.baselines.length} baselines; MDD = the minimum difference detectable at 80 % power, α = 0.05/${p.baselines.length}.`, '');
    lines.push(...compTable(main), '', `**Verdict on the headline cell:** ${verdictLine(main)}`, '');
    lines.push('Secondary cells (exploratory: Holm over baselines within each cell, not across cells):', '');
    for (const [cell, rows] of Object.entries(p.comparisons)) if (cell !== head) lines.push(`- ${cell.replace('@0', ' clean').replace(/@(\d+(\.\d+)?)$/, ' at $1/255')}: ${rows.map((r) => `vs ${LABEL[r.baseline]} ${r.difference >= 0 ? '+' : ''}${pct(r.difference)} (p_Holm ${r.pHolm.toFixed(3)})`).join('; ')}`);
    lines.push('');
  } else lines.push('(AoS or the baselines are not in this sweep: no paired tests.)', '');
  lines.push('## Gradient-masking checks', '', ...p.maskingNotes.map((x) => `- ${x}`), '', '## Cost', '', ...p.cost, '');
  return lines.join('\n');
}

function valOf(m: MergeInputs, model: string): { clean: number; robust: number } | undefined {
  return valScores(m.records.values(), m.settings.sweep.headlineEps255 / 255).get(model);
}

function compTable(rows: BaselineComparison[]): string[] {
  return [
    '| AoS vs | difference (points) | 95 % CI | p | p (Holm) | MDD (points) |', '| --- | --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${LABEL[r.baseline]} | ${r.difference >= 0 ? '+' : ''}${pct(r.difference)} | [${pct(r.ci95[0])}, ${pct(r.ci95[1])}] | ${r.p.toFixed(4)} | ${r.pHolm.toFixed(4)} | ${pct(r.mdd80)} |`),
  ];
}
