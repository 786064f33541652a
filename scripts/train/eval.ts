/**
 * npm run eval -- --model public/models/tiny-clip --dataset fashion-mnist --split test [--limit N] [--out FILE]
 *
 * Zero-shot classification of a bundled dataset split with a CLIP folder (prompt ensemble over templates ×
 * synonyms): prints JSON with top-1 / top-5, per-class accuracy and the confusion matrix (rows = true class).
 */
import { writeFile } from 'node:fs/promises';
import { GpuContext } from '../../src/gpu/context';
import { shaderSources } from '../../src/kernels/shaders';
import { loadSplitFromDir } from '../../src/data/node';
import { readClipFolder } from '../../src/onnx/clip/node';
import { ClipEmbedder } from '../../src/train/zeroshot';
import { scriptFlags } from '../cli';


async function main(): Promise<void> {
  const A = scriptFlags();
  const model = A.model ?? 'public/models/tiny-clip', dataset = A.dataset ?? 'fashion-mnist', split = A.split ?? 'test';
  const { data } = await loadSplitFromDir(dataset, split);
  const ctx = await GpuContext.create({ shaders: shaderSources, label: 'eval' });
  const t0 = Date.now();
  const emb = await ClipEmbedder.create(ctx, await readClipFolder(model));
  const m = await emb.evaluate(data, A.limit ? Number(A.limit) : data.count);
  await emb.release();
  const json = JSON.stringify({ model, dataset, split, seconds: (Date.now() - t0) / 1000, ...m }, null, 2);
  if (A.out) await writeFile(A.out, `${json}\n`);
  console.log(json);
  process.exit(0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
