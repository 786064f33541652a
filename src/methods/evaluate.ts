/**
 * Zero-shot robust evaluation of a CLIP model folder on labelled image sets: clean accuracy and robust accuracy
 * under each attack (src/attacks: PGD, APGD; worst case over the clean point and every iterate) over an ε grid,
 * plus the per-sample worst case over all attacks at each ε. Class embeddings: every template × every synonym
 * (as ClipEmbedder). Host-independent (model files in memory); the scripts add files and tables.
 */
import type { GpuContext } from '../gpu/context';
import type { ImageDataset } from '../data/bundle';
import { evaluateZeroShot, runAttack, type AttackLoss } from '../attacks/attack';
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
  onProgress?: (message: string) => void;
}

export interface EpsResult {
  eps: number;
  /** Robust accuracy per attack. */
  attacks: Record<string, number>;
  /** Per-sample worst case over the attacks. */
  worst: number;
}

export interface SetResult {
  dataset: string;
  split: string;
  count: number;
  clean: number;
  robust: EpsResult[];
  /** Attack warnings (gradient-masking signs), as `attack@ε: code`. */
  warnings: string[];
}

export async function evaluateRobust(ctx: GpuContext, files: Pick<ClipFolderFiles, 'config.json' | 'tokenizer.json' | 'preprocessor_config.json' | 'onnx/vision_model.onnx' | 'onnx/text_model.onnx'>, sets: EvalSet[], o: RobustEvalOptions): Promise<SetResult[]> {
  const config = clipConfigFromJson(files['config.json']);
  const constants = normalizationConstants(parsePreprocessorConfig(files['preprocessor_config.json']), config.channels);
  const logitScale = Math.exp(config.logitScale);
  const embedder = await ClipEmbedder.create(ctx, files);
  const model = await VisionAttackModel.create(ctx, files[CLIP_VISION_ONNX], { batch: o.batch, constants });
  const out: SetResult[] = [];
  try {
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
