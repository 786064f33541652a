/**
 * Zero-shot robust evaluation of a CLIP model folder on labelled image sets: clean accuracy and robust accuracy
 * under each attack (src/attacks: PGD, APGD; worst case over the clean point and every iterate) over an ε grid,
 * plus the per-sample worst case over all attacks at each ε. Class embeddings: every template × every synonym
 * (as ClipEmbedder). Host-independent (model files in memory); the scripts add files and tables.
 */
import type { GpuContext } from '../gpu/context';
import type { ImageDataset } from '../data/bundle';
import { evaluateZeroShot, runAttack, type AttackLoss } from '../attacks/attack';
import { gradientMaskingReport, type MaskingReport } from '../attacks/masking';
import { MASKING_EXTENSION_EPS_255, runProtocol, type ProtocolConfig, type ProtocolResult } from '../attacks/protocol';
import { VisionAttackModel } from '../attacks/model';
import { normalizationConstants, parsePreprocessorConfig } from '../image/preprocess';
import { CLIP_VISION_ONNX, clipConfigFromJson, type ClipFolderFiles } from '../onnx/clip/folder';
import { ClipEmbedder } from '../train/zeroshot';
import { mixSeed } from '../train/data';
import { splitBatch } from './data';

export interface EvalAttack {
  /** Column name, e.g. 'PGD-10'. */
  name: string;
  method: 'pgd' | 'apgd';
  steps: number;
  loss: AttackLoss;
  restarts?: number;
}

export interface EvalSet {
  dataset: string;
  split: string;
  data: ImageDataset;
}

export interface RobustEvalOptions {
  /** L∞ budgets in [0, 1] pixel units. */
  epsilons: number[];
  attacks: EvalAttack[];
  /** Images per attack batch (the graphs' fixed batch; the last chunk is padded and the padding ignored). */
  batch: number;
  /** At most this many images per set (the first ones). */
  limit: number;
  seed: number;
  /**
   * The cascaded protocol (src/attacks/protocol.ts: APGD-CE → APGD-T → Square on survivors, 8-bit snapped). When
   * given, `attacks` is ignored, the columns are the stages (cumulative) and every set also gets a masking report.
   */
  protocol?: ProtocolConfig;
  /** ε of the masking report's gradient-free comparison (default: the largest ε whose sweep value is > 0, else the first). */
  maskingSquareEps?: number;
  /** Protocol only: run the masking report (default true). Off where another call on the same model runs it. */
  masking?: boolean;
  /** The masking report's ε sweep (default `epsilons`): a sweep over one ε cannot show robust accuracy reaching 0. */
  maskingEpsilons?: number[];
  onProgress?: (message: string) => void;
}

export interface MaskingVerdict {
  /** 'pass': no sign of gradient masking; 'suspect': see the codes. */
  verdict: 'pass' | 'suspect';
  codes: string[];
  report: MaskingReport;
}

export interface EpsResult {
  eps: number;
  /** Robust accuracy per attack. */
  attacks: Record<string, number>;
  /** Per-sample worst case over the attacks. */
  worst: number;
  /** Protocol only: per image, 1 = still correct after every stage (snapped). */
  correct?: Uint8Array;
  /** Protocol only: per stage, images attacked, robust after it, forward passes. */
  stages?: ProtocolResult['stages'];
  lostBySnapping?: number;
}

export interface SetResult {
  dataset: string;
  split: string;
  count: number;
  clean: number;
  robust: EpsResult[];
  /** Attack warnings (gradient-masking signs), as `attack@ε: code`. */
  warnings: string[];
  /** Protocol only: per image clean correctness. */
  cleanCorrect?: Uint8Array;
  /** Protocol only: the gradient-masking checks on the set's first batch. */
  masking?: MaskingVerdict;
}

