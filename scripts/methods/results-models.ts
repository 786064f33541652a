/**
 * Commits the seed-0 model of each method's table configuration next to a results file, so the Results panel can
 * re-create adversarial examples offline:
 *
 *   node --import tsx --import ./scripts/raw-loader.mjs scripts/methods/results-models.ts \
 *     --from /path/to/reproduce-out --results results/reproduce-quick.json [--seeds 0]
 *
 * For every table run (method without '@', not 'none') of the chosen seeds it reads the training record
 * (`<from>/jobs/train__<run>.json`), checks each ONNX file's sha256 against the record and against the results
 * file's `provenance.files`, copies config.json and the two ONNX files to public/results/models/<method>-seed<k>/
 * (tokenizer and preprocessor files identical to public/models/tiny-clip's are shared, not copied) and writes
 * public/results/models/manifest.json (src/methods/resultsModels.ts).
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseResults } from '../../src/methods/results';
import { MODEL_FILE_NAMES, RESULTS_MODELS_SCHEMA, RESULTS_MODELS_VERSION, validateResultsModels, type ResultsModel } from '../../src/methods/resultsModels';

const arg = (name: string, fallback?: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : fallback;
  if (v === undefined) throw new Error(`--${name} is required`);
  return v;
};
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

const from = arg('from'), resultsPath = arg('results', 'results/reproduce-quick.json');
const seeds = arg('seeds', '0').split(',').map(Number);
const results = parseResults(await readFile(resultsPath, 'utf8'));
const shared = 'models/tiny-clip';
const models: ResultsModel[] = [];
for (const run of results.runs) {
  if (run.method === 'none' || run.method.includes('@') || run.seed === null || !seeds.includes(run.seed)) continue;
  const name = `train__${run.id.replaceAll('/', '__')}`;
  const job = JSON.parse(await readFile(join(from, 'jobs', `${name}.json`), 'utf8')) as { record: { id: string; method: string; seed: number; modelDir: string; files: { path: string; bytes: number; sha256: string }[] } };
  const rec = job.record;
  if (rec.id !== `train/${run.id}` || rec.method !== run.method || rec.seed !== run.seed) throw new Error(`${name}: the record is ${rec.id} (${rec.method}, seed ${rec.seed}), not run ${run.id}`);
  const dest = `results/models/${run.method}-seed${run.seed}`;
  const files: ResultsModel['files'] = [];
  for (const file of MODEL_FILE_NAMES) {
    const bytes = new Uint8Array(await readFile(join(from, rec.modelDir, file)));
    const hash = sha(bytes);
    const recorded = `${rec.modelDir}/${file}`;
    const inRecord = rec.files.find((f) => f.path === recorded);
    const inResults = results.provenance.files.find((f) => f.path === recorded);
    if (file.startsWith('onnx/')) {
      if (!inRecord || inRecord.sha256 !== hash || inRecord.bytes !== bytes.length) throw new Error(`${recorded}: sha256 ${hash} is not the training record's (${inRecord?.sha256 ?? 'not listed'})`);
      if (!inResults || inResults.sha256 !== hash || inResults.bytes !== bytes.length) throw new Error(`${recorded}: sha256 ${hash} is not the results file's (${inResults?.sha256 ?? 'not listed'})`);
    }
    let url: string;
    const sharedBytes = await readFile(join('public', shared, file)).catch(() => null);
    if (file !== 'config.json' && !file.startsWith('onnx/') && sharedBytes && sha(sharedBytes) === hash) {
      url = `${shared}/${file}`;
    } else {
      url = `${dest}/${file}`;
      await mkdir(join('public', dest, 'onnx'), { recursive: true });
      await writeFile(join('public', url), bytes);
    }
    files.push({ name: file, url, bytes: bytes.length, sha256: hash, ...(file.startsWith('onnx/') ? { recorded } : {}) });
  }
  models.push({ run: run.id, method: run.method, seed: run.seed, files });
  console.log(`${run.id}: ${files.map((f) => `${f.name} ${f.sha256.slice(0, 12)}…`).join(', ')}`);
}
const manifest = validateResultsModels({ schema: RESULTS_MODELS_SCHEMA, version: RESULTS_MODELS_VERSION, results: resultsPath, models });
await writeFile('public/results/models/manifest.json', `${JSON.stringify(manifest, null, 1)}\n`);
console.log(`public/results/models/manifest.json: ${models.length} models`);