export async function evaluateRobust(ctx: GpuContext, files: Pick<ClipFolderFiles, 'config.json' | 'tokenizer.json' | 'preprocessor_config.json' | 'onnx/vision_model.onnx' | 'onnx/text_model.onnx'>, sets: EvalSet[], o: RobustEvalOptions): Promise<SetResult[]> {
  const config = clipConfigFromJson(files['config.json']);
  const constants = normalizationConstants(parsePreprocessorConfig(files['preprocessor_config.json']), config.channels);
  const logitScale = Math.exp(config.logitScale);
  const embedder = await ClipEmbedder.create(ctx, files);
  const model = await VisionAttackModel.create(ctx, files[CLIP_VISION_ONNX], { batch: o.batch, constants });
  const out: SetResult[] = [];
  try {
    if (o.protocol) {
      for (const set of sets) out.push(await protocolOnSet(ctx, model, embedder, set, o, o.protocol, logitScale));
      return out;
    }
    for (const set of sets) {
      const n = Math.min(o.limit, set.data.count), C = set.data.classes.length;
      const texts = ctx.upload('evalRobust.texts', Float32Array.from(await embedder.classEmbeddings(set.data.classes)));
      const per = set.data.channels * set.data.height * set.data.width;
      let clean = 0;
      const robust = o.epsilons.map((eps) => ({ eps, attacks: Object.fromEntries(o.attacks.map((a) => [a.name, 0])) as Record<string, number>, worst: 0 }));
      const warnings = new Set<string>();
      try {
        for (let start = 0; start < n; start += o.batch) {
          const valid = Math.min(o.batch, n - start);
          const b = splitBatch(set.data, start, valid);
          // Pad the last chunk with copies of its first image (not counted).
          const pixels = new Float32Array(o.batch * per), labels = new Uint32Array(o.batch);
          for (let i = 0; i < o.batch; i++) {
            const j = i < valid ? i : 0;
            pixels.set(b.pixels.subarray(j * per, (j + 1) * per), i * per);
            labels[i] = b.labels[j];
          }
          const buf = ctx.upload('evalRobust.pixels', pixels);
          try {
            const inputs = { pixels: buf, labels, texts, classes: C, logitScale };
            const z = await evaluateZeroShot(ctx, model, inputs);
            for (let i = 0; i < valid; i++) clean += z.correct[i];
            for (const r of robust) {
              const worst = Uint32Array.from(z.correct);
              for (const a of o.attacks) {
                const res = await runAttack(ctx, model, inputs, {
                  method: a.method, norm: 'linf', eps: r.eps, steps: a.steps, restarts: a.restarts ?? 1, loss: a.loss,
                  seed: mixSeed(o.seed, start, Math.round(r.eps * 255 * 1000)),
                });
                ctx.release(res.adversarial);
                for (let i = 0; i < valid; i++) {
                  r.attacks[a.name] += res.robustCorrect[i];
                  worst[i] &= res.robustCorrect[i];
                }
                for (const w of res.warnings) warnings.add(`${a.name}@${(r.eps * 255).toFixed(0)}/255: ${w.code}`);
              }
              for (let i = 0; i < valid; i++) r.worst += worst[i];
            }
          } finally {
            ctx.release(buf);
          }
          o.onProgress?.(`${set.dataset}/${set.split}: ${start + valid}/${n}`);
        }
      } finally {
        ctx.release(texts);
      }
      out.push({
        dataset: set.dataset, split: set.split, count: n, clean: clean / n,
        robust: robust.map((r) => ({ eps: r.eps, attacks: Object.fromEntries(Object.entries(r.attacks).map(([k, v]) => [k, v / n])), worst: r.worst / n })),
        warnings: [...warnings],
      });
    }
  } finally {
    await model.release();
    await embedder.release();
  }
  return out;
}

/** Masking codes that make the verdict 'suspect' ('loss-stalled' alone is information, not a verdict). */
export const MASKING_SUSPECT_CODES = ['sweep-not-monotone', 'sweep-not-zero', 'random-search-stronger', 'loss-not-rising', 'samples-stuck'];

async function protocolOnSet(ctx: GpuContext, model: VisionAttackModel, embedder: ClipEmbedder, set: EvalSet, o: RobustEvalOptions, protocol: ProtocolConfig, logitScale: number): Promise<SetResult> {
  const n = Math.min(o.limit, set.data.count), C = set.data.classes.length;
  const texts = ctx.upload('evalRobust.texts', Float32Array.from(await embedder.classEmbeddings(set.data.classes)));
  try {
    const b = splitBatch(set.data, 0, n);
    const im = { pixels: b.pixels, labels: b.labels, texts, classes: C, logitScale };
    const robust: EpsResult[] = [];
    const warnings = new Set<string>();
    let cleanCorrect: Uint8Array | undefined;
    for (const eps of o.epsilons) {
      const r = await runProtocol(ctx, model, im, eps, { ...protocol, seed: mixSeed(protocol.seed, o.seed) }, { onProgress: (m) => o.onProgress?.(`${set.dataset}/${set.split}: ${m}`) });
      cleanCorrect ??= r.clean;
      const count = (a: Uint8Array) => a.reduce((s, v) => s + v, 0);
      robust.push({
        eps, attacks: Object.fromEntries(r.stages.map((s) => [s.stage, s.robustAfter / n])), worst: count(r.robust) / n,
        correct: r.robust, stages: r.stages, lostBySnapping: r.lostBySnapping,
      });
      for (const w of r.warnings) warnings.add(w);
    }
    // Masking checks on the first batch: ε sweep with APGD-CE, Square at one ε, the attacks' own warnings.
    const B = model.batch, per = set.data.channels * set.data.height * set.data.width;
    const pixels = new Float32Array(B * per), labels = new Uint32Array(B);
    for (let i = 0; i < B; i++) {
      const j = i % n;
      pixels.set(b.pixels.subarray(j * per, (j + 1) * per), i * per);
      labels[i] = b.labels[j];
    }
    const sorted = o.masking === false ? [] : [...(o.maskingEpsilons ?? o.epsilons)].filter((e) => e > 0).sort((x, y) => x - y);
    const worstAt = new Map(robust.map((r) => [r.eps, r.worst]));
    const squareEps = o.maskingSquareEps ?? [...sorted].reverse().find((e) => (worstAt.get(e) ?? 0) > 0) ?? sorted[0];
    const buf = ctx.upload('evalRobust.maskingPixels', pixels);
    let masking: MaskingVerdict | undefined;
    try {
      if (sorted.length) {
        const report = await gradientMaskingReport(ctx, model, { pixels: buf, labels, texts, classes: C, logitScale }, {
          epsList: sorted, extendEps: MASKING_EXTENSION_EPS_255.map((e) => e / 255), attack: { method: 'apgd', norm: 'linf', loss: 'ce', steps: Math.max(protocol.apgdSteps, 10), restarts: protocol.apgdRestarts },
          squareQueries: Math.max(protocol.squareQueries, 100), squareEps: [squareEps], seed: mixSeed(protocol.seed, o.seed, 4),
        });
        const codes = [...new Set(report.warnings.map((w) => w.code))];
        masking = { verdict: codes.some((c) => MASKING_SUSPECT_CODES.includes(c)) ? 'suspect' : 'pass', codes, report };
      }
    } finally {
      ctx.release(buf);
    }
    o.onProgress?.(`${set.dataset}/${set.split}: ${n} images done`);
    return {
      dataset: set.dataset, split: set.split, count: n, clean: (cleanCorrect ?? new Uint8Array(0)).reduce((s, v) => s + v, 0) / n,
      robust, warnings: [...warnings], cleanCorrect, masking,
    };
  } finally {
    ctx.release(texts);
  }
}

/** One line per set: the masking verdict and its codes (printed beside the table). */
export function maskingLines(results: SetResult[]): string[] {
  return results.filter((r) => r.masking).map((r) => {
    const m = r.masking!;
    const sweep = m.report.sweep.map((s) => `${+(s.eps * 255).toFixed(2)}:${pct(s.robustAccuracy)}${s.squareRobustAccuracy !== undefined ? ` (Square ${pct(s.squareRobustAccuracy)})` : ''}`).join(', ');
    return `- ${r.dataset}/${r.split}: masking check **${m.verdict}**${m.codes.length ? ` (${m.codes.join(', ')})` : ''}; first-batch APGD-CE sweep ε/255:robust% ${sweep}`;
  });
}

const pct = (v: number) => (100 * v).toFixed(1);

/** Markdown table: a row per set × attack (and the worst case), columns clean and each ε. */
export function robustTable(results: SetResult[]): string {
  if (!results.length) return '';
  const eps = results[0].robust.map((r) => r.eps);
  const names = Object.keys(results[0].robust[0]?.attacks ?? {});
  const lines = [
    `| dataset | split | n | attack | clean | ${eps.map((e) => `ε=${+(e * 255).toFixed(2)}/255`).join(' | ')} |`,
    `| --- | --- | --- | --- | --- | ${eps.map(() => '---').join(' | ')} |`,
  ];
  for (const r of results) {
    for (const a of [...names, 'worst']) {
      const vals = r.robust.map((x) => pct(a === 'worst' ? x.worst : x.attacks[a]));
      lines.push(`| ${r.dataset} | ${r.split} | ${r.count} | ${a} | ${pct(r.clean)} | ${vals.join(' | ')} |`);
    }
  }
  return lines.join('\n');
}
